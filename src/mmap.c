// mmap.c: the portable core: alignment of offsets, zero-length maps, range checks; the OS calls
// live in posix.c / win32.c.
#include "mmap.h"
#include "platform.h"

#include <string.h>

// The data pointer of a map with no bytes. Never dereferenced: every access
// is range-checked against a length of 0 first.
static uint8_t empty_sentinel[1];

size_t
mm_page_size(void) {
  size_t page, granularity;
  mm__sizes(&page, &granularity);
  return page;
}

size_t
mm_granularity(void) {
  size_t page, granularity;
  mm__sizes(&page, &granularity);
  return granularity;
}

unsigned
mm_features(void) {
  return mm__features;
}

const mm_constant_t *
mm_constants(size_t *count) {
  return mm__constants(count);
}

int
mm_fd_from_int(int fd, mm_fd_t *out, mm_error_t *err) {
  if (fd == -1) {
    *out = MM_NO_FD;
    return 0;
  }
  return mm__fd_from_int(fd, out, err);
}

int
mm_file_info(mm_fd_t fd, uint64_t *size, int *regular, mm_error_t *err) {
  return mm__file_info(fd, size, regular, err);
}

void *
mm_big_alloc(size_t size) {
  return mm__big_alloc(size);
}

void
mm_big_free(void *p, size_t size) {
  mm__big_free(p, size);
}

void
mm_guard_reinstall(void) {
  mm__guard_reinstall();
}

void
mm_guard_step_aside(void) {
  mm__guard_step_aside();
}

void
mm_map_retire(mm_map_t *m, int on) {
  m->tombstone_count = 0;
  m->retire = on;
}

int
mm_map_tombstones(mm_map_t *m, mm_span_t *out) {
  int count = m->tombstone_count;
  for (int i = 0; i < count; i++)
    out[i] = m->tombstones[i];
  m->retire = 0;
  m->tombstone_count = 0;
  return count;
}

mm_span_t
mm_map_os_span(const mm_map_t *m) {
  mm_span_t span = {m->os_base, m->os_length};
  return span;
}

void
mm_tombstone_free(mm_span_t span) {
  mm__tombstone_free(span.base, span.length);
}

int
mm_map_open(mm_map_t *m, const mm_options_t *opts, mm_error_t *err) {
  memset(m, 0, sizeof(*m));
  m->fd = MM_NO_FD;
  m->anonymous = opts->fd == MM_NO_FD;
  m->access = opts->access;
  m->flags = opts->flags;
  m->prot = opts->prot;
  m->offset = opts->offset;
  m->data = empty_sentinel;
  m->lost_from = SIZE_MAX;

  // The OS wants the file offset to be a multiple of the granularity: map
  // from the multiple below and keep the difference as the skew, so data is
  // os_base + skew. skew < granularity, so the sum below only overflows for
  // lengths no address space can hold.
  m->skew = (size_t)(opts->offset % mm_granularity());
  if (opts->length > SIZE_MAX - m->skew) return mm__fail(err, "mmap", MM_ERANGE);

  mm_fd_t owned = MM_NO_FD;
  if (!m->anonymous && opts->keep_fd) {
    int rc = mm__dup(opts->fd, &owned, err);
    if (rc < 0) return rc;
  }

  if (opts->length > 0) {
    m->os_length = m->skew + opts->length;
    int rc = mm__map(m, opts->fd, opts, err);
    if (rc < 0) {
      if (owned != MM_NO_FD) mm__close_fd(owned);
      m->os_length = 0;
      return rc;
    }
    m->data = (uint8_t *)m->os_base + m->skew;
    m->length = opts->length;
  }
  m->fd = owned;
  m->mapped = 1;
  if (!m->anonymous && m->os_base != NULL && mm__guard_add(m, err) < 0) {
    int code = err->code;
    mm_error_t ignored;
    mm_map_close(m, &ignored);
    return mm__fail(err, "mmap", code);
  }
  return 0;
}

