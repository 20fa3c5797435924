// bytes.c: the core's byte operations on a map (get/set, read and write with or without a step,
// move, find/rfind/count, lines): each checks its range, brackets its touches for the fault guard
// and probes pages before it writes. No OS calls; no Node-API.
#include "mmap.h"
#include "platform.h"

#include <stdlib.h>
#include <string.h>

// Before writing [start, start + length) inside the call's range: every page
// is touched for writing first, so a page that cannot be backed fails the
// call (and ends it) before any byte changes.
static int
prepare_write(mm_map_t *m, size_t start, size_t length, mm_call_t *call, mm_error_t *err) {
  mm_map_probe_write(m, start, length);
  int rc = mm_map_check(m, call, err);
  if (rc == 0) return 0;
  mm_error_t ignored;
  mm_map_leave(m, call, &ignored);
  return rc;
}

// A range [start, end) of the map: end inside it, start not past end.
static int
span_ok(const mm_map_t *m, size_t start, size_t end) {
  return end <= m->length && start <= end;
}

int
mm_map_range(const mm_map_t *m, size_t start, size_t length, mm_error_t *err) {
  return mm_range_ok(start, length, m->length) ? 0 : mm__fail(err, "mmap", MM_ERANGE);
}

int
mm_map_view(mm_map_t *m, size_t start, size_t length, uint8_t **p, mm_error_t *err) {
  if (length == 0 || !mm_range_ok(start, length, m->length))
    return mm__fail(err, "mmap", MM_ERANGE);
  *p = m->data + start;
  return 0;
}

int
mm_map_get(mm_map_t *m, size_t index, uint8_t *out, mm_error_t *err) {
  if (index >= m->length) return mm__fail(err, "mmap", MM_ERANGE);
  mm_call_t call;
  int rc = mm_map_enter(m, index, 1, &call, err);
  if (rc < 0) return rc;
  *out = m->data[index];
  return mm_map_leave(m, &call, err);
}

int
mm_map_set(mm_map_t *m, size_t index, int value, mm_error_t *err) {
  if (index >= m->length || value < 0 || value > 255) return mm__fail(err, "mmap", MM_ERANGE);
  mm_call_t call;
  int rc = mm_map_enter(m, index, 1, &call, err);
  if (rc == 0) rc = prepare_write(m, index, 1, &call, err);
  if (rc < 0) return rc;
  m->data[index] = (uint8_t)value;
  return mm_map_leave(m, &call, err);
}

int
mm_map_read(mm_map_t *m, size_t start, size_t length, uint8_t *dst, mm_error_t *err) {
  if (!mm_range_ok(start, length, m->length)) return mm__fail(err, "mmap", MM_ERANGE);
  mm_call_t call;
  int rc = mm_map_enter(m, start, length, &call, err);
  if (rc < 0) return rc;
  if (length > 0) memcpy(dst, m->data + start, length);
  return mm_map_leave(m, &call, err);
}

int
mm_map_copy(mm_map_t *m, size_t start, size_t length, mm_sink_t sink, void *ctx, mm_error_t *err) {
  if (!mm_range_ok(start, length, m->length)) return mm__fail(err, "mmap", MM_ERANGE);
  mm_call_t call;
  int rc = mm_map_enter(m, start, length, &call, err);
  if (rc < 0) return rc;
  // The sink may want the source's offset within a page (see mm_sink_t).
  size_t lead = (uintptr_t)(m->data + start) % mm_page_size();
  uint8_t *dst = sink(ctx, length, lead);
  if (dst == NULL) {
    mm_error_t ignored;
    mm_map_leave(m, &call, &ignored);
    return mm__fail(err, "mmap", MM_ECALLER);
  }
  if (length > 0) memcpy(dst, m->data + start, length);
  return mm_map_leave(m, &call, err);
}

