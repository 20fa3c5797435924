// scan.h: find / rfind / count over a range split into parts that run on
// different threads, merged exactly (portable core: no Node-API, no OS headers).
#ifndef MM_SCAN_H
#define MM_SCAN_H

#include "mmap.h"

enum { MM_SCAN_FIND = 0, MM_SCAN_RFIND = 1, MM_SCAN_COUNT = 2 };

// count: a part owns the match *starts* [lo, hi) (relative to the scan's
// hay); it reads up to k - 1 bytes past hi, so a match straddling two parts
// belongs to the part where it starts and is seen whole there.
// find / rfind: the parts are workers that take chunks of match starts in
// order (find from the start, rfind from the end) until one past a known
// match: the first chunks are looked at first, whatever the thread count.
typedef struct mm_scan_part_s {
  size_t lo, hi;
  // Written by the part's own thread; read by others only after it is done.
  int64_t found;  // find/rfind: the part's first (last) match, -1: none
  uint64_t count; // count: matches of the greedy chain that starts at lo
  size_t resume;  // count: where that chain lets the next part start (>= hi)
  int stopped;    // 1 when the part stopped early (abort or close)
} mm_scan_part_t;

typedef struct mm_scan_s {
  int kind;
  const uint8_t *hay; // the range's first byte (in the map)
  size_t n;           // the range's length
  const uint8_t *needle;
  size_t k;
  size_t chunk;              // match starts looked at between two checks of the stop flags
  const volatile int *abort; // set (non-zero) by another thread: stop at the next chunk
  const volatile int *closed;
  int64_t best; // find: lowest match yet (INT64_MAX: none); rfind: highest (-1: none)
  size_t taken; // find / rfind: chunks handed out so far (atomic)
  size_t part_count;
  mm_scan_part_t *parts;
} mm_scan_t;

// Splits the range's match starts into at most `threads` parts of at least
// `min_part` starts each (always at least one part); fills s->parts, which
// must have room for `threads` parts. Sets s->best.
void mm_scan_plan(mm_scan_t *s, size_t threads, size_t min_part);
// Runs part i (any thread; parts may run at once). Returns 0, or 1 when it
// stopped because a stop flag was set.
int mm_scan_part(mm_scan_t *s, size_t i);
// Once every part has run: the answer (find/rfind: index relative to hay or
// -1; count: the number). For count it re-walks the seams (touching the map:
// run it inside the guard's bracket, off the main thread); returns 1 when a
// stop flag ended it early.
int mm_scan_merge(mm_scan_t *s, int64_t *found, uint64_t *count);

// Whether a stop flag is set.
int mm_scan_stopping(const mm_scan_t *s);
// Sets a stop flag (any thread) with release ordering; and reads one.
void mm_flag_set(volatile int *flag);
int mm_flag_get(const volatile int *flag);
// Atomically decrements *p and returns the new value (any thread).
size_t mm_count_down(volatile size_t *p);

#endif
