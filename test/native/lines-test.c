// lines-test.c: the newline scan (mm_lines_scan, every kernel level the CPU has) against a naive
// reference, at every alignment, at lengths around the vector widths and with every output
// capacity; built with ASan/UBSan so any read outside [p, p + n) or write past out[cap) fails.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/mmap.h"

static unsigned long failures = 0, checks = 0;
static unsigned rng = 4242;

static unsigned
next(void) {
  rng = rng * 1103515245u + 12345u;
  return rng >> 16;
}

// Scans [p, p + n) with capacity cap, resuming until done, and compares every
// offset with the naive list.
static void
check(int level, const uint8_t *src, size_t n, size_t cap, uint64_t base) {
  uint8_t *p = malloc(n == 0 ? 1 : n);
  if (n > 0) memcpy(p, src, n);
  double *out = malloc(cap * sizeof(double));
  size_t at = 0, want_i = 0;
  int bad = 0;
  while (at <= n) {
    size_t scanned = 0;
    size_t got = mm_lines_scan(p + at, n - at, base + at, out, cap, &scanned);
    for (size_t i = 0; i < got; i++) {
      while (want_i < n && p[want_i] != '\n')
        want_i++;
      if (want_i >= n || out[i] != (double)(base + want_i + 1)) bad = 1;
      want_i++;
    }
    if (got < cap) {
      if (scanned != n - at) bad = 1;
      break;
    }
    if (scanned == 0 || (double)(base + at + scanned) != out[got - 1]) {
      bad = 1;
      break;
    }
    at += scanned;
  }
  while (want_i < n && p[want_i] != '\n')
    want_i++;
  if (want_i < n) bad = 1; // a newline the scan missed
  checks++;
  if (bad && failures++ < 20)
    fprintf(stderr, "level %d n=%zu cap=%zu base=%llu: wrong offsets\n", level, n, cap,
            (unsigned long long)base);
  free(out);
  free(p);
}

int
main(void) {
  static uint8_t buf[4096 + 64];
  for (int level = MM_KERNEL_SCALAR; level <= MM_KERNEL_AVX2; level++) {
    if (mm_search_set_kernel(level) < 0) continue;
    for (size_t density = 1; density <= 64; density *= 4) {
      for (size_t n = 0; n <= 300; n++) {
        for (size_t i = 0; i < n + 64; i++)
          buf[i] = next() % density == 0 ? '\n' : (uint8_t)('a' + next() % 26);
        for (size_t off = 0; off < 3; off++)
          for (size_t cap = 1; cap <= 9; cap += 4)
            check(level, buf + off, n, cap, off == 2 ? ((uint64_t)1 << 40) : 0);
        check(level, buf, n, 4096, 0);
      }
      for (size_t i = 0; i < 4096; i++)
        buf[i] = next() % density == 0 ? '\n' : 'x';
      check(level, buf, 4096, 7, 3);
      check(level, buf, 4096, 4096, 0);
    }
  }
  printf("lines-test: %lu checks, %lu failures\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
