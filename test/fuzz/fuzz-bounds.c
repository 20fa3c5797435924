// fuzz-bounds.c: libFuzzer target: the core's range arithmetic (mm_range_ok, mm_step_ok,
// mm_step_span) against the same questions answered in 128-bit arithmetic.
#include <stdlib.h>
#include <string.h>

#include "../../src/mmap.h"

typedef __int128 wide_t;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint64_t v[4] = {0, 0, 0, 0};
  memcpy(v, data, size < sizeof(v) ? size : sizeof(v));
  // Small values are where the edges are: fold some inputs into small ranges.
  size_t start = (size_t)v[0], count = (size_t)v[2], limit = (size_t)v[3];
  int64_t step = (int64_t)v[1];
  if (size > 32 && (data[32] & 1)) start %= 64, count %= 64, limit %= 64, step = step % 9;

  wide_t end = (wide_t)start + (wide_t)count;
  if (mm_range_ok(start, count, limit) != (end <= (wide_t)limit)) abort();

  int ok = 1;
  if (count > 0) {
    wide_t last = (wide_t)start + (wide_t)(count - 1) * (wide_t)step;
    ok = start < limit && last >= 0 && last < (wide_t)limit;
  }
  if (mm_step_ok(start, step, count, limit) != ok) abort();
  if (ok) {
    size_t lo, span;
    mm_step_span(start, step, count, &lo, &span);
    if (count == 0) {
      if (span != 0) abort();
    } else {
      wide_t last = (wide_t)start + (wide_t)(count - 1) * (wide_t)step;
      wide_t first = step < 0 ? last : (wide_t)start;
      wide_t top = step < 0 ? (wide_t)start : last;
      if ((wide_t)lo != first || (wide_t)span != top - first + 1) abort();
      if (!mm_range_ok(lo, span, limit)) abort();
    }
  }
  return 0;
}
