// search.c: byte-string search kernels for find, rfind and count: portable C, SSE2 and AVX2 on
// x86-64, NEON on AArch64 (chosen at run time); no OS calls.
#include "mmap.h"

#include <string.h>

#if (defined(__x86_64__) || defined(_M_X64)) && defined(__GNUC__)
#define MM_X86 1
#include <immintrin.h>
#endif

#if defined(__aarch64__) && defined(__GNUC__)
#define MM_NEON 1
#include <arm_neon.h>
#endif

// Needle plans ----------------------------------------------------------------
//
// The vector kernels filter candidates on two bytes of the needle, then compare
// the whole needle. Text makes the first and last bytes poor filters when they
// are common letters, so the two bytes are the needle's rarest by a fixed
// ranking of how common each byte is in text and binary data (ties keep the
// first and last positions).

typedef struct mm_needle_s {
  const uint8_t *s;
  size_t k;
  size_t r1, r2; // filter positions in [0, k); r1 is the rarer byte
} mm_needle_t;

// Higher is more common. Lower-case letters and space by English frequency,
// then line ends and digits, upper case, punctuation, bytes of binary data.
static int
byte_rank(uint8_t b) {
  static const char lower[] = " etaoinsrhldcumfpgwybvkxjqz";
  static const char upper[] = "ETAOINSRHLDCUMFPGWYBVKXJQZ";
  const char *p;
  if (b != 0 && (p = memchr(lower, b, sizeof(lower) - 1)) != NULL) return 255 - (int)(p - lower);
  if (b == '\n') return 230;
  if (b == 0) return 220;
  if (b >= '0' && b <= '9') return 210;
  if (b == ',' || b == '.' || b == '-' || b == '_' || b == '"' || b == '\'' || b == '/') return 205;
  if (b != 0 && (p = memchr(upper, b, sizeof(upper) - 1)) != NULL) return 200 - (int)(p - upper);
  if (b == '\t' || b == '\r' || b == 0xff) return 170;
  if (b < 0x20 || b == 0x7f) return 40;
  if (b >= 0x80) return 60;
  return 120; // other punctuation
}

static void
plan(mm_needle_t *nd, const uint8_t *s, size_t k) {
  nd->s = s;
  nd->k = k;
  nd->r1 = 0;
  nd->r2 = k - 1;
  if (k < 2) return;
  // Scan from both ends so that ties keep the first and last positions.
  int best = byte_rank(s[0]), second = byte_rank(s[k - 1]);
  if (second < best) {
    nd->r1 = k - 1;
    nd->r2 = 0;
    int t = best;
    best = second;
    second = t;
  }
  for (size_t i = 1; i + 1 < k; i++) {
    int r = byte_rank(s[i]);
    if (r < best && s[i] != s[nd->r1]) {
      nd->r2 = nd->r1;
      second = best;
      nd->r1 = i;
      best = r;
    } else if (r < second && s[i] != s[nd->r1]) {
      nd->r2 = i;
      second = r;
    }
  }
}

// Portable kernels ------------------------------------------------------------

// The last occurrence of byte c in [p, p + n), or NULL. memrchr() is a GNU
// extension, so the portable loop lives here.
static const uint8_t *
search_memrchr(const uint8_t *p, uint8_t c, size_t n) {
  while (n > 0) {
    n--;
    if (p[n] == c) return p + n;
  }
  return NULL;
}

static int64_t
find_byte(const uint8_t *hay, size_t n, uint8_t c) {
  const uint8_t *p = memchr(hay, c, n);
  return p == NULL ? -1 : (int64_t)(p - hay);
}

