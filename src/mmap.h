// mmap.h: the portable core of mmap-native (mm_*); no Node-API and no OS headers.
#ifndef MM_MMAP_H
#define MM_MMAP_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#ifdef _WIN32
typedef intptr_t mm_fd_t; // a HANDLE; -1 is INVALID_HANDLE_VALUE
#else
typedef int mm_fd_t;
#endif

#define MM_NO_FD ((mm_fd_t)-1)

// Python's access modes, with the same values.
enum { MM_ACCESS_DEFAULT = 0, MM_ACCESS_READ = 1, MM_ACCESS_WRITE = 2, MM_ACCESS_COPY = 3 };

// Errors are 0 or a negative code: -errno on POSIX (libuv's UV_E* values
// there), a libuv UV_E* value translated from GetLastError() on Windows.
// The module's own codes sit below every OS code:
#define MM_ETRUNCATED (-100001) // the file shrank under the map
#define MM_ERANGE (-100002)     // a range outside the map, or too large for the address space
#define MM_ENOFD (-100003)      // the map keeps no descriptor (trackfd false)
#define MM_ECALLER (-100004)    // the caller's callback failed (the caller knows why)
// Out of memory, as the OS's ENOMEM (libuv's UV_ENOMEM: -ENOMEM on POSIX).
#ifdef _WIN32
#define MM_ENOMEM (-4057)
#else
#define MM_ENOMEM (-ENOMEM)
#endif

typedef struct mm_error_s {
  int code;
  const char *syscall; // the portable operation: "mmap", "msync", "ftruncate", ...
} mm_error_t;

typedef struct mm_options_s {
  mm_fd_t fd;          // MM_NO_FD for anonymous memory
  uint64_t offset;     // any byte offset; aligned internally
  size_t length;       // bytes to map; 0 maps nothing (an empty map)
  int access;          // MM_ACCESS_*, already normalised (never DEFAULT for a read-only prot)
  int flags;           // POSIX mmap flags (MAP_SHARED, MAP_PRIVATE, ...); ignored on Windows
  int prot;            // POSIX PROT_* bits; ignored on Windows
  int keep_fd;         // 1: keep a duplicate of fd (Python's trackfd); 0: keep none
  const char *tagname; // Windows: the mapping object's name (UTF-8), or NULL
} mm_options_t;

// A range of the address space.
typedef struct mm_span_s {
  void *base;
  size_t length;
} mm_span_t;

// The most ranges one call can retire: a move and the undoing of a grow.
#define MM_TOMBSTONES_MAX 4

typedef struct mm_map_s {
  uint8_t *data;    // first byte the user sees; a sentinel when length is 0
  size_t length;    // bytes the user sees
  void *os_base;    // what the OS mapped (data - skew), NULL when nothing is mapped
  size_t os_length; // bytes the OS mapped (skew + length)
  size_t skew;      // offset % granularity: the map starts this far into os_base
  uint64_t offset;  // the user's file offset
  mm_fd_t fd;       // the descriptor the map owns, MM_NO_FD when none
  int anonymous;    // 1 for anonymous memory
  int access;       // MM_ACCESS_*
  int flags;        // flags given to the OS
  int prot;         // protection given to the OS
  int mapped;       // 0 once unmapped
  void *platform;   // per-platform state (Windows: the mapping handle and tag name)
  // Memory that leaves the map (close, a move, a shrink) while JavaScript may
  // still reach it (a view in use by I/O in flight, a transferred buffer):
  // while `retire` is set, the platform does not give it back to the OS but
  // replaces it with zero-filled private memory (a tombstone) and reports the
  // range here; the caller frees it with mm_tombstone_free once nothing can
  // reach it. A range that cannot be reported (the list is full) is unmapped.
  int retire;
  int tombstone_count;
  mm_span_t tombstones[MM_TOMBSTONES_MAX];
  // The fault guard's state (see mm_map_enter). Written by the guard on any
  // thread, read with atomic loads.
  void *guard;               // the guard's record of this map, NULL when not guarded
  volatile uint32_t faults;  // faults the guard has absorbed in this map
  volatile size_t lost_from; // lowest OS-mapping offset the guard replaced; SIZE_MAX: none
  volatile uint32_t runs;    // zero runs the guard started in this map (faults: finished)
  volatile uint32_t settled; // of those, the ones whose handler is done (credits landed)
} mm_map_t;

// A named platform constant (MAP_*, PROT_*, MADV_*) that JavaScript sees.
typedef struct mm_constant_s {
  const char *name;
  int value;
} mm_constant_t;

// The platform's constants; *count receives their number.
const mm_constant_t *mm_constants(size_t *count);

