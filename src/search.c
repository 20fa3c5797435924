// search.c: byte-string search kernels for find, rfind and count (portable C; no OS calls).
#include "mmap.h"

#include <string.h>

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

int64_t
mm_find(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k) {
  if (k == 0) return 0;
  if (k > n) return -1;
  if (k == 1) {
    const uint8_t *p = memchr(hay, needle[0], n);
    return p == NULL ? -1 : (int64_t)(p - hay);
  }
  // Candidates are the positions i in [0, n - k] whose first byte matches;
  // memchr looks only at [i, n - k], so the memcmp of k bytes from a
  // candidate ends at or before hay + n.
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

int64_t
mm_rfind(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k) {
  if (k == 0) return (int64_t)n;
  if (k > n) return -1;
  // Candidates start in [0, n - k]; the scan covers that range from its end.
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

uint64_t
mm_count(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k) {
  if (k == 0) return (uint64_t)n + 1;
  if (k > n) return 0;
  uint64_t count = 0;
  if (k == 1) {
    const uint8_t c = needle[0];
    for (size_t i = 0; i < n; i++)
      count += hay[i] == c;
    return count;
  }
  size_t i = 0;
  while (i <= n - k) {
    int64_t at = mm_find(hay + i, n - i, needle, k);
    if (at < 0) break;
    count++;
    i += (size_t)at + k; // non-overlapping: resume after the match
  }
  return count;
}