// Candidates are the positions i in [0, n - k]. memchr looks for the rarer
// filter byte at i + r1 for i in [i, n - k], so every byte it reads, and the k
// bytes compared from a candidate, lie in [hay, hay + n).
static int64_t
find_scalar(const uint8_t *hay, size_t n, const mm_needle_t *nd) {
  const size_t k = nd->k, r1 = nd->r1, r2 = nd->r2;
  if (k > n) return -1; // the vector kernels hand over tails shorter than the needle
  const size_t last = n - k;
  size_t i = 0;
  while (i <= last) {
    const uint8_t *p = memchr(hay + i + r1, nd->s[r1], last - i + 1);
    if (p == NULL) return -1;
    i = (size_t)(p - hay) - r1;
    if (hay[i + r2] == nd->s[r2] && memcmp(hay + i, nd->s, k) == 0) return (int64_t)i;
    i++;
  }
  return -1;
}

// The same from the end: candidates [0, limit) shrink as the scan goes down.
static int64_t
rfind_scalar(const uint8_t *hay, size_t n, const mm_needle_t *nd) {
  const size_t k = nd->k, r1 = nd->r1, r2 = nd->r2;
  if (k > n) return -1;
  size_t limit = n - k + 1;
  while (limit > 0) {
    const uint8_t *p = search_memrchr(hay + r1, nd->s[r1], limit);
    if (p == NULL) return -1;
    size_t i = (size_t)(p - hay) - r1;
    if (hay[i + r2] == nd->s[r2] && memcmp(hay + i, nd->s, k) == 0) return (int64_t)i;
    limit = i;
  }
  return -1;
}

static uint64_t
count_byte_scalar(const uint8_t *hay, size_t n, uint8_t c) {
  uint64_t count = 0;
  for (size_t i = 0; i < n; i++)
    count += hay[i] == c;
  return count;
}

#ifdef MM_X86

static inline unsigned
ctz64(uint64_t x) {
  return (unsigned)__builtin_ctzll(x);
}

static inline unsigned
top_bit64(uint64_t x) {
  return 63u - (unsigned)__builtin_clzll(x);
}

// SSE2 kernels (every x86-64 CPU) ---------------------------------------------
//
// A step covers 32 candidates [i, i + 32): it loads 32 bytes at i + r1 and, only
// when one of them is the needle's rarer byte, 32 at i + r2; candidates passing
// both get a full compare. A step is taken only while i <= n - k - 31, so its
// loads end at or before i + (k - 1) + 31 <= n - 1; the rest goes to the
// portable kernel.

static inline uint32_t
eq16(const uint8_t *p, __m128i v) {
  return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)p), v));
}

static int64_t
find_sse2(const uint8_t *hay, size_t n, const mm_needle_t *nd) {
  const size_t k = nd->k, r1 = nd->r1, r2 = nd->r2;
  if (k > n) return -1;
  const __m128i v1 = _mm_set1_epi8((char)nd->s[r1]), v2 = _mm_set1_epi8((char)nd->s[r2]);
  size_t i = 0;
  for (; n - k >= 31 && i <= n - k - 31; i += 32) {
    uint64_t mask = eq16(hay + i + r1, v1) | (uint64_t)eq16(hay + i + r1 + 16, v1) << 16;
    if (mask == 0) continue;
    mask &= eq16(hay + i + r2, v2) | (uint64_t)eq16(hay + i + r2 + 16, v2) << 16;
    while (mask != 0) {
      size_t at = i + ctz64(mask);
      if (memcmp(hay + at, nd->s, k) == 0) return (int64_t)at;
      mask &= mask - 1;
    }
  }
  int64_t rest = find_scalar(hay + i, n - i, nd);
  return rest < 0 ? -1 : rest + (int64_t)i;
}