int
mm_map_close(mm_map_t *m, mm_error_t *err) {
  int rc = 0;
  if (!m->mapped) return 0;
  // While views may reach the memory, the map's record stays in force until
  // the memory is a tombstone with a record of its own (see mm__unmap);
  // otherwise nothing can touch it, and the record goes first.
  int keep = mm__guard_keeps && m->retire;
  if (!keep) mm__guard_remove(m);
  if (m->os_base != NULL) rc = mm__unmap(m, err);
  mm__guard_remove(m);
  if (m->fd != MM_NO_FD) mm__close_fd(m->fd);
  m->fd = MM_NO_FD;
  m->os_base = NULL;
  m->os_length = 0;
  m->data = empty_sentinel;
  m->length = 0;
  m->mapped = 0;
  return rc;
}

int
mm_map_file_size(mm_map_t *m, uint64_t *size, mm_error_t *err) {
  int regular;
  if (m->anonymous) {
    *size = m->length;
    return 0;
  }
  if (m->fd == MM_NO_FD) return mm__fail(err, "fstat", MM_ENOFD);
  return mm__file_info(m->fd, size, &regular, err);
}

int
mm_map_sync(mm_map_t *m, size_t offset, size_t length, int flags, mm_error_t *err) {
  if (!mm_range_ok(offset, length, m->length)) return mm__fail(err, "msync", MM_ERANGE);
  if (length == 0) return 0;
  // A shared writable map whose range the file no longer covers cannot make
  // those bytes durable: they live in zero pages the guard put there.
  if (!m->anonymous && m->access != MM_ACCESS_READ && m->access != MM_ACCESS_COPY) {
    size_t backed = m->length;
    if (m->fd != MM_NO_FD) {
      size_t covered;
      int rc = mm_map_covered(m, &covered, err);
      if (rc < 0) return rc;
      backed = covered > m->skew ? covered - m->skew : 0;
    } else if (mm__guard_faults(m) != 0) {
      int rc = mm_map_backed(m, &backed, err);
      if (rc < 0) return rc;
    }
    if (!mm_range_ok(offset, length, backed)) return mm__fail(err, "msync", MM_ETRUNCATED);
    if (mm__guard_faults(m) != 0) {
      // Pages the guard replaced that the file covers again get the file's
      // pages back first (what was written to the zero pages is not the file's).
      int rc = mm_map_backed(m, &backed, err);
      if (rc < 0) return rc;
    }
  }
  return mm__sync(m, offset, length, flags, err);
}

int
mm_map_resize(mm_map_t *m, size_t length, int *moved, mm_error_t *err) {
  *moved = 0;
  if (length > SIZE_MAX - m->skew) return mm__fail(err, "mremap", MM_ERANGE);
  // The guard's record stays in force through the whole resize where the
  // platform allows (POSIX): views (I/O in flight on the thread pool) and
  // the resize itself (copying a private map, zeroing stale bytes) may touch
  // a page the file lost at any step; the platform moves it with the map
  // (see the guard's "Lifecycle"). Elsewhere it is dropped and made again.
  // Pages it replaced stay replaced through a remap; the check below gives
  // the file's bytes back to the ones a grown file covers again.
  // A file map with no record (length 0) gets one before anything is mapped:
  // one that could not be made afterwards would leave the memory unguarded.
  if (!m->anonymous && m->guard == NULL && length > 0) {
    int rc = mm__guard_add(m, err);
    if (rc < 0) return rc;
  }
  int keep = mm__guard_keeps && m->guard != NULL;
  if (!keep) mm__guard_remove(m);
  int rc = mm__resize(m, length, moved, err);
  if (m->length == 0) m->data = empty_sentinel;
  if (keep) mm__guard_update(m);
  if (!m->anonymous && m->os_base != NULL) {
    mm_error_t guard_err;
    size_t backed;
    int added = (keep && m->guard != NULL) || mm__guard_add(m, &guard_err) == 0;
    if (added && mm__guard_faults(m) != 0) (void)mm__guard_check(m, &backed, &guard_err);
  }
  return rc;
}

