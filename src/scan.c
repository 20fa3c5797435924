// scan.c: find / rfind / count split into parts for several threads, and the exact merge.
#include "scan.h"

#ifdef _MSC_VER
#include <intrin.h>
static int
load_flag(const volatile int *p) {
  return p != NULL && _InterlockedCompareExchange((volatile long *)p, 0, 0) != 0;
}
static int64_t
load64(int64_t *p) {
  return _InterlockedCompareExchange64((volatile __int64 *)p, 0, 0);
}
static int
cas64(int64_t *p, int64_t *expected, int64_t value) {
  int64_t seen = _InterlockedCompareExchange64((volatile __int64 *)p, value, *expected);
  if (seen == *expected) return 1;
  *expected = seen;
  return 0;
}
#else
static int
load_flag(const volatile int *p) {
  return p != NULL && __atomic_load_n(p, __ATOMIC_ACQUIRE) != 0;
}
static int64_t
load64(int64_t *p) {
  return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
static int
cas64(int64_t *p, int64_t *expected, int64_t value) {
  return __atomic_compare_exchange_n(p, expected, value, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}
#endif

// Hands out the next chunk number (any thread).
static size_t
take(size_t *p) {
#if defined(_MSC_VER) && defined(_WIN64)
  return (size_t)_InterlockedExchangeAdd64((volatile __int64 *)p, 1);
#elif defined(_MSC_VER)
  return (size_t)_InterlockedExchangeAdd((volatile long *)p, 1);
#else
  return __atomic_fetch_add(p, 1, __ATOMIC_ACQ_REL);
#endif
}

void
mm_flag_set(volatile int *flag) {
#ifdef _MSC_VER
  _InterlockedExchange((volatile long *)flag, 1);
#else
  __atomic_store_n(flag, 1, __ATOMIC_RELEASE);
#endif
}

size_t
mm_count_down(volatile size_t *p) {
#if defined(_MSC_VER) && defined(_WIN64)
  return (size_t)_InterlockedDecrement64((volatile __int64 *)p);
#elif defined(_MSC_VER)
  return (size_t)_InterlockedDecrement((volatile long *)p);
#else
  return __atomic_sub_fetch(p, 1, __ATOMIC_ACQ_REL);
#endif
}

int
mm_flag_get(const volatile int *flag) {
  return load_flag(flag);
}

int
mm_scan_stopping(const mm_scan_t *s) {
  return load_flag(s->abort) || load_flag(s->closed);
}

// Lowers (find) or raises (rfind) s->best to `at`.
static void
publish(mm_scan_t *s, int64_t at) {
  int64_t seen = load64(&s->best);
  while (s->kind == MM_SCAN_FIND ? at < seen : at > seen)
    if (cas64(&s->best, &seen, at)) break;
}

// How many positions a match can start at.
static size_t
scan_starts(const mm_scan_t *s) {
  if (s->k == 0 || s->k > s->n) return 0;
  return s->n - s->k + 1;
}

// At most this many chunks: a huge range gets larger chunks, so the
// per-chunk results of a count stay small (1.5 MiB).
#define MM_SCAN_MAX_CHUNKS ((size_t)1 << 16)

int
mm_scan_plan(mm_scan_t *s, size_t threads, size_t min_part) {
  size_t starts = scan_starts(s);
  if (threads == 0) threads = 1;
  if (min_part == 0) min_part = 1;
  // A needle longer than a chunk would be read again for every chunk.
  if (s->chunk < s->k) s->chunk = s->k;
  if (s->chunk == 0) s->chunk = 1;
  if (starts / MM_SCAN_MAX_CHUNKS >= s->chunk) s->chunk = starts / MM_SCAN_MAX_CHUNKS + 1;
  s->chunk_count = starts == 0 ? 0 : (starts - 1) / s->chunk + 1;
  size_t parts = starts / min_part;
  if (parts > threads) parts = threads;
  if (parts > s->chunk_count) parts = s->chunk_count;
  if (parts == 0) parts = 1;
  for (size_t i = 0; i < parts; i++) {
    s->parts[i].found = -1;
    s->parts[i].stopped = 0;
  }
  s->part_count = parts;
  s->best = s->kind == MM_SCAN_FIND ? INT64_MAX : -1;
  s->taken = 0;
  s->chunks = NULL;
  if (s->kind == MM_SCAN_COUNT && s->chunk_count > 0) {
    s->chunks = calloc(s->chunk_count, sizeof(*s->chunks));
    if (s->chunks == NULL) return -1;
  }
  return 0;
}

void
mm_scan_free(mm_scan_t *s) {
  free(s->chunks);
  s->chunks = NULL;
}

// The bytes a match starting in [from, to) may read: [from, to + k - 1), cut at n.
static size_t
window(const mm_scan_t *s, size_t from, size_t to) {
  size_t want = to - from + s->k - 1;
  return want < s->n - from ? want : s->n - from;
}

// The first match starting in [from, to), chunk by chunk: *at is it or -1.
// Returns 1 when a stop flag ended the walk.
static int
scan_next(mm_scan_t *s, size_t from, size_t to, int64_t *at) {
  *at = -1;
  for (size_t c = from; c < to;) {
    if (mm_scan_stopping(s)) return 1;
    size_t end = to - c > s->chunk ? c + s->chunk : to;
    int64_t i = mm_find(s->hay + c, window(s, c, end), s->needle, s->k);
    if (i >= 0) {
      *at = (int64_t)c + i;
      return 0;
    }
    c = end;
  }
  return 0;
}

int
mm_scan_part(mm_scan_t *s, size_t index) {
  mm_scan_part_t *p = &s->parts[index];
  if (s->k == 0) return 0; // answered by mm_scan_merge without touching the map
  size_t starts = scan_starts(s);
  // Chunk i holds the starts [i * chunk, (i + 1) * chunk) (rfind: counted
  // from the end). Chunks are taken in order, so every chunk before one that
  // holds a match was taken before it, and is looked at unless a match
  // before it is known: the chunk holding the first match is always looked
  // at, and gives it.
  for (;;) {
    size_t i = take(&s->taken);
    if (i >= s->chunk_count) return 0;
    if (mm_scan_stopping(s)) return p->stopped = 1;
    size_t lo = i * s->chunk, hi = starts - lo > s->chunk ? lo + s->chunk : starts;
    if (s->kind == MM_SCAN_RFIND) {
      // The same from the end: [starts - hi, starts - lo).
      size_t end = starts - lo;
      lo = starts - hi;
      hi = end;
    }
    if (s->kind == MM_SCAN_FIND) {
      if (load64(&s->best) < (int64_t)lo) return 0;
      int64_t at = mm_find(s->hay + lo, window(s, lo, hi), s->needle, s->k);
      if (at >= 0) {
        p->found = (int64_t)lo + at;
        publish(s, p->found); // every later chunk holds only later matches
        return 0;
      }
    } else if (s->kind == MM_SCAN_RFIND) {
      if (load64(&s->best) >= (int64_t)hi) return 0;
      int64_t at = mm_rfind(s->hay + lo, window(s, lo, hi), s->needle, s->k);
      if (at >= 0) {
        p->found = (int64_t)lo + at;
        publish(s, p->found);
        return 0;
      }
    } else {
      // The greedy chain that starts at the chunk's first start.
      size_t resume;
      s->chunks[i].count =
          mm_count_span(s->hay + lo, window(s, lo, hi), s->needle, s->k, hi - lo, &resume);
      s->chunks[i].resume = lo + resume;
    }
  }
}

// count: why the merge is exact.
//
// Python's count is the greedy chain over the match starts: m1 is the first
// match at or after 0, and m(j+1) the first at or after m(j) + k. Call E the
// "entry" of a chunk [lo, hi): the first start the chain allows when it
// reaches lo (0 for the first chunk; afterwards the larger of lo and the end
// of the chain's last match, which may lie up to k - 1 past lo, or past the
// whole chunk when the needle is longer than a chunk). The chain's matches
// starting in [lo, hi) are exactly the greedy chain run from E with starts
// limited to hi, because "the first match at or after x" only depends on x.
// Each chunk computed that chain from lo (chain A: its count, and `resume`,
// the larger of hi and the end of its last match), so, walking the chunks
// from the left:
//   - E >= hi: no match of the chain starts here; the next entry is still E.
//   - E == lo: the chunk's own count and resume are the chain's.
//   - lo < E < hi: walk chain A (from lo) and chain B (from E) side by side,
//     always advancing the one whose next match lies further left. Both
//     follow the same rule, so once they reach the same match they are one
//     chain to the end of the chunk; then B's count is the B matches seen
//     before that match plus A's count from that match on (A's total minus
//     the A matches seen before it), and B's resume is A's. If B runs out
//     of matches first, B's count is what was seen and its resume is the
//     larger of hi and the end of B's last match.
// Only the stretch before the chains meet is read again: for most needles a
// match or two; for a self-overlapping needle over periodic data ("aa" in
// "aaaa...") the chains may never meet and such a chunk is read again whole,
// on the thread that merges. find and rfind need no walk: the chunk holding
// the first (last) match is always looked at (see mm_scan_part), and the
// answer is the lowest (highest) match any worker found.
int
mm_scan_merge(mm_scan_t *s, int64_t *found, uint64_t *count) {
  *found = -1;
  *count = 0;
  if (s->k == 0) {
    // Python: the empty needle is at start, at end, and between every byte.
    *found = s->kind == MM_SCAN_RFIND ? (int64_t)s->n : 0;
    *count = (uint64_t)s->n + 1;
    return 0;
  }
  for (size_t i = 0; i < s->part_count; i++)
    if (s->parts[i].stopped) return 1;
  if (s->kind != MM_SCAN_COUNT) {
    for (size_t i = 0; i < s->part_count; i++) {
      int64_t f = s->parts[i].found;
      if (f < 0) continue;
      if (*found < 0 || (s->kind == MM_SCAN_FIND ? f < *found : f > *found)) *found = f;
    }
    return 0;
  }
  uint64_t total = 0;
  size_t entry = 0, starts = scan_starts(s);
  for (size_t i = 0; i < s->chunk_count; i++) {
    const mm_scan_chunk_t *p = &s->chunks[i];
    size_t lo = i * s->chunk, hi = starts - lo > s->chunk ? lo + s->chunk : starts;
    if (entry >= hi) continue;
    if (entry <= lo) {
      total += p->count;
      entry = p->resume;
      continue;
    }
    int64_t a, b;
    uint64_t seen_a = 0, seen_b = 0;
    size_t end_b = entry;
    if (scan_next(s, lo, hi, &a) || scan_next(s, entry, hi, &b)) return 1;
    for (;;) {
      if (b < 0) {
        total += seen_b;
        entry = end_b > hi ? end_b : hi;
        break;
      }
      if (a == b) {
        total += seen_b + (p->count - seen_a);
        entry = p->resume;
        break;
      }
      if (a >= 0 && a < b) {
        seen_a++;
        if (scan_next(s, (size_t)a + s->k, hi, &a)) return 1;
      } else {
        seen_b++;
        end_b = (size_t)b + s->k;
        if (scan_next(s, end_b, hi, &b)) return 1;
      }
    }
  }
  *count = total;
  return 0;
}
