// fuzz-search.c: libFuzzer target: find, rfind and count on every kernel level against a naive
// reference, on haystacks in allocations that end exactly where they end (ASan catches over-reads).
#include <stdlib.h>
#include <string.h>

#include "../../src/mmap.h"
#include "../native/reference.h"

// Input: one byte of needle length (mod 80), then the needle, then the haystack.
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t k = data[0] % 80;
  data++;
  size--;
  if (k > size) k = size;
  size_t n = size - k;
  uint8_t *needle = malloc(k ? k : 1), *hay = malloc(n ? n : 1);
  memcpy(needle, data, k);
  memcpy(hay, data + k, n);
  int64_t ef = k == 0 ? 0 : naive_find(hay, n, needle, k);
  int64_t er = k == 0 ? (int64_t)n : naive_rfind(hay, n, needle, k);
  uint64_t ec = naive_count(hay, n, needle, k);
  for (int level = MM_KERNEL_SCALAR; level <= MM_KERNEL_NEON; level++) {
    if (mm_search_set_kernel(level) != level) continue;
    if (mm_find(hay, n, needle, k) != ef) abort();
    if (mm_rfind(hay, n, needle, k) != er) abort();
    if (mm_count(hay, n, needle, k) != ec) abort();
  }
  free(needle);
  free(hay);
  return 0;
}