int
mm_map_covered(mm_map_t *m, size_t *covered, mm_error_t *err) {
  uint64_t size = 0;
  int regular;
  int rc = mm__file_info(m->fd, &size, &regular, err);
  if (rc < 0) return rc;
  // The OS mapping starts skew bytes before the user's offset in the file.
  uint64_t file_start = m->offset - m->skew;
  uint64_t bytes = size > file_start ? size - file_start : 0;
  *covered = bytes > m->os_length ? m->os_length : (size_t)bytes;
  return 0;
}

int
mm_map_backed(mm_map_t *m, size_t *backed, mm_error_t *err) {
  *backed = m->length;
  if (m->anonymous || mm__guard_faults(m) == 0) return 0;
  size_t os_backed;
  int rc = mm__guard_check(m, &os_backed, err);
  if (rc < 0) return rc;
  // The user's bytes start skew bytes into the OS mapping.
  size_t user = os_backed > m->skew ? os_backed - m->skew : 0;
  if (user < *backed) *backed = user;
  return 0;
}

int
mm_map_enter(mm_map_t *m, size_t start, size_t length, mm_call_t *call, mm_error_t *err) {
  call->start = start;
  call->length = length;
  call->active = 0;
  if (m->anonymous) return 0;
  // The bracket opens before the map's fault state is read: a page of the
  // range replaced from now on fails the call, one replaced before is seen
  // by the check below (see the guard's "Per-call attribution").
  mm__guard_begin(m->data + start, length);
  call->active = 1;
  // The guard's counts before the check: a zero run started from here on
  // (or still being made) is seen by mm_map_leave.
  call->runs = mm__guard_runs(m);
  call->faults = mm__guard_faults(m);
  if (call->faults != 0 || call->runs != 0) {
    size_t backed;
    int rc = mm_map_backed(m, &backed, err);
    if (rc == 0 && !mm_range_ok(start, length, backed)) rc = mm__fail(err, "mmap", MM_ETRUNCATED);
    if (rc < 0) {
      mm__guard_end();
      call->active = 0;
      return rc;
    }
  }
  return 0;
}

int
mm_map_check(mm_map_t *m, const mm_call_t *call, mm_error_t *err) {
  if (!call->active || mm__guard_here() == 0) return 0;
  if (mm__guard_here_truncated()) return mm__fail(err, "mmap", MM_ETRUNCATED);
  size_t backed;
  int rc = mm_map_backed(m, &backed, err);
  if (rc < 0) return rc;
  if (!mm_range_ok(call->start, call->length, backed)) return mm__fail(err, "mmap", MM_ETRUNCATED);
  return mm__guard_cause(m, err);
}

int
mm_map_leave(mm_map_t *m, mm_call_t *call, mm_error_t *err) {
  if (!call->active) return 0;
  // Every run the call may have read the zeros of has credited it by now
  // (see mm__guard_settle). Then the count, before the bracket ends (a run
  // made after it is not the call's).
  (void)mm__guard_settle(m);
  int rc = mm__guard_here() == 0 ? 0 : mm_map_check(m, call, err);
  // A zero run started or finished in this map while the call ran (one the
  // credit above may have missed: made after the call's slot was scanned)
  // reaches the call only if its range reaches the lowest replaced page,
  // which the guard lowers before it makes the run.
  if (rc == 0) {
    uint32_t runs = mm__guard_runs(m), faults = mm__guard_faults(m);
    if (runs != call->runs || faults != call->faults || runs != faults) {
      size_t lost = mm__guard_lost(m);
      size_t end = m->skew + call->start + call->length;
      if (call->length > 0 && lost != SIZE_MAX && end > lost)
        rc = mm__fail(err, "mmap", MM_ETRUNCATED);
    }
  }
  mm__guard_end();
  call->active = 0;
  return rc;
}

