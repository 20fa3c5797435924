// search-test.c: the search kernels (every level the CPU has) against a naive reference, at every
// alignment and at lengths around the vector widths; built with ASan/UBSan so any read outside
// [hay, hay + n) or [needle, needle + k) fails the run.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/mmap.h"
#include "reference.h"

static unsigned long failures = 0, checks = 0;
static unsigned rng = 12345;

static unsigned
next(void) {
  rng = rng * 1103515245u + 12345u;
  return rng >> 16;
}

// Copies bytes into a fresh allocation that ends exactly where they end, so
// ASan flags any read past the end.
static uint8_t *
exact(const uint8_t *src, size_t n) {
  uint8_t *p = malloc(n == 0 ? 1 : n);
  if (n > 0) memcpy(p, src, n);
  return p;
}

static void
check(int level, const uint8_t *h0, size_t n, const uint8_t *s0, size_t k) {
  uint8_t *h = exact(h0, n), *s = exact(s0, k);
  int64_t f = mm_find(h, n, s, k), rf = mm_rfind(h, n, s, k);
  uint64_t c = mm_count(h, n, s, k);
  int64_t ef = k == 0 ? 0 : naive_find(h, n, s, k);
  int64_t erf = k == 0 ? (int64_t)n : naive_rfind(h, n, s, k);
  uint64_t ec = naive_count(h, n, s, k);
  checks++;
  if (f != ef || rf != erf || c != ec) {
    if (failures++ < 20)
      fprintf(stderr, "level %d n=%zu k=%zu: find %lld/%lld rfind %lld/%lld count %llu/%llu\n",
              level, n, k, (long long)f, (long long)ef, (long long)rf, (long long)erf,
              (unsigned long long)c, (unsigned long long)ec);
  }
  free(h);
  free(s);
}

int
main(void) {
  static uint8_t hay[4200], needle[80];
  const int levels[] = {MM_KERNEL_SCALAR, MM_KERNEL_SSE2, MM_KERNEL_AVX2, MM_KERNEL_NEON};
  for (size_t li = 0; li < sizeof(levels) / sizeof(levels[0]); li++) {
    int level = levels[li];
    if (mm_search_set_kernel(level) != level) {
      printf("kernel level %d: not on this CPU\n", level);
      continue;
    }
    unsigned long before = checks;
    // Every length from 0 to 140 (past 4 vector blocks of 32) and some
    // larger ones, a small alphabet (many near misses), needles of every
    // length to 70, taken from the haystack at its start, end and middle, or
    // random (mostly absent).
    for (size_t n = 0; n <= 4200; n = n < 140 ? n + 1 : n * 2 + 37) {
      for (int round = 0; round < 3; round++) {
        unsigned alphabet = round == 0 ? 2 : round == 1 ? 4 : 256;
        for (size_t i = 0; i < n; i++)
          hay[i] = (uint8_t)('a' + next() % alphabet);
        for (size_t k = 0; k <= 70 && k <= n + 1; k++) {
          size_t at[4] = {0, n >= k ? n - k : 0, n >= k ? (n - k) / 2 : 0, next() % (n + 1)};
          for (int w = 0; w < 4; w++) {
            if (k <= n && at[w] + k <= n) {
              memcpy(needle, hay + at[w], k);
            } else {
              for (size_t j = 0; j < k; j++)
                needle[j] = (uint8_t)('a' + next() % alphabet);
            }
            check(level, hay, n, needle, k);
          }
          // The needle's first and last bytes match but not its middle.
          if (k >= 3 && n >= k) {
            memcpy(needle, hay + at[2], k);
            needle[k / 2] ^= 0x80;
            check(level, hay, n, needle, k);
          }
        }
      }
    }
    // Single-byte counts over long runs (the byte-lane accumulators fold
    // every 255 blocks).
    for (size_t n = 8000; n <= 40000; n += 4097) {
      uint8_t *big = malloc(n);
      for (size_t i = 0; i < n; i++)
        big[i] = (uint8_t)(next() % 3 == 0 ? '\n' : 'x');
      const uint8_t nl = '\n';
      uint64_t c = mm_count(big, n, &nl, 1);
      checks++;
      if (c != naive_count(big, n, &nl, 1) && failures++ < 20)
        fprintf(stderr, "level %d count of newlines wrong at n=%zu\n", level, n);
      for (size_t i = 0; i < n; i++)
        big[i] = '\n';
      checks++;
      if (mm_count(big, n, &nl, 1) != n && failures++ < 20)
        fprintf(stderr, "level %d count of all-newline data wrong at n=%zu\n", level, n);
      free(big);
    }
    printf("kernel level %d: %lu checks\n", level, checks - before);
  }
  printf("%lu checks, %lu failures\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
