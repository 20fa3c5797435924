// platform.h: what each platform file (posix.c, win32.c) provides to the core (mm__*).
#ifndef MM_PLATFORM_H
#define MM_PLATFORM_H

#include "mmap.h"

// Every function returns 0 or a negative code and, on failure, fills err with
// the code and the portable name of the operation that failed.

// Page size and the alignment a mapping's file offset needs.
void mm__sizes(size_t *page_size, size_t *granularity);

const mm_constant_t *mm__constants(size_t *count);
int mm__fd_from_int(int fd, mm_fd_t *out, mm_error_t *err);
int mm__file_info(mm_fd_t fd, uint64_t *size, int *regular, mm_error_t *err);
int mm__dup(mm_fd_t fd, mm_fd_t *out, mm_error_t *err);
void mm__close_fd(mm_fd_t fd);

// Maps m->os_length bytes of fd (MM_NO_FD: anonymous memory) starting at the
// file offset m->offset - m->skew, with m->access, m->flags and m->prot, and
// sets m->os_base. m->os_length is never 0.
int mm__map(mm_map_t *m, mm_fd_t fd, const mm_options_t *opts, mm_error_t *err);
int mm__unmap(mm_map_t *m, mm_error_t *err);
// Writes [offset, offset + length) of the user's range to the file: msync() with the
// caller's flags on POSIX (MS_SYNC: durably), always synchronously on Windows.
int mm__sync(mm_map_t *m, size_t offset, size_t length, int flags, mm_error_t *err);
// Resizes the map (and a file-backed map's file to offset + length). On
// failure nothing has changed. On success m->data/os_base may have moved
// (*moved is set to 1 when they did). length may be 0.
int mm__resize(mm_map_t *m, size_t length, int *moved, mm_error_t *err);
// 1 where mm__resize shrinks a mapping in place (POSIX), so the fault guard
// can keep covering it meanwhile; 0 where it maps it again (Windows).
extern const int mm__shrinks_in_place;
// What the platform can do: MM_FEATURE_* bits (see mm_features).
extern const unsigned mm__features;
int mm__advise(mm_map_t *m, int advice, size_t start, size_t length, mm_error_t *err);
int mm__set_name(mm_map_t *m, const char *name, mm_error_t *err);

// The fault guard: confined to this module's file-backed mappings, it turns a
// fault from a page the file no longer backs (SIGBUS on POSIX, an in-page
// error on Windows) into a counted, survivable event and leaves every other
// fault to whoever handled it before.
// Registers m's OS mapping (after it is made or moved); 0 or a negative code.
int mm__guard_add(mm_map_t *m, mm_error_t *err);
// Unregisters it (before it is unmapped or moved); on return no fault
// handler is still working on the range.
void mm__guard_remove(mm_map_t *m);
// 1 where a map's record can stay in force through a resize (and a close
// while views may still reach the memory, m->retire), moved with the map's
// range by mm__guard_update (POSIX); 0 where it is removed before and added
// after (Windows).
extern const int mm__guard_keeps;
// Moves m's record to m's current OS mapping (none: removes it).
void mm__guard_update(mm_map_t *m);
// Installs the guard again when someone else replaced it (a SIGBUS listener
// added or removed through libuv); a no-op before the first map, and on Windows.
void mm__guard_reinstall(void);
// Puts back the SIGBUS handler the guard took the place of, until the next
// mm__guard_reinstall (a runtime that inspects the handler before kill()ing
// itself); a no-op when the guard is not in front, and on Windows.
void mm__guard_step_aside(void);
// The calling thread's call bracket (see mm_call_t): pages inside
// [lo, lo + length) that the guard replaces between begin and end (on POSIX
// by a fault on any thread; on Windows on this thread) are counted for the
// call alone. Calls do not nest; a begin without an end is harmless (the
// next begin starts over).
void mm__guard_begin(const void *lo, size_t length);
// Faults counted for the current call so far, and whether one of them was a
// page past the file's end (0 where the platform cannot tell).
uint32_t mm__guard_here(void);
// Zero runs started in m so far (0 where the platform does not count them).
uint32_t mm__guard_runs(const mm_map_t *m);
// Waits until every zero run started in m so far has credited the calls it
// met (a handler on another thread may be between its run and its credit),
// then returns mm__guard_runs(m). A call's end reads it before
// mm__guard_here(), so a credit for a run whose zeros the call read is not
// still on its way.
uint32_t mm__guard_settle(const mm_map_t *m);
// The lowest OS-mapping offset the guard replaced (SIZE_MAX: none), read atomically.
size_t mm__guard_lost(const mm_map_t *m);
int mm__guard_here_truncated(void);
void mm__guard_end(void);
// Faults absorbed in m so far.
uint32_t mm__guard_faults(const mm_map_t *m);
// Why a page the file still covers could not be backed (a full disk: ENOSPC;
// otherwise EIO); fills err.
int mm__guard_cause(mm_map_t *m, mm_error_t *err);
// A write access to *p that leaves its value as it is, atomically (another
// process may be writing the same byte).
void mm__probe_write(uint8_t *p);
// How many bytes of the OS mapping (from os_base) the file backs now, after
// giving the file's pages back to any replaced part the file covers again.
int mm__guard_check(mm_map_t *m, size_t *backed, mm_error_t *err);