// Steps of 32 candidates from the top: candidates [s, s + 32) with s = end - 32
// load up to s + (k - 1) + 31 = end + k - 2 <= n - 1.
static int64_t
rfind_sse2(const uint8_t *hay, size_t n, const mm_needle_t *nd) {
  const size_t k = nd->k, r1 = nd->r1, r2 = nd->r2;
  if (k > n) return -1;
  const __m128i v1 = _mm_set1_epi8((char)nd->s[r1]), v2 = _mm_set1_epi8((char)nd->s[r2]);
  size_t end = n - k + 1; // candidates left: [0, end)
  while (end >= 32) {
    size_t s = end - 32;
    end = s;
    uint64_t mask = eq16(hay + s + r1, v1) | (uint64_t)eq16(hay + s + r1 + 16, v1) << 16;
    if (mask == 0) continue;
    mask &= eq16(hay + s + r2, v2) | (uint64_t)eq16(hay + s + r2 + 16, v2) << 16;
    while (mask != 0) {
      unsigned bit = top_bit64(mask);
      if (memcmp(hay + s + bit, nd->s, k) == 0) return (int64_t)(s + bit);
      mask &= ~((uint64_t)1 << bit);
    }
  }
  return end == 0 ? -1 : rfind_scalar(hay, end + k - 1, nd);
}

// Counts bytes equal to c: compare results (-1 per match) accumulate in byte
// lanes for at most 255 blocks, then fold into 64-bit sums with SAD.
static uint64_t
count_byte_sse2(const uint8_t *hay, size_t n, uint8_t c) {
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
  return sums[0] + sums[1] + count_byte_scalar(hay + i, n - i, c);
}

// AVX2 kernels (chosen at run time where the CPU has AVX2) ---------------------
// The same algorithms on steps of 128 candidates: four 32-byte loads at r1
// OR-ed together answer "any candidate here?" with one test, as a fast memchr
// does; only then are the masks and the loads at r2 computed. A step is taken
// only while i <= n - k - 127, so its loads end at or before n - 1.

__attribute__((target("avx2"))) static inline __m256i
eqv32(const uint8_t *p, __m256i v) {
  return _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)p), v);
}

__attribute__((target("avx2"))) static inline uint64_t
mask64(__m256i lo, __m256i hi) {
  return (uint32_t)_mm256_movemask_epi8(lo) | (uint64_t)(uint32_t)_mm256_movemask_epi8(hi) << 32;
}

// The candidates of [i, i + 64) whose bytes at r1 (e0, e1 already compared)
// and r2 match.
__attribute__((target("avx2"))) static inline uint64_t
candidates64(const uint8_t *p, const mm_needle_t *nd, __m256i e0, __m256i e1, __m256i v2) {
  return mask64(_mm256_and_si256(e0, eqv32(p + nd->r2, v2)),
                _mm256_and_si256(e1, eqv32(p + nd->r2 + 32, v2)));
}

__attribute__((target("avx2"))) static int64_t
find_avx2(const uint8_t *hay, size_t n, const mm_needle_t *nd) {
  const size_t k = nd->k, r1 = nd->r1;
  if (k > n) return -1;
  const __m256i v1 = _mm256_set1_epi8((char)nd->s[r1]), v2 = _mm256_set1_epi8((char)nd->s[nd->r2]);
  size_t i = 0;
  for (; n - k >= 127 && i <= n - k - 127; i += 128) {
    const uint8_t *p = hay + i + r1;
    __m256i e0 = eqv32(p, v1), e1 = eqv32(p + 32, v1);
    __m256i e2 = eqv32(p + 64, v1), e3 = eqv32(p + 96, v1);
    __m256i any = _mm256_or_si256(_mm256_or_si256(e0, e1), _mm256_or_si256(e2, e3));
    if (_mm256_testz_si256(any, any)) continue;
    for (size_t half = 0; half < 2; half++) {
      size_t base = i + half * 64;
      uint64_t mask = half == 0 ? candidates64(hay + base, nd, e0, e1, v2)
                                : candidates64(hay + base, nd, e2, e3, v2);
      while (mask != 0) {
        size_t at = base + ctz64(mask);
        if (memcmp(hay + at, nd->s, k) == 0) return (int64_t)at;
        mask &= mask - 1;
      }
    }
  }
  int64_t rest = find_sse2(hay + i, n - i, nd);
  return rest < 0 ? -1 : rest + (int64_t)i;
}