void
mm_map_probe_write(mm_map_t *m, size_t start, size_t length) {
  if (m->anonymous || length == 0) return;
  // One byte per page: from the byte at start, then the first byte of each
  // following page, while inside [start, start + length) (the caller checked
  // that range against the map).
  size_t page = mm_page_size();
  uintptr_t p = (uintptr_t)(m->data + start), end = p + length;
  while (p < end) {
    mm__probe_write((uint8_t *)p);
    p = p - p % page + page;
  }
}

int
mm_map_advise(mm_map_t *m, int advice, size_t start, size_t length, mm_error_t *err) {
  if (!mm_range_ok(start, length, m->length)) return mm__fail(err, "madvise", MM_ERANGE);
  if (m->os_base == NULL) return 0;
  return mm__advise(m, advice, start, length, err);
}

int
mm_map_set_name(mm_map_t *m, const char *name, mm_error_t *err) {
  if (m->os_base == NULL) return 0;
  return mm__set_name(m, name, err);
}

// The last index is start + (count - 1) * step, computed only once the
// product is known to fit, and compared by subtraction.
int
mm_step_ok(size_t start, int64_t step, size_t count, size_t limit) {
  if (count == 0) return 1;
  if (start >= limit) return 0;
  if (count == 1 || step == 0) return 1;
  uint64_t span = (uint64_t)(count - 1);
  uint64_t magnitude = step < 0 ? (uint64_t)0 - (uint64_t)step : (uint64_t)step;
  if (magnitude > UINT64_MAX / span) return 0;
  uint64_t distance = span * magnitude;
  return step < 0 ? distance <= start : distance <= limit - 1 - start;
}

void
mm_step_span(size_t start, int64_t step, size_t count, size_t *lo, size_t *span) {
  uint64_t magnitude = step < 0 ? (uint64_t)0 - (uint64_t)step : (uint64_t)step;
  size_t distance = count == 0 ? 0 : (size_t)((count - 1) * magnitude);
  *lo = step < 0 ? start - distance : start;
  *span = count == 0 ? 0 : distance + 1;
}

// Residency -------------------------------------------------------------------

int
mm_map_prefetch(mm_map_t *m, size_t start, size_t length, mm_error_t *err) {
  if (!mm_range_ok(start, length, m->length)) return mm__fail(err, "madvise", MM_ERANGE);
  if (m->os_base == NULL || length == 0) return 0;
  return mm__prefetch(m, start, length, err);
}

void
mm_map_prefetch_hint(mm_map_t *m, size_t start, size_t length) {
  if (!mm_range_ok(start, length, m->length) || m->os_base == NULL || length == 0) return;
  mm__prefetch_hint(m, start, length);
}

int
mm_map_residency(mm_map_t *m, size_t start, size_t length, uint64_t *resident, uint64_t *total,
                 mm_error_t *err) {
  *resident = 0;
  *total = 0;
  if (!mm_range_ok(start, length, m->length)) return mm__fail(err, "mincore", MM_ERANGE);
  if (m->os_base == NULL || length == 0) return 0;
  return mm__residency(m, start, length, resident, total, err);
}

int
mm_map_lock(mm_map_t *m, size_t start, size_t length, mm_error_t *err) {
  if (!mm_range_ok(start, length, m->length)) return mm__fail(err, "mlock", MM_ERANGE);
  if (m->os_base == NULL || length == 0) return 0;
  return mm__lock(m, start, length, err);
}

int
mm_map_unlock(mm_map_t *m, size_t start, size_t length, mm_error_t *err) {
  if (!mm_range_ok(start, length, m->length)) return mm__fail(err, "munlock", MM_ERANGE);
  if (m->os_base == NULL || length == 0) return 0;
  return mm__unlock(m, start, length, err);
}
