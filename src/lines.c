// lines.c: the bulk newline scan behind lines() and lineOffsets(): portable C, SSE2 and AVX2
// (chosen at run time with the search kernels' level); no OS calls.
#include "mmap.h"

#include <string.h>

#if (defined(__x86_64__) || defined(_M_X64)) && defined(__GNUC__)
#define MM_LINES_X86 1
#include <immintrin.h>
#endif

// Every kernel has the contract of mm_lines_scan, over [p, p + n) with out
// offsets counted from base; each returns how many it wrote and sets *scanned.

static size_t
lines_scalar(const uint8_t *p, size_t n, uint64_t base, double *out, size_t cap, size_t *scanned) {
  size_t count = 0, i = 0;
  while (i < n) {
    const uint8_t *nl = memchr(p + i, '\n', n - i);
    if (nl == NULL) break;
    i = (size_t)(nl - p) + 1;
    out[count++] = (double)(int64_t)(base + i);
    if (count == cap) {
      *scanned = i;
      return count;
    }
  }
  *scanned = n;
  return count;
}

#ifdef MM_LINES_X86

// Writes the offset past each set bit of mask (a newline at block + bit);
// returns false, with *scanned set, once out is full.
static inline int
lines_bits(uint64_t mask, size_t block, uint64_t base, double *out, size_t cap, size_t *count,
           size_t *scanned) {
  while (mask != 0) {
    size_t at = block + (size_t)__builtin_ctzll(mask) + 1;
    out[(*count)++] = (double)(int64_t)(base + at); // below 2^53: signed converts in one step
    if (*count == cap) {
      *scanned = at;
      return 0;
    }
    mask &= mask - 1;
  }
  return 1;
}

static size_t
lines_sse2(const uint8_t *p, size_t n, uint64_t base, double *out, size_t cap, size_t *scanned) {
  const __m128i nl = _mm_set1_epi8('\n');
  size_t count = 0, i = 0;
  for (; n - i >= 64; i += 64) {
    uint64_t m0 =
        (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i)), nl));
    uint64_t m1 = (uint32_t)_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i + 16)), nl));
    uint64_t m2 = (uint32_t)_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i + 32)), nl));
    uint64_t m3 = (uint32_t)_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i + 48)), nl));
    uint64_t mask = m0 | m1 << 16 | m2 << 32 | m3 << 48;
    if (mask != 0 && !lines_bits(mask, i, base, out, cap, &count, scanned)) return count;
  }
  size_t rest;
  count += lines_scalar(p + i, n - i, base + i, out + count, cap - count, &rest);
  *scanned = i + rest;
  return count;
}

// The lowest set bit of mask | bit 63: defined for mask 0 too.
#define MM_LINES_LOW(mask) ((size_t)__builtin_ctzll((mask) | ((uint64_t)1 << 63)))

// Writes the offsets of mask's bits (newlines at block + bit) to o[0...]
// and returns how many: the first two whatever the mask holds, without a
// branch (ones past its newlines are overwritten by the next block's, or
// cleared at the end), then a loop for the rest: typical text has zero to
// two newlines per 64 bytes (measured: two unconditional writes beat one
// and four, 256 MiB of 40- and 84-byte lines).
static inline size_t
lines_flatten(uint64_t mask, uint64_t at, double *o) {
  size_t bits = (size_t)__builtin_popcountll(mask);
  o[0] = (double)(int64_t)(at + MM_LINES_LOW(mask));
  mask &= mask - 1;
  o[1] = (double)(int64_t)(at + MM_LINES_LOW(mask));
  mask &= mask - 1;
  for (size_t k = 2; mask != 0; k++) {
    o[k] = (double)(int64_t)(at + MM_LINES_LOW(mask));
    mask &= mask - 1;
  }
  return bits;
}

__attribute__((target("avx2"))) static inline uint64_t
lines_mask64(const uint8_t *q, __m256i nl) {
  __m256i a = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)q), nl);
  __m256i b = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(q + 32)), nl);
  return (uint64_t)(uint32_t)_mm256_movemask_epi8(a) | (uint64_t)(uint32_t)_mm256_movemask_epi8(b)
                                                           << 32;
}

__attribute__((target("avx2"))) static size_t
lines_avx2(const uint8_t *p, size_t n, uint64_t base, double *out, size_t cap, size_t *scanned) {
  const __m256i nl = _mm256_set1_epi8('\n');
  size_t count = 0, i = 0;
  // 256 bytes a step while out has room for all their newlines: the four
  // blocks' loads are issued before any branch on what they found, so a
  // mispredicted branch does not stall the stream of loads.
  for (; n - i >= 256 && cap - count >= 256 + 4; i += 256) {
    uint64_t m0 = lines_mask64(p + i, nl), m1 = lines_mask64(p + i + 64, nl);
    uint64_t m2 = lines_mask64(p + i + 128, nl), m3 = lines_mask64(p + i + 192, nl);
    if ((m0 | m1 | m2 | m3) == 0) continue;
    uint64_t at = base + i + 1;
    count += lines_flatten(m0, at, out + count);
    count += lines_flatten(m1, at + 64, out + count);
    count += lines_flatten(m2, at + 128, out + count);
    count += lines_flatten(m3, at + 192, out + count);
  }
  for (; n - i >= 64; i += 64) {
    __m256i a = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i)), nl);
    __m256i b = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i + 32)), nl);
    uint64_t mask = (uint64_t)(uint32_t)_mm256_movemask_epi8(a) |
                    (uint64_t)(uint32_t)_mm256_movemask_epi8(b) << 32;
    if (mask == 0) continue;
    if (cap - count < 64 + 4) {
      // Near the end of out: one bit at a time, stopping when it is full.
      if (!lines_bits(mask, i, base, out, cap, &count, scanned)) {
        if (cap - count > 0)
          memset(out + count, 0, sizeof(double) * (cap - count < 4 ? cap - count : 4));
        return count;
      }
      continue;
    }
    count += lines_flatten(mask, base + i + 1, out + count);
  }
  // What the last block wrote past its newlines (at most two).
  if (cap - count > 0) memset(out + count, 0, sizeof(double) * (cap - count < 4 ? cap - count : 4));
  size_t rest;
  count += lines_scalar(p + i, n - i, base + i, out + count, cap - count, &rest);
  *scanned = i + rest;
  return count;
}

#endif // MM_LINES_X86

size_t
mm_lines_scan(const uint8_t *p, size_t n, uint64_t base, double *out, size_t cap, size_t *scanned) {
  if (cap == 0 || n == 0) {
    *scanned = 0;
    return 0;
  }
  switch (mm_search_kernel()) {
#ifdef MM_LINES_X86
  case MM_KERNEL_AVX2:
    return lines_avx2(p, n, base, out, cap, scanned);
  case MM_KERNEL_SSE2:
    return lines_sse2(p, n, base, out, cap, scanned);
#endif
  default:
    return lines_scalar(p, n, base, out, cap, scanned);
  }
}
