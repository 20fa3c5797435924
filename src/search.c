// search.c: byte-string search kernels for find, rfind and count: portable C, SSE2 and AVX2 (chosen
// at run time); no OS calls.
#include "mmap.h"

#include <string.h>

#if (defined(__x86_64__) || defined(_M_X64)) && defined(__GNUC__)
#define MM_X86 1
#include <immintrin.h>
#endif

// Portable kernels ------------------------------------------------------------

// The last occurrence of byte c in [p, p + n), or NULL. memrchr() is a GNU
// extension, so the portable loop lives here.
static const uint8_t *
mm__memrchr(const uint8_t *p, uint8_t c, size_t n) {
  while (n > 0) {
    n--;
    if (p[n] == c) return p + n;
  }
  return NULL;
}

static int64_t
mm__find_byte(const uint8_t *hay, size_t n, uint8_t c) {
  const uint8_t *p = memchr(hay, c, n);
  return p == NULL ? -1 : (int64_t)(p - hay);
}

// k >= 2, k <= n. Candidates are the positions i in [0, n - k] whose first
// byte matches; memchr looks only at [i, n - k], so the k bytes compared from
// a candidate end at or before hay + n.
static int64_t
mm__find_scalar(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k) {
  if (k > n) return -1; // the vector kernels hand over tails shorter than the needle
  const uint8_t first = needle[0], last = needle[k - 1];
  size_t last_start = n - k;
  size_t i = 0;
  while (i <= last_start) {
    const uint8_t *p = memchr(hay + i, first, last_start - i + 1);
    if (p == NULL) return -1;
    i = (size_t)(p - hay);
    if (hay[i + k - 1] == last && memcmp(hay + i + 1, needle + 1, k - 2) == 0) return (int64_t)i;
    i++;
  }
  return -1;
}

// k >= 1, k <= n. Candidates start in [0, n - k]; the scan covers that range
// from its end.
static int64_t
mm__rfind_scalar(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k) {
  const uint8_t first = needle[0], last = needle[k - 1];
  size_t limit = n - k + 1; // candidates left to look at: [0, limit)
  while (limit > 0) {
    const uint8_t *p = mm__memrchr(hay, first, limit);
    if (p == NULL) return -1;
    size_t i = (size_t)(p - hay);
    if (hay[i + k - 1] == last && (k <= 2 || memcmp(hay + i + 1, needle + 1, k - 2) == 0))
      return (int64_t)i;
    limit = i;
  }
  return -1;
}

static uint64_t
mm__count_byte_scalar(const uint8_t *hay, size_t n, uint8_t c) {
  uint64_t count = 0;
  for (size_t i = 0; i < n; i++)
    count += hay[i] == c;
  return count;
}

#ifdef MM_X86

static inline unsigned
mm__ctz(uint32_t x) {
  return (unsigned)__builtin_ctz(x);
}

static inline unsigned
mm__top_bit(uint32_t x) {
  return 31u - (unsigned)__builtin_clz(x);
}

// SSE2 kernels (every x86-64 CPU) ---------------------------------------------
//
// The first-and-last-byte filter: for a block of 16 candidates starting at i,
// compare hay[i..i+15] with the needle's first byte and hay[i+k-1..i+k+14]
// with its last byte; only candidates passing both get a memcmp of the middle.
// A block is taken only when its last load ends inside hay (i + k + 15 <= n);
// the rest goes to the portable kernel.

static int64_t
mm__find_sse2(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k) {
  if (k > n) return -1;
  const __m128i first = _mm_set1_epi8((char)needle[0]);
  const __m128i last = _mm_set1_epi8((char)needle[k - 1]);
  size_t i = 0;
  for (; n - k >= 15 && i <= n - k - 15; i += 16) {
    __m128i a = _mm_loadu_si128((const __m128i *)(hay + i));
    __m128i b = _mm_loadu_si128((const __m128i *)(hay + i + k - 1));
    uint32_t mask = (uint32_t)_mm_movemask_epi8(
        _mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, last)));
    while (mask != 0) {
      size_t at = i + mm__ctz(mask);
      if (memcmp(hay + at + 1, needle + 1, k - 2) == 0) return (int64_t)at;
      mask &= mask - 1;
    }
  }
  int64_t rest = mm__find_scalar(hay + i, n - i, needle, k);
  return rest < 0 ? -1 : rest + (int64_t)i;
}