// What the platform can do, as bits of mm_features(): JavaScript asks these
// instead of the platform's name.
enum {
  MM_FEATURE_MAP_FLAGS = 1,    // mmap flags and prot (POSIX); otherwise access only
  MM_FEATURE_SYNC_FLAGS = 2,   // msync flags (MS_SYNC, MS_ASYNC, ...)
  MM_FEATURE_TAGNAME = 4,      // named mappings (Windows' tagname)
  MM_FEATURE_EXTENDS_FILE = 8, // a writable map past the file's end extends the file
};
unsigned mm_features(void);

// Page size and allocation granularity (they differ on Windows).
size_t mm_page_size(void);
size_t mm_granularity(void);

// The OS handle behind a descriptor number as JavaScript knows it (from
// fs.openSync): the number itself on POSIX, the C runtime's HANDLE on
// Windows. -1 gives MM_NO_FD (anonymous memory).
int mm_fd_from_int(int fd, mm_fd_t *out, mm_error_t *err);

// The file's size and whether it is a regular file.
int mm_file_info(mm_fd_t fd, uint64_t *size, int *regular, mm_error_t *err);

int mm_map_open(mm_map_t *m, const mm_options_t *opts, mm_error_t *err);
int mm_map_close(mm_map_t *m, mm_error_t *err);
int mm_map_file_size(mm_map_t *m, uint64_t *size, mm_error_t *err);
int mm_map_sync(mm_map_t *m, size_t offset, size_t length, int flags, mm_error_t *err);
int mm_map_resize(mm_map_t *m, size_t length, int *moved, mm_error_t *err);
int mm_map_advise(mm_map_t *m, int advice, size_t start, size_t length, mm_error_t *err);
int mm_map_set_name(mm_map_t *m, const char *name, mm_error_t *err);

// A call's bracket: what one operation on a map's bytes touches. It lives on
// the caller's stack and is used on one thread only.
typedef struct mm_call_s {
  size_t start, length;  // the part of the map the call touches
  int active;            // between a successful mm_map_enter and mm_map_leave
  uint32_t runs, faults; // the guard's counts when the call began
} mm_call_t;

// Every operation on a map's bytes runs between these two calls, on any
// thread (the JS thread, a libuv pool thread), one call at a time per thread:
//   mm_call_t call;
//   if (mm_map_enter(m, start, length, &call, &err) < 0) fail(err);
//   ... read or write m->data[start .. start + length) ...
//   if (mm_map_leave(m, &call, &err) < 0) fail(err); // discard the result
// A file that shrinks under its map makes touches of the lost pages fault;
// the platform's fault guard absorbs those faults (the lost pages read as
// zeros). mm_map_enter fails with MM_ETRUNCATED when a fault was ever seen in
// the map and [start, start + length) reaches past what the file now backs
// (giving back the file's bytes where it has grown again). mm_map_leave (and
// mm_map_check, which does not end the call) fails only for faults on this
// thread inside the call's own range since mm_map_enter: MM_ETRUNCATED when
// the range now reaches past the file's end, else the OS's reason the page
// could not be backed (ENOSPC on a full disk, EIO). Faults on other threads
// (views touched by pool threads, other calls) never fail a call. A call
// abandoned without mm_map_leave is harmless; the thread's next call starts
// over.
int mm_map_enter(mm_map_t *m, size_t start, size_t length, mm_call_t *call, mm_error_t *err);
int mm_map_check(mm_map_t *m, const mm_call_t *call, mm_error_t *err);
int mm_map_leave(mm_map_t *m, mm_call_t *call, mm_error_t *err);
// Touches every page of [start, start + length) for writing without changing
// a byte, so that a page the file cannot back (truncated, or a full disk)
// faults before an operation writes anything; mm_map_leave then tells.
void mm_map_probe_write(mm_map_t *m, size_t start, size_t length);
// How many bytes of the OS mapping (from os_base) the file behind m covers
// now (the platforms' fault guards ask it).
int mm_map_covered(mm_map_t *m, size_t *covered, mm_error_t *err);
// How many bytes from the start of the map the file backs: the map's length
// until a fault was seen, then what the file covers now.
int mm_map_backed(mm_map_t *m, size_t *backed, mm_error_t *err);

// Byte operations (bytes.c) ---------------------------------------------------
// Every operation on the bytes of a map goes through one of these. Each
// checks its range against the live map (MM_ERANGE), runs between
// mm_map_enter and mm_map_leave (MM_ETRUNCATED, or the OS's reason, when the
// file lost pages under it; the result is then to be discarded) and, before
// it writes, touches every page it will write (mm_map_probe_write), so a
// page that cannot be backed fails the call before any byte changes.

