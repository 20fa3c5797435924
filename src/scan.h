// scan.h: find / rfind / count over a range split into parts that run on
// different threads, merged exactly (portable core: no Node-API, no OS headers).
#ifndef MM_SCAN_H
#define MM_SCAN_H

#include <stdlib.h>

#include "mmap.h"

enum { MM_SCAN_FIND = 0, MM_SCAN_RFIND = 1, MM_SCAN_COUNT = 2 };

// The range's match starts are cut into chunks of `chunk` starts; a chunk
// reads up to k - 1 bytes past its last start, so a match straddling two
// chunks belongs to the chunk where it starts and is seen whole there. The
// parts are workers (one per thread) that take chunks in order, find and
// count from the start, rfind from the end, so the chunks nearest that end
// are looked at first and neighbouring chunks are read at about the same
// time, whatever the thread count.
typedef struct mm_scan_part_s {
  // Written by the part's own thread; read by others only after it is done.
  int64_t found; // find/rfind: the part's first (last) match, -1: none
  int stopped;   // 1 when the part stopped early (abort or close)
} mm_scan_part_t;

// count: what one chunk found, from its own first start.
typedef struct mm_scan_chunk_s {
  uint64_t count; // matches of the greedy chain that starts at the chunk's first start
  size_t resume;  // where that chain lets the next chunk start (>= the chunk's end)
} mm_scan_chunk_t;

typedef struct mm_scan_s {
  int kind;
  const uint8_t *hay; // the range's first byte (in the map)
  size_t n;           // the range's length
  const uint8_t *needle;
  size_t k;
  size_t chunk;              // match starts per chunk (abort and close are checked between chunks)
  const volatile int *abort; // set (non-zero) by another thread: stop at the next chunk
  const volatile int *closed;
  int64_t best; // find: lowest match yet (INT64_MAX: none); rfind: highest (-1: none)
  size_t taken; // chunks handed out so far (atomic)
  size_t part_count;
  mm_scan_part_t *parts;
  size_t chunk_count;
  mm_scan_chunk_t *chunks; // count: one per chunk (mm_scan_plan allocates; mm_scan_free frees)
} mm_scan_t;

// Plans at most `threads` workers, fewer when the range has less than
// `min_part` match starts per worker (always at least one); fills s->parts,
// which must have room for `threads` parts. Returns 0, or -1 when the
// per-chunk results of a count cannot be allocated.
int mm_scan_plan(mm_scan_t *s, size_t threads, size_t min_part);
void mm_scan_free(mm_scan_t *s);
// Runs worker i (any thread; workers run at once). Returns 0, or 1 when it
// stopped because a stop flag was set.
int mm_scan_part(mm_scan_t *s, size_t i);
// Once every worker has run: the answer (find/rfind: index relative to hay
// or -1; count: the number). For count it walks the seams again (touching
// the map: run it inside the guard's bracket, off the main thread); returns 1
// when a stop flag ended the work early.
int mm_scan_merge(mm_scan_t *s, int64_t *found, uint64_t *count);

// Whether a stop flag is set.
int mm_scan_stopping(const mm_scan_t *s);
// Sets a stop flag (any thread) with release ordering; and reads one.
void mm_flag_set(volatile int *flag);
int mm_flag_get(const volatile int *flag);
// Atomically decrements *p and returns the new value (any thread).
size_t mm_count_down(volatile size_t *p);

#endif