// Blocks of 16 candidates from the top: candidates [s, s + 16) need loads
// ending at s + 15 and s + k + 14 = end + k - 2 <= n - 1.
static int64_t
mm__rfind_sse2(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k) {
  const __m128i first = _mm_set1_epi8((char)needle[0]);
  const __m128i last = _mm_set1_epi8((char)needle[k - 1]);
  size_t end = n - k + 1; // candidates left: [0, end)
  while (end >= 16) {
    size_t s = end - 16;
    __m128i a = _mm_loadu_si128((const __m128i *)(hay + s));
    __m128i b = _mm_loadu_si128((const __m128i *)(hay + s + k - 1));
    uint32_t mask = (uint32_t)_mm_movemask_epi8(
        _mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, last)));
    while (mask != 0) {
      unsigned bit = mm__top_bit(mask);
      size_t at = s + bit;
      if (k <= 2 || memcmp(hay + at + 1, needle + 1, k - 2) == 0) return (int64_t)at;
      mask &= ~(1u << bit);
    }
    end = s;
  }
  return end == 0 ? -1 : mm__rfind_scalar(hay, end + k - 1, needle, k);
}

// Counts bytes equal to c: compare results (-1 per match) accumulate in byte
// lanes for at most 255 blocks, then fold into 64-bit sums with SAD.
static uint64_t
mm__count_byte_sse2(const uint8_t *hay, size_t n, uint8_t c) {
  const __m128i needle = _mm_set1_epi8((char)c);
  const __m128i zero = _mm_setzero_si128();
  __m128i total = _mm_setzero_si128();
  size_t i = 0;
  while (n - i >= 16) {
    size_t blocks = (n - i) / 16;
    if (blocks > 255) blocks = 255;
    __m128i lanes = _mm_setzero_si128();
    for (size_t b = 0; b < blocks; b++, i += 16) {
      __m128i v = _mm_loadu_si128((const __m128i *)(hay + i));
      lanes = _mm_sub_epi8(lanes, _mm_cmpeq_epi8(v, needle));
    }
    total = _mm_add_epi64(total, _mm_sad_epu8(lanes, zero));
  }
  uint64_t sums[2];
  _mm_storeu_si128((__m128i *)sums, total);
  return sums[0] + sums[1] + mm__count_byte_scalar(hay + i, n - i, c);
}

// AVX2 kernels (chosen at run time where the CPU has AVX2) ---------------------
// The same algorithms on 32-byte blocks.

__attribute__((target("avx2"))) static int64_t
mm__find_avx2(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k) {
  if (k > n) return -1;
  const __m256i first = _mm256_set1_epi8((char)needle[0]);
  const __m256i last = _mm256_set1_epi8((char)needle[k - 1]);
  size_t i = 0;
  for (; n - k >= 31 && i <= n - k - 31; i += 32) {
    __m256i a = _mm256_loadu_si256((const __m256i *)(hay + i));
    __m256i b = _mm256_loadu_si256((const __m256i *)(hay + i + k - 1));
    uint32_t mask = (uint32_t)_mm256_movemask_epi8(
        _mm256_and_si256(_mm256_cmpeq_epi8(a, first), _mm256_cmpeq_epi8(b, last)));
    while (mask != 0) {
      size_t at = i + mm__ctz(mask);
      if (memcmp(hay + at + 1, needle + 1, k - 2) == 0) return (int64_t)at;
      mask &= mask - 1;
    }
  }
  int64_t rest = mm__find_sse2(hay + i, n - i, needle, k);
  return rest < 0 ? -1 : rest + (int64_t)i;
}

__attribute__((target("avx2"))) static int64_t
mm__rfind_avx2(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k) {
  const __m256i first = _mm256_set1_epi8((char)needle[0]);
  const __m256i last = _mm256_set1_epi8((char)needle[k - 1]);
  size_t end = n - k + 1;
  while (end >= 32) {
    size_t s = end - 32;
    __m256i a = _mm256_loadu_si256((const __m256i *)(hay + s));
    __m256i b = _mm256_loadu_si256((const __m256i *)(hay + s + k - 1));
    uint32_t mask = (uint32_t)_mm256_movemask_epi8(
        _mm256_and_si256(_mm256_cmpeq_epi8(a, first), _mm256_cmpeq_epi8(b, last)));
    while (mask != 0) {
      unsigned bit = mm__top_bit(mask);
      size_t at = s + bit;
      if (k <= 2 || memcmp(hay + at + 1, needle + 1, k - 2) == 0) return (int64_t)at;
      mask &= ~(1u << bit);
    }
    end = s;
  }
  return end == 0 ? -1 : mm__rfind_sse2(hay, end + k - 1, needle, k);
}