int
mm_map_copy_step(mm_map_t *m, size_t start, int64_t step, size_t count, mm_sink_t sink, void *ctx,
                 mm_error_t *err) {
  if (!mm_step_ok(start, step, count, m->length)) return mm__fail(err, "mmap", MM_ERANGE);
  uint8_t *dst = sink(ctx, count, 0);
  if (dst == NULL) return mm__fail(err, "mmap", MM_ECALLER);
  size_t lo, span;
  mm_call_t call;
  mm_step_span(start, step, count, &lo, &span);
  int rc = mm_map_enter(m, lo, span, &call, err);
  if (rc < 0) return rc;
  // mm_step_ok proved every index start + i * step lies inside the map.
  const uint8_t *src = m->data;
  int64_t at = (int64_t)start;
  for (size_t i = 0; i < count; i++, at += step)
    dst[i] = src[at];
  return mm_map_leave(m, &call, err);
}

int
mm_map_write(mm_map_t *m, size_t start, const uint8_t *src, size_t length, mm_error_t *err) {
  if (!mm_range_ok(start, length, m->length)) return mm__fail(err, "mmap", MM_ERANGE);
  mm_call_t call;
  int rc = mm_map_enter(m, start, length, &call, err);
  if (rc == 0) rc = prepare_write(m, start, length, &call, err);
  if (rc < 0) return rc;
  // The source may be a view of this very map, so the ranges may overlap.
  if (length > 0) memmove(m->data + start, src, length);
  return mm_map_leave(m, &call, err);
}

int
mm_map_write_step(mm_map_t *m, size_t start, int64_t step, size_t count, const uint8_t *src,
                  size_t n, mm_error_t *err) {
  if (n != count || !mm_step_ok(start, step, count, m->length))
    return mm__fail(err, "mmap", MM_ERANGE);
  if (count == 0) return 0;
  // The source may alias the map: copy it first so every byte written is
  // the value it had before the call, as Python's memoryview copy does.
  uint8_t *copy = malloc(count);
  if (copy == NULL) return mm__fail(err, "malloc", MM_ENOMEM);
  memcpy(copy, src, count);
  size_t lo, span;
  mm_call_t call;
  mm_step_span(start, step, count, &lo, &span);
  int rc = mm_map_enter(m, lo, span, &call, err);
  if (rc == 0) rc = prepare_write(m, lo, span, &call, err);
  if (rc == 0) {
    int64_t at = (int64_t)start;
    for (size_t i = 0; i < count; i++, at += step)
      m->data[at] = copy[i];
    rc = mm_map_leave(m, &call, err);
  }
  free(copy);
  return rc;
}

int
mm_map_move(mm_map_t *m, size_t dest, size_t src, size_t count, mm_error_t *err) {
  if (!mm_range_ok(dest, count, m->length) || !mm_range_ok(src, count, m->length))
    return mm__fail(err, "mmap", MM_ERANGE);
  // One range covers both source and destination; both lie inside the map,
  // so the larger start plus count does too.
  size_t lo = src < dest ? src : dest, hi = (src < dest ? dest : src) + count;
  mm_call_t call;
  int rc = mm_map_enter(m, lo, hi - lo, &call, err);
  if (rc == 0) rc = prepare_write(m, dest, count, &call, err);
  if (rc < 0) return rc;
  if (count > 0) memmove(m->data + dest, m->data + src, count);
  return mm_map_leave(m, &call, err);
}

int
mm_map_visit(mm_map_t *m, size_t start, size_t end, mm_visit_t visit, void *ctx, mm_error_t *err) {
  if (!span_ok(m, start, end)) return mm__fail(err, "mmap", MM_ERANGE);
  mm_call_t call;
  int rc = mm_map_enter(m, start, end - start, &call, err);
  if (rc < 0) return rc;
  if (visit(ctx, m->data + start, end - start) != 0) {
    mm_error_t ignored;
    mm_map_leave(m, &call, &ignored);
    return mm__fail(err, "mmap", MM_ECALLER);
  }
  return mm_map_leave(m, &call, err);
}

// find (kind 0), rfind (1) or count (2) over [start, end).
static int
search(mm_map_t *m, int kind, size_t start, size_t end, const uint8_t *needle, size_t k,
       int64_t *at, uint64_t *count, mm_error_t *err) {
  if (!span_ok(m, start, end)) return mm__fail(err, "mmap", MM_ERANGE);
  const uint8_t *hay = m->data + start;
  size_t n = end - start;
  mm_call_t call;
  int rc = mm_map_enter(m, start, n, &call, err);
  if (rc < 0) return rc;
  if (kind == 2) {
    *count = mm_count(hay, n, needle, k);
  } else {
    int64_t found = kind == 0 ? mm_find(hay, n, needle, k) : mm_rfind(hay, n, needle, k);
    *at = found < 0 ? -1 : (int64_t)((uint64_t)found + start);
  }
  return mm_map_leave(m, &call, err);
}

