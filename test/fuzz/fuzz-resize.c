// fuzz-resize.c: libFuzzer target: sequences of resizes, writes and syncs on anonymous maps
// (private and shared) through the core and posix.c, checking the bytes against a model;
// with retiring on or off (mm_map_t.retire), checking that each tombstone reads as zeros.
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../../src/mmap.h"

// Each tombstone the last call left must be readable and writable zeros;
// then it is given back.
static void
check_retired(mm_map_t *m) {
  for (int i = 0; i < m->tombstone_count; i++) {
    volatile uint8_t *p = m->tombstones[i].base;
    size_t n = m->tombstones[i].length;
    if (n == 0 || p[0] != 0 || p[n - 1] != 0) abort();
    p[n / 2] = 1;
    mm_tombstone_free(m->tombstones[i]);
  }
  m->tombstone_count = 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  const size_t page = mm_page_size();
  mm_options_t opts;
  memset(&opts, 0, sizeof(opts));
  opts.fd = MM_NO_FD;
  opts.length = 1 + data[0] % (3 * page);
  opts.access = MM_ACCESS_DEFAULT;
  opts.flags = (data[1] & 1) ? MAP_PRIVATE : MAP_SHARED;
  opts.prot = PROT_READ | PROT_WRITE;
  mm_map_t m;
  mm_error_t err;
  if (mm_map_open(&m, &opts, &err) < 0) abort();
  size_t cap = 8 * page;
  uint8_t *model = calloc(1, cap);
  size_t length = opts.length;
  for (size_t i = 2; i + 2 < size; i += 3) {
    uint8_t op = data[i] % 5;
    size_t arg = ((size_t)data[i + 1] << 8 | data[i + 2]) % cap;
    if (op == 0) {
      int moved;
      if (mm_map_resize(&m, arg, &moved, &err) < 0) abort();
      check_retired(&m);
      if (arg > length) memset(model + length, 0, arg - length);
      length = arg;
    } else if (op == 1 && length > 0) {
      size_t at = arg % length;
      m.data[at] = data[i + 2];
      model[at] = data[i + 2];
    } else if (op == 2) {
      if (mm_map_sync(&m, arg % (length + 1), 0, 0, &err) < 0) abort();
    } else if (op == 3 && length > 0) {
      size_t at = arg % length, n = length - at;
      if (mm_map_advise(&m, MADV_NORMAL, at, n, &err) < 0) abort();
    } else if (op == 4) {
      m.retire = !m.retire;
    }
    if (m.length != length || memcmp(m.data, model, length) != 0) abort();
  }
  mm_map_close(&m, &err);
  check_retired(&m);
  free(model);
  return 0;
}