__attribute__((target("avx2"))) static uint64_t
mm__count_byte_avx2(const uint8_t *hay, size_t n, uint8_t c) {
  const __m256i needle = _mm256_set1_epi8((char)c);
  const __m256i zero = _mm256_setzero_si256();
  __m256i total = _mm256_setzero_si256();
  size_t i = 0;
  while (n - i >= 32) {
    size_t blocks = (n - i) / 32;
    if (blocks > 255) blocks = 255;
    __m256i lanes = _mm256_setzero_si256();
    for (size_t b = 0; b < blocks; b++, i += 32) {
      __m256i v = _mm256_loadu_si256((const __m256i *)(hay + i));
      lanes = _mm256_sub_epi8(lanes, _mm256_cmpeq_epi8(v, needle));
    }
    total = _mm256_add_epi64(total, _mm256_sad_epu8(lanes, zero));
  }
  uint64_t sums[4];
  _mm256_storeu_si256((__m256i *)sums, total);
  return sums[0] + sums[1] + sums[2] + sums[3] + mm__count_byte_sse2(hay + i, n - i, c);
}

#endif // MM_X86

// Dispatch --------------------------------------------------------------------

typedef struct mm_kernels_s {
  int64_t (*find)(const uint8_t *, size_t, const uint8_t *, size_t);  // k >= 2, k <= n
  int64_t (*rfind)(const uint8_t *, size_t, const uint8_t *, size_t); // k >= 1, k <= n
  uint64_t (*count_byte)(const uint8_t *, size_t, uint8_t);
} mm_kernels_t;

static const mm_kernels_t mm__scalar = {mm__find_scalar, mm__rfind_scalar, mm__count_byte_scalar};
#ifdef MM_X86
static const mm_kernels_t mm__sse2 = {mm__find_sse2, mm__rfind_sse2, mm__count_byte_sse2};
static const mm_kernels_t mm__avx2 = {mm__find_avx2, mm__rfind_avx2, mm__count_byte_avx2};
#endif

// Set once, before any search runs concurrently; a plain pointer is enough
// because every value it takes is a valid table.
static const mm_kernels_t *mm__kernels = NULL;
static int mm__kernel_level = MM_KERNEL_SCALAR;

static int
mm__best_level(void) {
#ifdef MM_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) return MM_KERNEL_AVX2;
  return MM_KERNEL_SSE2;
#else
  return MM_KERNEL_SCALAR;
#endif
}

int
mm_search_set_kernel(int level) {
  if (level == MM_KERNEL_AUTO) level = mm__best_level();
  if (level > mm__best_level() || level < MM_KERNEL_SCALAR) return -1;
  switch (level) {
#ifdef MM_X86
  case MM_KERNEL_AVX2:
    mm__kernels = &mm__avx2;
    break;
  case MM_KERNEL_SSE2:
    mm__kernels = &mm__sse2;
    break;
#endif
  default:
    mm__kernels = &mm__scalar;
  }
  mm__kernel_level = level;
  return level;
}

int
mm_search_kernel(void) {
  if (mm__kernels == NULL) mm_search_set_kernel(MM_KERNEL_AUTO);
  return mm__kernel_level;
}

static const mm_kernels_t *
mm__get_kernels(void) {
  if (mm__kernels == NULL) mm_search_set_kernel(MM_KERNEL_AUTO);
  return mm__kernels;
}

int64_t
mm_find(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k) {
  if (k == 0) return 0;
  if (k > n) return -1;
  // glibc's memchr is already vectorised; a single byte needs nothing more.
  if (k == 1) return mm__find_byte(hay, n, needle[0]);
  return mm__get_kernels()->find(hay, n, needle, k);
}

int64_t
mm_rfind(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k) {
  if (k == 0) return (int64_t)n;
  if (k > n) return -1;
  return mm__get_kernels()->rfind(hay, n, needle, k);
}

uint64_t
mm_count(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k) {
  if (k == 0) return (uint64_t)n + 1;
  if (k > n) return 0;
  if (k == 1) return mm__get_kernels()->count_byte(hay, n, needle[0]);
  uint64_t count = 0;
  size_t i = 0;
  while (n - i >= k) {
    int64_t at = mm_find(hay + i, n - i, needle, k);
    if (at < 0) break;
    count++;
    i += (size_t)at + k; // non-overlapping: resume after the match
  }
  return count;
}