int
mm_map_find(mm_map_t *m, size_t start, size_t end, const uint8_t *needle, size_t k, int64_t *at,
            mm_error_t *err) {
  return search(m, 0, start, end, needle, k, at, NULL, err);
}

int
mm_map_rfind(mm_map_t *m, size_t start, size_t end, const uint8_t *needle, size_t k, int64_t *at,
             mm_error_t *err) {
  return search(m, 1, start, end, needle, k, at, NULL, err);
}

int
mm_map_count(mm_map_t *m, size_t start, size_t end, const uint8_t *needle, size_t k,
             uint64_t *count, mm_error_t *err) {
  return search(m, 2, start, end, needle, k, NULL, count, err);
}

int
mm_map_line_length(mm_map_t *m, size_t pos, size_t *length, mm_error_t *err) {
  size_t backed;
  int rc = mm_map_backed(m, &backed, err);
  if (rc < 0) return rc;
  *length = 0;
  if (pos >= m->length) return 0;
  // The line's end is looked for only in the part the file backs: the line
  // may end well before the lost part.
  size_t rest = (pos < backed ? backed : pos) - pos;
  const uint8_t newline = '\n';
  mm_call_t call;
  rc = mm_map_enter(m, pos, rest, &call, err);
  if (rc < 0) return rc;
  int64_t at = mm_find(m->data + pos, rest, &newline, 1);
  rc = mm_map_leave(m, &call, err);
  if (rc < 0) return rc;
  *length = at < 0 ? rest : (size_t)at + 1;
  if (at < 0 && backed < m->length) return mm__fail(err, "mmap", MM_ETRUNCATED);
  return 0;
}

int
mm_map_readline(mm_map_t *m, size_t pos, mm_sink_t sink, void *ctx, mm_error_t *err) {
  size_t length;
  int rc = mm_map_line_length(m, pos, &length, err);
  if (rc < 0) return rc;
  return mm_map_copy(m, pos, length, sink, ctx, err);
}

int
mm_map_readline_into(mm_map_t *m, size_t pos, uint8_t *buf, size_t size, size_t at, size_t *length,
                     mm_error_t *err) {
  size_t backed;
  *length = 0;
  int rc = mm_map_backed(m, &backed, err);
  if (rc < 0 || pos >= m->length) return rc;
  size_t rest = (pos < backed ? backed : pos) - pos;
  size_t room = buf != NULL && at <= size ? size - at : 0;
  // One bracket for the scan and the copy (a bracket's bookkeeping costs
  // more than a short line's scan); it covers [pos, pos + rest), every byte
  // the scan may read (memchr reads past the line only within its page).
  mm_call_t call;
  rc = mm_map_enter(m, pos, rest, &call, err);
  if (rc < 0) return rc;
  const uint8_t *nl = rest > 0 ? memchr(m->data + pos, '\n', rest) : NULL;
  size_t n = nl == NULL ? rest : (size_t)(nl - (m->data + pos)) + 1;
  int copied = n > 0 && n <= room;
  if (copied) memcpy(buf + at, m->data + pos, n);
  rc = mm_map_leave(m, &call, err);
  if (rc < 0) return rc;
  // The line runs into the part of the map the file no longer backs.
  if (nl == NULL && backed < m->length) return mm__fail(err, "mmap", MM_ETRUNCATED);
  *length = n;
  return copied;
}

int
mm_map_line_ends(mm_map_t *m, size_t start, size_t end, double *out, size_t size, size_t at,
                 size_t *count, mm_error_t *err) {
  if (!span_ok(m, start, end) || at > size) return mm__fail(err, "mmap", MM_ERANGE);
  mm_call_t call;
  int rc = mm_map_enter(m, start, end - start, &call, err);
  if (rc < 0) return rc;
  size_t scanned;
  *count =
      mm_lines_scan(m->data + start, end - start, (uint64_t)start, out + at, size - at, &scanned);
  return mm_map_leave(m, &call, err);
}