// Steps of 128 candidates from the top: [s, s + 128) with s = end - 128 load
// up to s + (k - 1) + 127 = end + k - 2 <= n - 1.
__attribute__((target("avx2"))) static int64_t
rfind_avx2(const uint8_t *hay, size_t n, const mm_needle_t *nd) {
  const size_t k = nd->k, r1 = nd->r1;
  if (k > n) return -1;
  const __m256i v1 = _mm256_set1_epi8((char)nd->s[r1]), v2 = _mm256_set1_epi8((char)nd->s[nd->r2]);
  size_t end = n - k + 1;
  while (end >= 128) {
    size_t s = end - 128;
    end = s;
    const uint8_t *p = hay + s + r1;
    __m256i e0 = eqv32(p, v1), e1 = eqv32(p + 32, v1);
    __m256i e2 = eqv32(p + 64, v1), e3 = eqv32(p + 96, v1);
    __m256i any = _mm256_or_si256(_mm256_or_si256(e0, e1), _mm256_or_si256(e2, e3));
    if (_mm256_testz_si256(any, any)) continue;
    for (size_t half = 2; half-- > 0;) {
      size_t base = s + half * 64;
      uint64_t mask = half == 0 ? candidates64(hay + base, nd, e0, e1, v2)
                                : candidates64(hay + base, nd, e2, e3, v2);
      while (mask != 0) {
        unsigned bit = top_bit64(mask);
        if (memcmp(hay + base + bit, nd->s, k) == 0) return (int64_t)(base + bit);
        mask &= ~((uint64_t)1 << bit);
      }
    }
  }
  return end == 0 ? -1 : rfind_sse2(hay, end + k - 1, nd);
}

__attribute__((target("avx2"))) static uint64_t
count_byte_avx2(const uint8_t *hay, size_t n, uint8_t c) {
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
  return sums[0] + sums[1] + sums[2] + sums[3] + count_byte_sse2(hay + i, n - i, c);
}

#endif // MM_X86

// NEON kernels (AArch64) --------------------------------------------------------
//
// The SSE2 algorithms on 16-byte NEON vectors (AdvSIMD is part of every ARMv8-A
// CPU). NEON has no movemask: a compare result narrowed by 4 bits (shrn) gives
// a 64-bit mask with a nibble per byte, of which the top bit is kept, so lane
// j is bit 4j + 3. Steps cover 32 candidates and are taken only while
// i <= n - k - 31, so their loads end at or before n - 1, as in the SSE2 kernels.

#ifdef MM_NEON

#define MM_NEON_LANES 0x8888888888888888ull

static inline uint64_t
nibbles(uint8x16_t eq) {
  uint8x8_t narrowed = vshrn_n_u16(vreinterpretq_u16_u8(eq), 4);
  return vget_lane_u64(vreinterpret_u64_u8(narrowed), 0) & MM_NEON_LANES;
}

static inline uint8x16_t
eqn16(const uint8_t *p, uint8x16_t v) {
  return vceqq_u8(vld1q_u8(p), v);
}

static int64_t
find_neon(const uint8_t *hay, size_t n, const mm_needle_t *nd) {
  const size_t k = nd->k, r1 = nd->r1, r2 = nd->r2;
  if (k > n) return -1;
  const uint8x16_t v1 = vdupq_n_u8(nd->s[r1]), v2 = vdupq_n_u8(nd->s[r2]);
  size_t i = 0;
  for (; n - k >= 31 && i <= n - k - 31; i += 32) {
    uint8x16_t e0 = eqn16(hay + i + r1, v1), e1 = eqn16(hay + i + r1 + 16, v1);
    if (vmaxvq_u8(vorrq_u8(e0, e1)) == 0) continue;
    for (size_t half = 0; half < 2; half++) {
      size_t base = i + half * 16;
      uint64_t mask = nibbles(vandq_u8(half == 0 ? e0 : e1, eqn16(hay + base + r2, v2)));
      while (mask != 0) {
        size_t at = base + ((unsigned)__builtin_ctzll(mask) >> 2);
        if (memcmp(hay + at, nd->s, k) == 0) return (int64_t)at;
        mask &= mask - 1;
      }
    }
  }
  int64_t rest = find_scalar(hay + i, n - i, nd);
  return rest < 0 ? -1 : rest + (int64_t)i;
}