// Where a copy out of a map goes: called inside the call with the number of
// bytes and the source's offset within a page (a large copy runs fastest
// into a destination with the same offset); returns memory for that many
// bytes, or NULL when it could not have it (the call then fails with
// MM_ECALLER, and the sink has recorded why).
typedef uint8_t *(*mm_sink_t)(void *ctx, size_t length, size_t page_offset);
// Shown the bytes of a range in place, inside the call; nonzero: it failed
// (MM_ECALLER, as for a sink).
typedef int (*mm_visit_t)(void *ctx, const uint8_t *bytes, size_t length);

// 0 when [start, start + length) lies in the map, else MM_ERANGE.
int mm_map_range(const mm_map_t *m, size_t start, size_t length, mm_error_t *err);
// The address of [start, start + length), a non-empty range of the map, for
// a view over it (no touch).
int mm_map_view(mm_map_t *m, size_t start, size_t length, uint8_t **p, mm_error_t *err);
int mm_map_get(mm_map_t *m, size_t index, uint8_t *out, mm_error_t *err);
// value must be a byte (0..255), else MM_ERANGE.
int mm_map_set(mm_map_t *m, size_t index, int value, mm_error_t *err);
// Copies [start, start + length) to dst.
int mm_map_read(mm_map_t *m, size_t start, size_t length, uint8_t *dst, mm_error_t *err);
// Copies [start, start + length) to the memory sink gives.
int mm_map_copy(mm_map_t *m, size_t start, size_t length, mm_sink_t sink, void *ctx,
                mm_error_t *err);
// Copies the bytes at start, start + step, ... (count of them, a Python
// extended slice) to the memory sink gives (asked before the call begins).
int mm_map_copy_step(mm_map_t *m, size_t start, int64_t step, size_t count, mm_sink_t sink,
                     void *ctx, mm_error_t *err);
// Writes src to [start, start + length); src may lie in the map itself.
int mm_map_write(mm_map_t *m, size_t start, const uint8_t *src, size_t length, mm_error_t *err);
// Writes src[i] to start + i * step; n (src's length) must equal count. Each
// byte written is the value src had before the call, even where src aliases
// the map.
int mm_map_write_step(mm_map_t *m, size_t start, int64_t step, size_t count, const uint8_t *src,
                      size_t n, mm_error_t *err);
// memmove of count bytes from src to dest, both offsets in the map.
int mm_map_move(mm_map_t *m, size_t dest, size_t src, size_t count, mm_error_t *err);
// Shows [start, end) in place to visit.
int mm_map_visit(mm_map_t *m, size_t start, size_t end, mm_visit_t visit, void *ctx,
                 mm_error_t *err);
// The first / last match of needle in [start, end) as an offset in the map,
// or -1; and the number of non-overlapping matches (Python's count).
int mm_map_find(mm_map_t *m, size_t start, size_t end, const uint8_t *needle, size_t k, int64_t *at,
                mm_error_t *err);
int mm_map_rfind(mm_map_t *m, size_t start, size_t end, const uint8_t *needle, size_t k,
                 int64_t *at, mm_error_t *err);
int mm_map_count(mm_map_t *m, size_t start, size_t end, const uint8_t *needle, size_t k,
                 uint64_t *count, mm_error_t *err);
// The length of the line at pos: up to and including the next '\n', or to
// the end of the map (0 at or past the end). MM_ETRUNCATED when the line runs
// into a part of the map the file no longer backs.
int mm_map_line_length(mm_map_t *m, size_t pos, size_t *length, mm_error_t *err);
// The line at pos, copied to the memory sink gives.
int mm_map_readline(mm_map_t *m, size_t pos, mm_sink_t sink, void *ctx, mm_error_t *err);
// The line at pos: its length in *length, and copied to buf[at...] when it is
// not empty and fits in buf's size bytes (then 1, else 0; buf may be NULL).
int mm_map_readline_into(mm_map_t *m, size_t pos, uint8_t *buf, size_t size, size_t at,
                         size_t *length, mm_error_t *err);
// The offset just past each '\n' in [start, end), in order, written to
// out[at...] (out has size elements) until it is full; *count: how many.
int mm_map_line_ends(mm_map_t *m, size_t start, size_t end, double *out, size_t size, size_t at,
                     size_t *count, mm_error_t *err);

// Named shared memory (SharedMemory; see mm__shm_open in platform.h): the
// block's holder (a descriptor to map on POSIX, a section handle on Windows)
// and its size; mm_close_fd lets the holder go once the block is mapped.
int mm_shm_open(const char *name, int create, uint64_t size, int mode, mm_fd_t *holder,
                uint64_t *size_out, mm_error_t *err);