// Memory leaving a map (mm__unmap, a move or shrink in mm__resize) is
// retired as mm_map_t.retire says; this unmaps a tombstone left that way.
void mm__tombstone_free(void *base, size_t length);

// Memory for a large copy out of a map: page-aligned, backed by huge pages
// where the OS has them (faulting in fresh 4 KiB pages costs more than the
// copy itself). NULL when it cannot be had; the caller then uses the heap.
void *mm__big_alloc(size_t size);
void mm__big_free(void *p, size_t size);

// Named shared memory (Python's multiprocessing.shared_memory), in posix-shm.c
// and win32-shm.c. mm__shm_open creates (create: exclusively, `size` bytes;
// EEXIST for a name in use) or opens (ENOENT for a missing name) the block
// called `name` (Python's name: POSIX puts a '/' in front of it), and
// reports its size as the OS gives it. *holder keeps the block alive until
// the caller has mapped it and closes it with mm__close_fd: on POSIX the
// shm descriptor, which the caller maps; on Windows the section, which the
// caller maps again by name (an anonymous map with that tag name). `mode`
// is the POSIX permission bits (ignored on Windows).
int mm__shm_open(const char *name, int create, uint64_t size, int mode, mm_fd_t *holder,
                 uint64_t *size_out, mm_error_t *err);
// Removes the name (the block lives on while it is mapped); nothing on
// Windows, where the name goes with the last handle.
int mm__shm_unlink(const char *name, mm_error_t *err);

// Residency (prefetch, residency, lock) ----------------------------------------
// Each takes a range of the user's bytes that the core checked against the map.
// Starts reading [start, start + length) in without waiting (MADV_WILLNEED;
// Windows: PrefetchVirtualMemory); a hint, failures ignored.
void mm__prefetch_hint(mm_map_t *m, size_t start, size_t length);
// Brings [start, start + length) into memory and returns once it is resident
// (Linux: MADV_POPULATE_READ, else a touch of every page; Windows: a touch of
// every page). Runs on the thread pool inside the fault guard's bracket: a
// page the file no longer backs is touched, so the guard absorbs and counts it.
int mm__prefetch(mm_map_t *m, size_t start, size_t length, mm_error_t *err);
// Bytes of the whole pages covering the range that are in memory (mincore,
// QueryWorkingSetEx); *total receives the bytes of those pages.
int mm__residency(mm_map_t *m, size_t start, size_t length, uint64_t *resident, uint64_t *total,
                  mm_error_t *err);
// Pins the pages of the range in RAM (mlock, VirtualLock), or lets them go.
int mm__lock(mm_map_t *m, size_t start, size_t length, mm_error_t *err);
int mm__unlock(mm_map_t *m, size_t start, size_t length, mm_error_t *err);

// Fills err and returns its code.
static inline int
mm__fail(mm_error_t *err, const char *syscall, int code) {
  err->code = code;
  err->syscall = syscall;
  return code;
}

#endif