// Steps of 32 candidates from the top: [s, s + 32) with s = end - 32 load up
// to s + (k - 1) + 31 = end + k - 2 <= n - 1.
static int64_t
rfind_neon(const uint8_t *hay, size_t n, const mm_needle_t *nd) {
  const size_t k = nd->k, r1 = nd->r1, r2 = nd->r2;
  if (k > n) return -1;
  const uint8x16_t v1 = vdupq_n_u8(nd->s[r1]), v2 = vdupq_n_u8(nd->s[r2]);
  size_t end = n - k + 1; // candidates left: [0, end)
  while (end >= 32) {
    size_t s = end - 32;
    end = s;
    uint8x16_t e0 = eqn16(hay + s + r1, v1), e1 = eqn16(hay + s + r1 + 16, v1);
    if (vmaxvq_u8(vorrq_u8(e0, e1)) == 0) continue;
    for (size_t half = 2; half-- > 0;) {
      size_t base = s + half * 16;
      uint64_t mask = nibbles(vandq_u8(half == 0 ? e0 : e1, eqn16(hay + base + r2, v2)));
      while (mask != 0) {
        unsigned bit = 63u - (unsigned)__builtin_clzll(mask);
        size_t at = base + (bit >> 2);
        if (memcmp(hay + at, nd->s, k) == 0) return (int64_t)at;
        mask &= ~((uint64_t)1 << bit);
      }
    }
  }
  return end == 0 ? -1 : rfind_scalar(hay, end + k - 1, nd);
}

// Counts bytes equal to c: compare results (-1 per match) accumulate in byte
// lanes for at most 255 blocks, then are summed across the vector (at most
// 255 * 16, which a 16-bit sum holds).
static uint64_t
count_byte_neon(const uint8_t *hay, size_t n, uint8_t c) {
  const uint8x16_t needle = vdupq_n_u8(c);
  uint64_t total = 0;
  size_t i = 0;
  while (n - i >= 16) {
    size_t blocks = (n - i) / 16;
    if (blocks > 255) blocks = 255;
    uint8x16_t lanes = vdupq_n_u8(0);
    for (size_t b = 0; b < blocks; b++, i += 16)
      lanes = vsubq_u8(lanes, vceqq_u8(vld1q_u8(hay + i), needle));
    total += vaddlvq_u8(lanes);
  }
  return total + count_byte_scalar(hay + i, n - i, c);
}

#endif // MM_NEON

// Dispatch --------------------------------------------------------------------

typedef struct mm_kernels_s {
  int64_t (*find)(const uint8_t *, size_t, const mm_needle_t *);  // k >= 2
  int64_t (*rfind)(const uint8_t *, size_t, const mm_needle_t *); // k >= 1
  uint64_t (*count_byte)(const uint8_t *, size_t, uint8_t);
} mm_kernels_t;

static const mm_kernels_t scalar = {find_scalar, rfind_scalar, count_byte_scalar};
#ifdef MM_X86
static const mm_kernels_t sse2 = {find_sse2, rfind_sse2, count_byte_sse2};
static const mm_kernels_t search_avx2 = {find_avx2, rfind_avx2, count_byte_avx2};
#endif
#ifdef MM_NEON
static const mm_kernels_t neon = {find_neon, rfind_neon, count_byte_neon};
#endif