int mm_shm_unlink(const char *name, mm_error_t *err);
void mm_close_fd(mm_fd_t fd);

// Residency: each checks [start, start + length) against the map (MM_ERANGE)
// and does nothing for an empty range or map. See platform.h's mm__prefetch,
// mm__residency, mm__lock and mm__unlock.
int mm_map_prefetch(mm_map_t *m, size_t start, size_t length, mm_error_t *err);
void mm_map_prefetch_hint(mm_map_t *m, size_t start, size_t length);
int mm_map_residency(mm_map_t *m, size_t start, size_t length, uint64_t *resident, uint64_t *total,
                     mm_error_t *err);
int mm_map_lock(mm_map_t *m, size_t start, size_t length, mm_error_t *err);
int mm_map_unlock(mm_map_t *m, size_t start, size_t length, mm_error_t *err);
// Puts the fault guard back in front of the process's SIGBUS handling when
// someone replaced it (POSIX; nothing to do on Windows or before any map).
void mm_guard_reinstall(void);
// Hands SIGBUS back to the handler the guard replaced until mm_guard_reinstall.
void mm_guard_step_aside(void);

// Memory that leaves the map from now on (close, a move, a shrink) becomes a
// tombstone while on is 1 (see mm_map_t.retire), until mm_map_tombstones.
void mm_map_retire(mm_map_t *m, int on);
// The tombstones left since mm_map_retire (at most MM_TOMBSTONES_MAX, into out):
// their number. Retiring ends; the caller frees each with mm_tombstone_free.
int mm_map_tombstones(mm_map_t *m, mm_span_t *out);
// The OS mapping's range (base NULL when nothing is mapped).
mm_span_t mm_map_os_span(const mm_map_t *m);
// Gives a tombstone (see mm_map_t.retire) back to the OS.
void mm_tombstone_free(mm_span_t span);

// A page-aligned block for a large copy out of a map (NULL: use the heap),
// and its release. See mm__big_alloc.
void *mm_big_alloc(size_t size);
void mm_big_free(void *p, size_t size);

// Range checks shared by the bindings: 1 when [start, start + length) lies in
// [0, limit). They subtract, never add, so no sum can overflow.
static inline int
mm_range_ok(size_t start, size_t length, size_t limit) {
  return start <= limit && length <= limit - start;
}

// Whether the count indexes start, start + step, ... (a Python extended
// slice) all lie in [0, limit).
int mm_step_ok(size_t start, int64_t step, size_t count, size_t limit);
// The range [*lo, *lo + *span) those indexes cover, once mm_step_ok accepted them.
void mm_step_span(size_t start, int64_t step, size_t count, size_t *lo, size_t *span);

// Byte-string search over [hay, hay + n). Each returns an index relative to
// hay, or -1; they never read outside the two ranges they are given.
int64_t mm_find(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k);
int64_t mm_rfind(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k);
// Non-overlapping occurrences, as Python's bytes.count (k == 0: n + 1).
uint64_t mm_count(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k);
// The greedy chain of mm_count restricted to matches that start in
// [0, starts) (k >= 1; the matches may read up to hay + n): their number,
// and in *resume the first start the chain allows after them, the larger of
// starts and the end of the last match.
uint64_t mm_count_span(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k, size_t starts,
                       size_t *resume);

// The search kernels in use: MM_KERNEL_AUTO picks the best the CPU has.
// Setting a level the CPU lacks fails (-1); tests force each level in turn.
// SSE2 and AVX2 exist on x86-64, NEON on AArch64; scalar everywhere.
enum {
  MM_KERNEL_AUTO = 0,
  MM_KERNEL_SCALAR = 1,
  MM_KERNEL_SSE2 = 2,
  MM_KERNEL_AVX2 = 3,
  MM_KERNEL_NEON = 4
};
int mm_search_set_kernel(int level);
int mm_search_kernel(void);

// Line ends (lines.c) ---------------------------------------------------------
// The '\n' bytes of [p, p + n) in order: for each, writes base + (its index
// + 1), the offset just past it, into out, at most cap of them (offsets are
// exact doubles up to 2^53). Returns how many it wrote. *scanned receives how
// many bytes it looked at: n when it wrote fewer than cap, else up to and
// including the cap-th newline, so the next call resumes there. Uses the
// search kernels' level (mm_search_kernel).
size_t mm_lines_scan(const uint8_t *p, size_t n, uint64_t base, double *out, size_t cap,
                     size_t *scanned);

#endif
