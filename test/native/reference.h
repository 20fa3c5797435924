// reference.h: naive find, rfind and count with Python's bytes semantics (an empty needle is
// counted n + 1 times; find and rfind leave k == 0 to the caller), the reference the C harnesses
// compare with.
#ifndef MM_TEST_REFERENCE_H
#define MM_TEST_REFERENCE_H

#include <stdint.h>
#include <string.h>

static int64_t
naive_find(const uint8_t *h, size_t n, const uint8_t *s, size_t k) {
  if (k > n) return -1;
  for (size_t i = 0; i + k <= n; i++)
    if (memcmp(h + i, s, k) == 0) return (int64_t)i;
  return -1;
}

static int64_t
naive_rfind(const uint8_t *h, size_t n, const uint8_t *s, size_t k) {
  if (k > n) return -1;
  for (size_t i = n - k + 1; i-- > 0;)
    if (memcmp(h + i, s, k) == 0) return (int64_t)i;
  return -1;
}

static uint64_t
naive_count(const uint8_t *h, size_t n, const uint8_t *s, size_t k) {
  if (k == 0) return (uint64_t)n + 1;
  uint64_t c = 0;
  for (size_t i = 0; i + k <= n;) {
    if (memcmp(h + i, s, k) == 0) {
      c++;
      i += k;
    } else {
      i++;
    }
  }
  return c;
}

#endif
