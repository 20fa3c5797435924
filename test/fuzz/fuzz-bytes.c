// fuzz-bytes.c: libFuzzer target: the core's byte operations (bytes.c: get/set, read, copy and
// write with and without a step, move, find/rfind/count, lines) on an anonymous map, with any
// offsets, lengths and steps, checked against a model array; out-of-range calls must fail with
// MM_ERANGE and change nothing.
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../../src/mmap.h"
#include "../native/reference.h"

typedef struct {
  uint8_t *mem;
  size_t cap;
} sink_t;

static uint8_t *
sink(void *ctx, size_t length, size_t lead) {
  sink_t *s = ctx;
  if (length > s->cap) return NULL;
  return s->mem;
}

static int
visit_sum(void *ctx, const uint8_t *bytes, size_t length) {
  uint64_t *sum = ctx;
  for (size_t i = 0; i < length; i++)
    *sum += bytes[i];
  return 0;
}

// A size or offset from the input: mostly near the map, sometimes huge.
static size_t
pick(const uint8_t *d, size_t length) {
  size_t v = (size_t)d[0] << 8 | d[1];
  if (d[2] == 0xff) return SIZE_MAX - v;
  return v % (length + 8);
}

// Fails the run unless rc is what a range check predicts.
static void
expect(int rc, int in_range, const mm_error_t *err) {
  if (in_range ? rc != 0 : (rc != MM_ERANGE || err->code != MM_ERANGE)) abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  mm_options_t opts;
  memset(&opts, 0, sizeof(opts));
  opts.fd = MM_NO_FD;
  opts.length = data[0] % 200;
  opts.access = MM_ACCESS_DEFAULT;
  opts.flags = MAP_PRIVATE;
  opts.prot = PROT_READ | PROT_WRITE;
  mm_map_t m;
  mm_error_t err;
  if (mm_map_open(&m, &opts, &err) < 0) abort();
  const size_t n = opts.length;
  uint8_t model[256] = {0}, out[512];
  sink_t s = {out, sizeof(out)};
  for (size_t i = 1; i + 8 <= size; i += 8) {
    const uint8_t *d = data + i;
    uint8_t op = d[0] % 12;
    size_t a = pick(d + 1, n), b = pick(d + 4, n);
    int64_t step = (int8_t)d[7] % 5;
    int rc;
    if (op == 0) {
      uint8_t v = 0;
      rc = mm_map_get(&m, a, &v, &err);
      expect(rc, a < n, &err);
      if (rc == 0 && v != model[a]) abort();
    } else if (op == 1) {
      int value = (int)d[7] - 2; // sometimes not a byte
      rc = mm_map_set(&m, a, value, &err);
      expect(rc, a < n && value >= 0 && value <= 255, &err);
      if (rc == 0) model[a] = (uint8_t)value;
    } else if (op == 2) {
      rc = mm_map_read(&m, a, b, out, &err);
      expect(rc, mm_range_ok(a, b, n), &err);
      if (rc == 0 && b > 0 && memcmp(out, model + a, b) != 0) abort();
    } else if (op == 3) {
      rc = mm_map_copy(&m, a, b, sink, &s, &err);
      expect(rc, mm_range_ok(a, b, n), &err);
      if (rc == 0 && b > 0 && memcmp(out, model + a, b) != 0) abort();
    } else if (op == 4) {
      size_t count = b % 64;
      int ok = mm_step_ok(a, step, count, n);
      rc = mm_map_copy_step(&m, a, step, count, sink, &s, &err);
      expect(rc, ok, &err);
      for (size_t j = 0; rc == 0 && j < count; j++)
        if (out[j] != model[(int64_t)a + (int64_t)j * step]) abort();
    } else if (op == 5) {
      // Writes the map's own bytes from elsewhere in it: the source aliases the map.
      size_t from = (size_t)d[7] % (n + 1);
      size_t len = b % (n + 1 - from);
      rc = mm_map_write(&m, a, m.data + from, len, &err);
      expect(rc, mm_range_ok(a, len, n), &err);
      if (rc == 0) memmove(model + a, model + from, len);
    } else if (op == 6) {
      size_t count = b % 64;
      int ok = mm_step_ok(a, step, count, n);
      uint8_t fresh[64], before[64];
      for (size_t j = 0; j < count; j++)
        fresh[j] = d[j % 8];
      int alias = (d[6] & 1) && count <= n; // the source is the map's own first bytes
      const uint8_t *src = alias ? m.data : fresh;
      memcpy(before, alias ? model : fresh, count);
      rc = mm_map_write_step(&m, a, step, count, src, count, &err);
      expect(rc, ok, &err);
      for (size_t j = 0; rc == 0 && j < count; j++)
        model[(int64_t)a + (int64_t)j * step] = before[j];
      if (count > 0 && mm_map_write_step(&m, 0, 1, count, src, count - 1, &err) != MM_ERANGE)
        abort();
    } else if (op == 7) {
      size_t count = (size_t)d[7] % (n + 2);
      rc = mm_map_move(&m, a, b, count, &err);
      expect(rc, mm_range_ok(a, count, n) && mm_range_ok(b, count, n), &err);
      if (rc == 0) memmove(model + a, model + b, count);
    } else if (op <= 10) {
      size_t k = d[7] % 4, lo = a < b ? a : b, hi = a < b ? b : a;
      uint8_t needle[4] = {'\n', d[5], d[6], 0};
      if ((d[6] & 1) && n >= k) memcpy(needle, model + d[5] % (n - k + 1), k); // one that occurs
      int ok = hi <= n;
      int64_t at = 0;
      uint64_t count = 0;
      if (op == 8) {
        rc = mm_map_find(&m, lo, hi, needle, k, &at, &err);
        int64_t want = ok ? naive_find(model + lo, hi - lo, needle, k) : -1;
        if (rc == 0 && at != (want < 0 ? -1 : want + (int64_t)lo)) abort();
      } else if (op == 9) {
        rc = mm_map_rfind(&m, lo, hi, needle, k, &at, &err);
        int64_t want = ok ? naive_rfind(model + lo, hi - lo, needle, k) : -1;
        if (rc == 0 && k > 0 && at != (want < 0 ? -1 : want + (int64_t)lo)) abort();
      } else {
        rc = mm_map_count(&m, lo, hi, needle, k, &count, &err);
        if (rc == 0 && ok && count != naive_count(model + lo, hi - lo, needle, k)) abort();
      }
      expect(rc, ok, &err);
      if (mm_map_find(&m, hi, lo, needle, k, &at, &err) != (lo == hi && ok ? 0 : MM_ERANGE))
        abort();
    } else {
      size_t length = 0;
      rc = mm_map_readline_into(&m, a, out, sizeof(out), b % 16, &length, &err);
      if (rc < 0) abort();
      size_t want = 0;
      if (a < n) {
        const uint8_t *nl = memchr(model + a, '\n', n - a);
        want = nl == NULL ? n - a : (size_t)(nl - (model + a)) + 1;
      }
      if (length != want || rc != (want > 0)) abort();
      if (rc == 1 && memcmp(out + b % 16, model + a, want) != 0) abort();
      double ends[8];
      size_t lo = a < b ? a : b, hi = a < b ? b : a, got = 0;
      rc = mm_map_line_ends(&m, lo, hi, ends, 8, d[7] % 10, &got, &err);
      expect(rc, hi <= n && d[7] % 10 <= 8, &err);
      for (size_t j = 0; rc == 0 && j < got; j++) {
        size_t end = (size_t)ends[d[7] % 10 + j];
        if (end <= lo || end > hi || model[end - 1] != '\n') abort();
      }
      uint64_t sum = 0, want_sum = 0;
      rc = mm_map_visit(&m, lo, hi, visit_sum, &sum, &err);
      expect(rc, hi <= n, &err);
      for (size_t j = lo; rc == 0 && j < hi; j++)
        want_sum += model[j];
      if (sum != want_sum) abort();
    }
    if (n > 0 && memcmp(m.data, model, n) != 0) abort();
  }
  if (mm_map_close(&m, &err) < 0) abort();
  return 0;
}