// Set once, before any search runs concurrently; a plain pointer is enough
// because every value it takes is a valid table.
static const mm_kernels_t *search_kernels = NULL;
static int kernel_level = MM_KERNEL_SCALAR;

static int
best_level(void) {
#ifdef MM_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) return MM_KERNEL_AVX2;
  return MM_KERNEL_SSE2;
#elif defined(MM_NEON)
  return MM_KERNEL_NEON; // AdvSIMD is part of every ARMv8-A CPU
#else
  return MM_KERNEL_SCALAR;
#endif
}

// Whether this CPU can run the kernels of a level: the x86 levels are
// ordered (AVX2 implies SSE2); NEON stands beside them.
static int
level_ok(int level) {
  int best = best_level();
  if (level == MM_KERNEL_SCALAR) return 1;
  if (level == MM_KERNEL_NEON || best == MM_KERNEL_NEON) return level == best;
  return level >= MM_KERNEL_SCALAR && level <= best;
}

int
mm_search_set_kernel(int level) {
  if (level == MM_KERNEL_AUTO) level = best_level();
  if (!level_ok(level)) return -1;
  switch (level) {
#ifdef MM_X86
  case MM_KERNEL_AVX2:
    search_kernels = &search_avx2;
    break;
  case MM_KERNEL_SSE2:
    search_kernels = &sse2;
    break;
#endif
#ifdef MM_NEON
  case MM_KERNEL_NEON:
    search_kernels = &neon;
    break;
#endif
  default:
    search_kernels = &scalar;
  }
  kernel_level = level;
  return level;
}

int
mm_search_kernel(void) {
  if (search_kernels == NULL) mm_search_set_kernel(MM_KERNEL_AUTO);
  return kernel_level;
}

static const mm_kernels_t *
get_kernels(void) {
  if (search_kernels == NULL) mm_search_set_kernel(MM_KERNEL_AUTO);
  return search_kernels;
}

int64_t
mm_find(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k) {
  if (k == 0) return 0;
  if (k > n) return -1;
  // glibc's memchr is already vectorised; a single byte needs nothing more.
  if (k == 1) return find_byte(hay, n, needle[0]);
  mm_needle_t nd;
  plan(&nd, needle, k);
  return get_kernels()->find(hay, n, &nd);
}

int64_t
mm_rfind(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k) {
  if (k == 0) return (int64_t)n;
  if (k > n) return -1;
  mm_needle_t nd;
  plan(&nd, needle, k);
  return get_kernels()->rfind(hay, n, &nd);
}

uint64_t
mm_count(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k) {
  if (k == 0) return (uint64_t)n + 1;
  if (k > n) return 0;
  if (k == 1) return get_kernels()->count_byte(hay, n, needle[0]);
  const mm_kernels_t *kernels = get_kernels();
  mm_needle_t nd;
  plan(&nd, needle, k);
  uint64_t count = 0;
  size_t i = 0;
  while (n - i >= k) {
    int64_t at = kernels->find(hay + i, n - i, &nd);
    if (at < 0) break;
    count++;
    i += (size_t)at + k; // non-overlapping: resume after the match
  }
  return count;
}

uint64_t
mm_count_span(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k, size_t starts,
              size_t *resume) {
  *resume = starts;
  // A match starting before `starts` ends at most k - 1 bytes past it.
  if (starts < n && n - starts > k - 1) n = starts + k - 1;
  if (k > n) return 0;
  // Single bytes never overlap and never end past `starts`.
  if (k == 1) return get_kernels()->count_byte(hay, n, needle[0]);
  const mm_kernels_t *kernels = get_kernels();
  mm_needle_t nd;
  plan(&nd, needle, k);
  uint64_t count = 0;
  size_t i = 0;
  while (n - i >= k) {
    int64_t at = kernels->find(hay + i, n - i, &nd);
    if (at < 0) break;
    count++;
    i += (size_t)at + k;
  }
  if (i > *resume) *resume = i;
  return count;
}
