// posix-guard.c: the POSIX fault guard (SIGBUS handler and its records); posix.c keeps the
// mapping contract and calls in here.
//
// Design
// ======
// A file truncated by another process leaves the pages of its maps past the new
// end without backing: touching them raises SIGBUS, which kills the process by
// default (Python's mmap dies this way). This module installs one SIGBUS handler
// for the process. It looks the faulting address up among the ranges this
// module owns or owned; when it is in one, it maps zero-filled private memory
// over the lost pages (MAP_FIXED), counts the fault and returns, so the touch
// runs again and reads zeros (or writes into the zero page). Every other SIGBUS
// (sent by kill(), or in memory that is not ours) goes to the handler that was
// there before; when that is the default action, the process dies by SIGBUS at
// once, without ever uninstalling the guard.
//
// Records. One record per guarded range, in blocks of MM_GUARD_BLOCK that are
// linked once and never freed, so the handler can always read them:
//   seq        seqlock: odd while a writer changes the record, bumped by 2 per change
//   users      handlers working on the range right now (a pin; see "Removal")
//   start,end  the range (OS mapping, or a tombstone)
//   map        the map it belongs to (the shared tomb_guard for tombstones)
// Writers (mm__guard_add/_update/_remove, tombstone records) take guard_lock,
// so there is one writer at a time; the handler never takes a lock. A writer
// blocks all signals while seq is odd (a handler of another signal touching
// a guarded page on that thread would otherwise spin for ever), and fork()
// takes the lock around itself (pthread_atfork), so a child never inherits
// it held by a thread it does not have.
//
// What the handler reads, in what order (guard_find):
//   1. s1 = seq (acquire). Odd: a writer is inside; spin (the writer holds no
//      memory the faulting thread needs, so it finishes).
//   2. start, end, map (acquire atomic loads: the next read of seq cannot
//      be reordered before them).
//   3. s2 = seq (relaxed). s1 != s2: the record changed under us; read again.
//      Now (start, end, map) is one consistent snapshot: no old map paired with
//      a new range.
//   4. The address is in [start, end): pin the record, users += 1 (seq_cst),
//      and read seq again (seq_cst). Still s1: the record cannot be cleared
//      and its memory cannot be unmapped until users drops back (see Removal);
//      otherwise unpin and start over.
//   5. Work on the map, reading only fields that do not change while it is
//      mapped (fd, offset, skew, flags, prot): fstat the file to tell a page
//      past its end from one it covers again, mmap a zero run, then (seq_cst,
//      in this order: see mm__guard_check) map->faults += 1, lower
//      map->lost_from with a CAS from a fresh read (never raise it), run the
//      asymmetric barrier (guard_asym), credit the running calls the run
//      meets, count the run settled (release); unpin (users -= 1, release).
//
// Removal. A writer clears a record (seq odd, fields zeroed, seq even, all
// seq_cst) and then waits until users is 0 before anything is unmapped or the
// map is freed. Step 4 and the writer form a Dekker pair on (users, seq), both
// seq_cst: either the handler sees the new seq and backs off, or the writer
// sees users > 0 and waits; so no handler can mmap into a range after the
// range has been handed back to the OS, or write into a freed map.
//
// Async-signal safety. The handler calls only mmap(), mincore(), fstat(),
// fstatfs(), sigaction(), pthread_sigmask(), raise(), _exit() and
// sched_yield() (system calls: no locks, no allocation), uses lock-free
// atomics on records and slots that are never freed, and saves and restores
// errno. Nothing it reads is ever behind a lock it could be interrupting.
//
// Reservations. A tombstone's record must exist before its swap (see
// retire below), and no call may fail there: the memory is leaving the map
// whatever happens. So records are reserved ahead, when failing still
// changes nothing: mm__guard_add reserves one beside the map's own (for the
// tombstone close() may leave) and fails the open with ENOMEM when it cannot;
// a resize that may retire memory reserves MM_TOMBSTONES_MAX more first
// (mm_posix_guard_reserve; ENOMEM, nothing changed) and gives back what it did
// not use. A tombstone takes one of its map's reserved records, which are
// counted (guard_reserved) against the free ones, so no other record
// can take them. A resize of a map with no record (length 0) makes one
// before it maps anything (mm_map_resize), so no map is ever exposed with
// no record.
//
// Lifecycle of a range:
//   map      mm__guard_add records the OS mapping once it is made.
//   resize   the record stays in force through the whole resize (the resize
//            itself touches the memory: the copy of a private map into a new
//            region, the zeroing of stale bytes) and moves with the mapping
//            (mm__guard_update) as soon as it moved. A new region the bytes
//            are copied into gets a record of its own (mm_posix_guard_span) before
//            the copy, dropped once the map's record covers it; no record to
//            be had fails the resize before anything changed. Memory views may
//            still reach is retired (tombstone record first) before the map's
//            record leaves it; memory handed back to the OS loses the record
//            first, so no record ever names a range the OS may reuse.
//   retire   memory leaving the map (close, a move, a shrink) while views may
//            still reach it gets its tombstone record *before* the swap to
//            zero-filled memory, so every instant has a record for it; the map's
//            own record is dropped only after the swap.
//   unmap    a tombstone's record is dropped (waiting for handlers) before the
//            tombstone is unmapped.
//
// A fault on a page the file covers when the handler looks (fstat) runs
// again, up to three times in a row: the file grew back since the touch
// faulted, and the touch now reads the file. A page that keeps faulting (a
// full disk) is replaced by a zero page alone, and the calls it meets fail
// with the disk's reason (ENOSPC, EIO) rather than ERR_MMAP_TRUNCATED.
//
// Zero runs (O(1) mappings per map). A page past the end of the file means
// every later page is past it too. For a shared map, a fault at page p
// replaces [p, lost_from) (everything up to the run replaced before) in one
// call, so the zero pages of a map form one run that grows downwards; the
// kernel merges adjacent anonymous runs, so a map costs at most a couple of
// mappings whatever pages are touched. For a private map (ACCESS_COPY/READ),
// pages past the end that this process copied stay readable: the run stops at
// the first resident page (mincore: after a truncation only such copies are
// resident there). A fault the file system reports (BUS_OBJERR: a full disk,
// an I/O error) replaces that page only.
//
// Per-call attribution. Each thread that makes calls owns one call slot
// (found through initial-exec TLS, so the lookup never allocates): the
// address range of the call it is running. mm__guard_begin publishes the
// range; the handler, after making a zero run and updating the map's
// lost_from and faults, credits every slot whose range meets the run (on any
// thread: a pool thread's fault can replace the very bytes the main thread's
// call is reading). A call fails for those runs only, never for faults
// elsewhere in the map. Ordering: begin stores the range before the core
// reads the map's faults and lost_from (seq_cst); the handler updates those
// (seq_cst) before it reads the slots (seq_cst). The full barrier this needs
// between begin's store and the core's reads is either the store's own
// (seq_cst) or, where membarrier(2) works, one the handler makes every
// thread run before it reads the slots (see guard_asym: begin then stores
// with release, which costs a third of a short readline() less). So either
// the handler sees the call's range and credits it, or the call's check
// sees the run. A call's end waits until every run counted in the map has
// finished its credit (settled catches up with runs; mm__guard_settle)
// before it reads its own count, so no credit for a run whose zeros it read
// is still on its way while a check on another thread raises lost_from.
// Each slot carries a generation next to its counts, in one word the handler
// updates by compare-and-swap, so a credit never lands in the thread's next
// call (see guard_credit). Slots are claimed under the lock on a thread's
// first call and given back by a pthread key destructor when it exits.
//
// Recovery (mm__guard_check, on the calling thread, never in the handler).
// When the file covers lost pages again, the file is mapped back over the
// zero runs there: for a shared map all of [lost_from, end of file); for a
// private map only the guard's anonymous runs (from /proc/self/maps) and in
// them only pages this process did not write (/proc/self/pagemap), so
// copy-on-write changes survive. Mappings stay O(1) per map there too: a run
// whose written pages leave more than MM_REFILL_GAPS gaps is not refilled
// gap by gap (one mapping each) but mapped from the file aside in one piece
// (guarded as a shadow of the map at that file offset), the written pages
// copied into it, and swapped in with one mremap(); a truncation during the
// copy fails the call with ERR_MMAP_TRUNCATED and changes nothing.
// lost_from is raised by a CAS from the value read, and lowered again if a
// fault came in meanwhile.
//
// Others' handlers. A process.on('SIGBUS') listener is a libuv watcher of
// SIGBUS: libuv installs its handler when the first watcher starts and
// restores SIG_DFL when the last one stops, which would leave threads
// faulting at that instant with no guard. So the binding starts a watcher of
// its own in every environment that loads it under Node (lib/signals.js calls
// binding.guardWatch() at load; unref'd, closed only when that environment
// goes; mm_posix_guard_hold): libuv's handler is installed once, under ours,
// and never reset while the addon is loaded. Bun and Deno get no watcher
// (Bun's uv_signal_init ends the process, Deno has none): under Bun a no-op
// listener of lib/signals.js's own keeps Bun's handler in place instead. The JS layer tells
// the guard how many listeners the main thread has (mm_posix_guard_listeners;
// Node delivers signals to the main thread's listeners only) and calls
// mm__guard_reinstall after each change, in case some other code replaced
// ours. A SIGBUS that is not ours (kill(), memory that is not a map's) goes
// to the previous disposition: to libuv (and so to the listeners) when
// there is a listener; with none, the default action kills the process by
// SIGBUS, as it would without this module. A real fault that is not ours
// with a listener present goes to libuv too, whose handler returns: the
// access faults again and again (Node's own behaviour with a SIGBUS
// listener). The previous disposition lives in two slots, published by
// pointer, so a handler on another thread always reads a whole one. The
// binding also keeps one watcher for the whole process, on a loop of its
// own that never runs (binding.c, sigbus_forever): with the addon loaded
// in worker threads only, the last worker's watcher closing would otherwise
// let libuv reset SIGBUS while pool threads fault in that worker's maps.
// The addon is linked -z nodelete (binding.gyp): Node unloads an addon when
// the last environment that loaded it goes, which would leave the installed
// handler, its records and that loop in unmapped memory.
// What stays open there: the listener count comes from the main thread's
// module only, so with the main thread never loading it, a SIGBUS sent by
// kill() takes the default action even when the main thread listens.
//
// Huge pages. On hugetlbfs no 4 KiB page can be mapped inside a huge page:
// runs there are whole huge pages (guard_page).

#include "posix-guard.h"
#include "platform.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#ifdef __linux__
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#endif
#include <sys/statvfs.h>
#include <unistd.h>

#if !defined(MAP_ANONYMOUS) && defined(MAP_ANON)
#define MAP_ANONYMOUS MAP_ANON
#endif

#define MM_GUARD_BLOCK 256

typedef struct mm_guard_record_s {
  uint32_t seq;         // seqlock (see above)
  uint32_t users;       // handlers pinning the record
  uintptr_t start, end; // the range; 0, 0 when free
  mm_map_t *map;        // NULL when free
  uint32_t spare;       // records reserved for the map's tombstones (writers only, under the lock)
} mm_guard_record_t;

typedef struct mm_guard_block_s {
  mm_guard_record_t records[MM_GUARD_BLOCK];
  struct mm_guard_block_s *next;
} mm_guard_block_t;

static mm_guard_block_t guard_first;
static pthread_mutex_t guard_lock = PTHREAD_MUTEX_INITIALIZER;
// Free records, and how many of them are reserved for tombstones (see
// "Reservations"); under the lock.
static size_t guard_free = MM_GUARD_BLOCK;
static size_t guard_reserved = 0;

#ifdef MM_GUARD_TEST_HOOKS
// Test hooks. mm_posix_guard_test_no_blocks (test/native/guard-reserve.c): while
// set, no block of records can be allocated, as when the heap is exhausted.
// mm_posix_guard_test_slow_writes (guard-seqlock.c): a record writer yields
// between its stores, so handlers on other threads meet half-written
// records far more often.
int mm_posix_guard_test_no_blocks = 0;
int mm_posix_guard_test_slow_writes = 0;
#define MM_GUARD_TEST_PAUSE() \
  do { \
    if (mm_posix_guard_test_slow_writes) sched_yield(); \
  } while (0)
#else
#define MM_GUARD_TEST_PAUSE() \
  do { \
  } while (0)
#endif

// fork() while another thread holds the lock would leave it held for ever
// in the child (only the forking thread goes on there): the lock is taken
// around fork() and released on both sides.
static pthread_once_t guard_atfork_once = PTHREAD_ONCE_INIT;

static void
guard_fork_prepare(void) {
  pthread_mutex_lock(&guard_lock);
}

static void
guard_fork_done(void) {
  pthread_mutex_unlock(&guard_lock);
}

static void
guard_atfork(void) {
  (void)pthread_atfork(guard_fork_prepare, guard_fork_done, guard_fork_done);
}

// The disposition SIGBUS had before ours, in two slots: a new one is written
// into the slot not in use and then published, so a handler on another thread
// always reads a whole one.
static struct sigaction guard_previous[2];
static struct sigaction *guard_prev = NULL;
static int guard_installed = 0;
// libuv's SIGBUS handler, once the binding holds its own libuv watcher of
// SIGBUS (see "Others' handlers"), and how many process.on('SIGBUS')
// listeners the program has: with none, a SIGBUS that is not ours takes the
// default action instead of going to libuv, which would only wake the loop.
static void *guard_uv_handler = NULL;
static int guard_listener_count = 0;

// The asymmetric fence (see "Per-call attribution"). Where membarrier(2)'s
// private expedited command works (Linux 4.14 and later, not refused by a
// seccomp filter), the handler makes every thread of the process run a full
// barrier before it reads the call slots, and a call publishes its range
// with a release store instead of a seq_cst one (on x86 an xchg, a third of
// a short readline()). guard_asym is set once, by asym_setup under a
// pthread_once that every path making a record runs before it takes
// guard_lock (so the registration, 7-46 ms, never runs under the lock, and
// a fork() on another thread, whose prepare handler takes the lock, cannot
// deadlock with it), and before any record exists: a handler that finds a
// record reads it set. The registration survives fork() (the kernel copies
// it; only execve clears it), so a child needs nothing.
// A failed barrier in the handler (ENOMEM) clears guard_asym (calls begun
// from then on publish with seq_cst) and sets guard_asym_failed for good:
// calls still running may have published with a plain store the handler
// could not see, so from then on every handler lowers lost_from again to
// its run after its credit, and such a call whose range reaches the run
// fails at its end (mm_map_leave) as a credited call would.
static int guard_asym = 0;
static int guard_asym_failed = 0;
static pthread_once_t asym_once = PTHREAD_ONCE_INIT;

#ifdef MM_GUARD_TEST_HOOKS
// Test hooks (guard-credit-race.c): mm_posix_guard_test_barrier_fails makes
// the handler's barrier fail as membarrier() may (ENOMEM);
// mm_posix_guard_test_credit_misses makes its credit reach no call (as one
// that could not see a range published with a plain store);
// mm_posix_guard_test_hold parks the handler between its run and its credit
// (it sets mm_posix_guard_test_held) until the test clears it, as a handler
// preempted there, or in a slow barrier, would be.
int mm_posix_guard_test_barrier_fails = 0;
int mm_posix_guard_test_credit_misses = 0;
int mm_posix_guard_test_hold = 0;
int mm_posix_guard_test_held = 0;

int
mm_posix_guard_test_asym(void) {
  return __atomic_load_n(&guard_asym, __ATOMIC_SEQ_CST);
}
#endif

static void
asym_setup(void) {
#if defined(__linux__) && defined(__NR_membarrier)
  if (syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0) == 0 &&
      syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0) == 0)
    __atomic_store_n(&guard_asym, 1, __ATOMIC_SEQ_CST);
#endif
}

// Run by every path that makes a record, before it takes guard_lock.
static void
asym_once_run(void) {
  pthread_once(&asym_once, asym_setup);
}

// In the handler, after its run is counted and before it reads the call
// slots: every other thread's stores so far (a call's range) are visible
// here, and its loads from now on (a call's reads of the map's fault state)
// see this thread's updates. 0 when it could not be had (then guard_asym
// is cleared and guard_asym_failed set; see above).
static int
asym_barrier(void) {
#if defined(__linux__) && defined(__NR_membarrier)
  if (!__atomic_load_n(&guard_asym, __ATOMIC_SEQ_CST)) return 1;
  int ok = 1;
#ifdef MM_GUARD_TEST_HOOKS
  if (__atomic_load_n(&mm_posix_guard_test_barrier_fails, __ATOMIC_RELAXED))
    ok = 0;
  else
#endif
    ok = syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0) == 0;
  if (!ok) {
    __atomic_store_n(&guard_asym_failed, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&guard_asym, 0, __ATOMIC_SEQ_CST);
  }
  return ok;
#else
  return 1;
#endif
}

// Call slots (see "Per-call attribution"): one per thread that ever made a
// call, claimed under the lock on its first call and given back when the
// thread exits; in blocks linked once and never freed, like the records.
#define MM_SLOT_BLOCK 64

typedef struct mm_guard_slot_s {
  uintptr_t lo, hi; // the running call's range; lo >= hi: no call
  // The call's generation (high 32 bits, one more at each begin), whether a
  // run it was credited with was past the file's end (bit 31), and how many
  // runs it was credited with (bits 0-30). One word, so a credit lands with
  // a compare-and-swap in the call whose range the handler read, never in
  // the next call of the same thread.
  uint64_t state;
  int used; // claimed by a thread (under guard_lock)
} mm_guard_slot_t;

#define MM_SLOT_TRUNCATED ((uint64_t)1 << 31)
#define MM_SLOT_COUNT ((uint64_t)MM_SLOT_TRUNCATED - 1)

typedef struct mm_guard_slots_s {
  mm_guard_slot_t slots[MM_SLOT_BLOCK];
  struct mm_guard_slots_s *next;
} mm_guard_slots_t;

static mm_guard_slots_t slots_first;
static pthread_key_t slot_key;
static pthread_once_t slot_once = PTHREAD_ONCE_INIT;

// The calling thread's slot; initial-exec TLS, so reading it never allocates.
#if defined(__GNUC__) && !defined(__APPLE__)
static __thread mm_guard_slot_t *my_slot __attribute__((tls_model("initial-exec")));
#else
static __thread mm_guard_slot_t *my_slot;
#endif

static void
slot_release(void *p) {
  mm_guard_slot_t *slot = p;
  __atomic_store_n(&slot->hi, 0, __ATOMIC_SEQ_CST);
  __atomic_store_n(&slot->lo, 0, __ATOMIC_SEQ_CST);
  pthread_mutex_lock(&guard_lock);
  slot->used = 0;
  pthread_mutex_unlock(&guard_lock);
}

static void
slot_key_make(void) {
  (void)pthread_key_create(&slot_key, slot_release);
}

// The calling thread's slot, claimed on first use; NULL when no memory.
static mm_guard_slot_t *
slot_mine(void) {
  if (my_slot != NULL) return my_slot;
  pthread_once(&slot_once, slot_key_make);
  pthread_once(&guard_atfork_once, guard_atfork);
  mm_guard_slot_t *found = NULL;
  pthread_mutex_lock(&guard_lock);
  for (mm_guard_slots_t *b = &slots_first; found == NULL; b = b->next) {
    for (size_t i = 0; i < MM_SLOT_BLOCK && found == NULL; i++)
      if (!b->slots[i].used) found = &b->slots[i];
    if (found == NULL && b->next == NULL) {
      mm_guard_slots_t *next = calloc(1, sizeof(*next));
      if (next == NULL) break;
      __atomic_store_n(&b->next, next, __ATOMIC_RELEASE);
    }
  }
  if (found != NULL) found->used = 1;
  pthread_mutex_unlock(&guard_lock);
  if (found != NULL) {
    my_slot = found;
    (void)pthread_setspecific(slot_key, found);
  }
  return found;
}

void
mm__guard_begin(const void *lo, size_t length) {
  mm_guard_slot_t *slot = slot_mine();
  if (slot == NULL) return;
  // A new generation with no credits, then the range, hi last: until hi is
  // stored the range reads as empty (end left lo == hi == 0).
  // The first two stores need no full barrier of their own (on x86 a
  // release store is a plain one). They are releases so that a handler that
  // reads the new lo (acquire) after an old hi also sees end's hi = 0 and
  // the new generation: its CAS then fails, and it reads the slot again
  // (see guard_credit); one that reads the new hi reads the new lo and
  // generation too.
  uint64_t state = __atomic_load_n(&slot->state, __ATOMIC_RELAXED);
  __atomic_store_n(&slot->state, ((state >> 32) + 1) << 32, __ATOMIC_RELEASE);
  __atomic_store_n(&slot->lo, (uintptr_t)lo, __ATOMIC_RELEASE);
  // Published before the core reads the map's fault state: a zero run made
  // after this store credits the call, one made before it is seen by the
  // core's check (see "Per-call attribution"). That needs a full barrier
  // between this store and those reads: the store is seq_cst, or the
  // handler runs one on every thread (membarrier, see guard_asym) before it
  // reads the slots, and a compiler barrier is enough here.
  if (__atomic_load_n(&guard_asym, __ATOMIC_RELAXED)) {
    __atomic_store_n(&slot->hi, (uintptr_t)lo + length, __ATOMIC_RELEASE);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
  } else {
    __atomic_store_n(&slot->hi, (uintptr_t)lo + length, __ATOMIC_SEQ_CST);
  }
}

uint32_t
mm__guard_here(void) {
  mm_guard_slot_t *slot = my_slot;
  return slot == NULL ? 0
                      : (uint32_t)(__atomic_load_n(&slot->state, __ATOMIC_SEQ_CST) & MM_SLOT_COUNT);
}

int
mm__guard_here_truncated(void) {
  mm_guard_slot_t *slot = my_slot;
  return slot != NULL && (__atomic_load_n(&slot->state, __ATOMIC_SEQ_CST) & MM_SLOT_TRUNCATED) != 0;
}

void
mm__guard_end(void) {
  mm_guard_slot_t *slot = my_slot;
  if (slot == NULL) return;
  // Release: the call's reads of the map and of the fault state stay before
  // the range is withdrawn. Nothing is read after these stores, so no full
  // barrier is needed; a handler that still reads the old range credits a
  // call that is over (the CAS on the generation keeps the credit out of
  // the next call).
  __atomic_store_n(&slot->hi, 0, __ATOMIC_RELEASE);
  __atomic_store_n(&slot->lo, 0, __ATOMIC_RELEASE);
}

// Credits every running call whose range meets [a, z), the run just made.
// The generation is read before the range and checked by the CAS after it:
// a call that began in between (new generation) is read again.
static void
guard_credit(uintptr_t a, uintptr_t z, int truncated) {
  for (mm_guard_slots_t *b = &slots_first; b != NULL;
       b = __atomic_load_n(&b->next, __ATOMIC_ACQUIRE)) {
    for (size_t i = 0; i < MM_SLOT_BLOCK; i++) {
      mm_guard_slot_t *slot = &b->slots[i];
      uint64_t state = __atomic_load_n(&slot->state, __ATOMIC_SEQ_CST);
      for (;;) {
        // hi before lo: begin stores lo before hi, so a hi of this call comes
        // with its lo (or with end's lo = 0, after end's hi = 0: the call has
        // left, and the credit reaches no call, see the CAS). Read the other
        // way round, an old lo (0) paired with a new hi reads as [0, hi) and
        // could credit a call with a run outside its range.
        uintptr_t hi = __atomic_load_n(&slot->hi, __ATOMIC_SEQ_CST);
        uintptr_t lo = __atomic_load_n(&slot->lo, __ATOMIC_SEQ_CST);
        if (lo >= hi || hi <= a || lo >= z) break;
        uint64_t next = state | (truncated ? MM_SLOT_TRUNCATED : 0);
        if ((next & MM_SLOT_COUNT) < MM_SLOT_COUNT) next++;
        if (__atomic_compare_exchange_n(&slot->state, &state, next, 0, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST))
          break;
        // state now holds the new value: a new call, or another credit.
      }
    }
  }
}

// The function a disposition runs (SIG_DFL, SIG_IGN or a handler).
static void *
guard_handler_of(const struct sigaction *sa) {
  return (sa->sa_flags & SA_SIGINFO) ? (void *)sa->sa_sigaction : (void *)sa->sa_handler;
}

// Hands a fault that is not ours to whoever had SIGBUS before.
static void
guard_chain(int sig, siginfo_t *info, void *context) {
  const struct sigaction *prev = __atomic_load_n(&guard_prev, __ATOMIC_ACQUIRE);
  void *uv = __atomic_load_n(&guard_uv_handler, __ATOMIC_ACQUIRE);
  // libuv's handler is there for the binding's own watcher alone: no listener
  // would hear the signal, so the default action applies (below).
  if (prev != NULL && uv != NULL && guard_handler_of(prev) == uv &&
      __atomic_load_n(&guard_listener_count, __ATOMIC_ACQUIRE) == 0)
    prev = NULL;
  if (prev != NULL && (prev->sa_flags & SA_SIGINFO)) {
    prev->sa_sigaction(sig, info, context);
    return;
  }
  void (*h)(int) = prev != NULL ? prev->sa_handler : SIG_DFL;
  if (h != SIG_DFL && h != SIG_IGN) {
    h(sig);
    return;
  }
  // A SIGBUS sent by kill() that the program ignored stays ignored.
  if (h == SIG_IGN && (info == NULL || info->si_code <= 0)) return;
  // The default action (also for SIG_IGN, which cannot skip a real fault):
  // the process dies by SIGBUS now. The default is set only on the way to
  // that death, never left in place for a process that goes on.
  struct sigaction dfl;
  memset(&dfl, 0, sizeof(dfl));
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(SIGBUS, &dfl, NULL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGBUS);
  pthread_sigmask(SIG_UNBLOCK, &set, NULL);
  raise(SIGBUS);
  // Not reached unless SIGBUS was blocked by a signal mask we cannot change.
  _exit(128 + SIGBUS);
}

// Finds and pins the record holding addr, and gives the snapshot of it that
// was checked (the record's fields may change once pinned; the memory may
// not go); NULL when no record does.
static mm_guard_record_t *
guard_find(uintptr_t addr, uintptr_t *out_start, uintptr_t *out_end, mm_map_t **out_map) {
  for (mm_guard_block_t *b = &guard_first; b != NULL;
       b = __atomic_load_n(&b->next, __ATOMIC_ACQUIRE)) {
    for (size_t i = 0; i < MM_GUARD_BLOCK; i++) {
      mm_guard_record_t *r = &b->records[i];
      for (unsigned spins = 0;; spins++) {
        uint32_t s1 = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);
        if (s1 & 1) {
          if (spins > 64) sched_yield();
          continue;
        }
        // Acquire loads: the seq read below cannot move before any of them.
        uintptr_t start = __atomic_load_n(&r->start, __ATOMIC_ACQUIRE);
        uintptr_t end = __atomic_load_n(&r->end, __ATOMIC_ACQUIRE);
        mm_map_t *m = __atomic_load_n(&r->map, __ATOMIC_ACQUIRE);
        if (__atomic_load_n(&r->seq, __ATOMIC_RELAXED) != s1) continue;
        if (m == NULL || addr < start || addr >= end) break;
        __atomic_add_fetch(&r->users, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&r->seq, __ATOMIC_SEQ_CST) == s1) {
          *out_start = start;
          *out_end = end;
          *out_map = m;
          return r;
        }
        __atomic_sub_fetch(&r->users, 1, __ATOMIC_RELEASE);
      }
    }
  }
  return NULL;
}

// Where a zero run starting at page `lost` of a private map ends: at the
// first resident page (a copy this process owns), at most at `limit`.
static uintptr_t
guard_private_run(uintptr_t lost, uintptr_t limit, size_t page) {
  unsigned char vec[64];
  uintptr_t p = lost + page;
  while (p < limit) {
    size_t n = (limit - p) / page;
    if (n > sizeof(vec)) n = sizeof(vec);
    if (mincore((void *)p, n * page, (void *)vec) != 0) return p;
    for (size_t i = 0; i < n; i++)
      if (vec[i] & 1) return p + i * page;
    p += n * page;
  }
  return limit;
}

// The last page this thread's handler let run again because the file
// covered it (see guard_handler), and how many times in a row.
#if defined(__GNUC__) && !defined(__APPLE__)
static __thread uintptr_t retry_addr __attribute__((tls_model("initial-exec")));
static __thread unsigned retry_count __attribute__((tls_model("initial-exec")));
#else
static __thread uintptr_t retry_addr;
static __thread unsigned retry_count;
#endif

// The page size of m's mapping. A file on hugetlbfs is mapped in huge pages,
// and no 4 KiB page can be mapped inside one (the mmap() fails and the fault
// would go on to kill the process): runs there are whole huge pages. fstatfs
// is a plain system call (no lock, no allocation), like fstat.
static size_t
guard_page(const mm_map_t *m) {
#ifdef __linux__
  struct statfs sf;
  if (m->fd != MM_NO_FD && fstatfs(m->fd, &sf) == 0 && (unsigned long)sf.f_type == 0x958458f6UL &&
      sf.f_bsize > 0)
    return (size_t)sf.f_bsize; // HUGETLBFS_MAGIC
#endif
  (void)m;
  return mm_posix_page();
}

// Lowers m->lost_from to offset unless it is lower already (a CAS from a
// fresh read: never raises it).
static void
guard_lower(mm_map_t *m, size_t offset) {
  size_t cur = __atomic_load_n(&m->lost_from, __ATOMIC_SEQ_CST);
  while (offset < cur && !__atomic_compare_exchange_n(&m->lost_from, &cur, offset, 1,
                                                      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
    ;
}

static void
guard_handler(int sig, siginfo_t *info, void *context) {
  int saved_errno = errno;
  // Only a fault on a page with nothing behind it (BUS_ADRERR: past the end
  // of the file; BUS_OBJERR: the file system could not supply it) is ours to
  // absorb; machine-check errors and signals sent by kill() are not.
  if (info != NULL && (info->si_code == BUS_ADRERR || info->si_code == BUS_OBJERR)) {
    uintptr_t addr = (uintptr_t)info->si_addr;
    uintptr_t start = 0, end = 0;
    mm_map_t *m = NULL;
    mm_guard_record_t *r = guard_find(addr, &start, &end, &m);
    if (r != NULL) {
      size_t page = guard_page(m);
      uintptr_t limit = end + (page - end % page) % page;
      uintptr_t lost = addr - addr % page;
      // Whether the page is past the file's end (fstat; the descriptor stays
      // open while the record is pinned). SIGBUS says BUS_ADRERR for a page
      // a full disk cannot back too.
      struct stat st;
      int past_end =
          m->fd == MM_NO_FD ||
          (fstat(m->fd, &st) == 0 && (uint64_t)st.st_size <= m->offset - m->skew + (lost - start));
      if (!past_end) {
        // The file covers the page now: it may have grown back since the
        // touch faulted. Let the touch run again, a few times at most (a page
        // a full disk cannot back faults each time, and is then replaced).
        if (retry_addr == lost && retry_count >= 3) {
          retry_count = 0;
        } else {
          if (retry_addr != lost) retry_count = 0;
          retry_addr = lost;
          retry_count++;
          __atomic_sub_fetch(&r->users, 1, __ATOMIC_RELEASE);
          errno = saved_errno;
          return;
        }
      }
      // Counted as started, and lost_from lowered, before the run is made:
      // a call that began before this count and reads the run's zero pages
      // finds the count changed when it ends, and lost_from inside its range
      // (see mm_map_leave).
      __atomic_add_fetch(&m->runs, 1, __ATOMIC_SEQ_CST);
      size_t seen = __atomic_load_n(&m->lost_from, __ATOMIC_SEQ_CST);
      while (lost - start < seen &&
             !__atomic_compare_exchange_n(&m->lost_from, &seen, lost - start, 1, __ATOMIC_SEQ_CST,
                                          __ATOMIC_SEQ_CST))
        ;
      // The run ends where the pages replaced before begin.
      if (seen != SIZE_MAX && start + seen > lost && start + seen < limit) limit = start + seen;
      int flags, prot;
      mm_posix_os_mode(m, &flags, &prot);
      uintptr_t run_end = lost + page;
      if (info->si_code == BUS_ADRERR && past_end)
        run_end = (flags & MAP_SHARED) ? limit : guard_private_run(lost, limit, page);
      if (run_end <= lost) run_end = lost + page;
      void *p = mmap((void *)lost, run_end - lost, prot | PROT_READ | PROT_WRITE,
                     MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED && run_end - lost > page) {
        run_end = lost + page;
        p = mmap((void *)lost, page, prot | PROT_READ | PROT_WRITE,
                 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      }
      if (p != MAP_FAILED) {
        // Counted after the run is made and before lost_from is lowered: a
        // check raising lost_from meanwhile (see mm__guard_check) either sees
        // the count change and lowers it again, or raised it before the fresh
        // read below, and the CAS lowers it.
        __atomic_add_fetch(&m->faults, 1, __ATOMIC_SEQ_CST);
        size_t offset = lost - start;
        guard_lower(m, offset);
#ifdef MM_GUARD_TEST_HOOKS
        if (__atomic_load_n(&mm_posix_guard_test_hold, __ATOMIC_SEQ_CST)) {
          __atomic_store_n(&mm_posix_guard_test_held, 1, __ATOMIC_SEQ_CST);
          while (__atomic_load_n(&mm_posix_guard_test_hold, __ATOMIC_SEQ_CST))
            sched_yield();
        }
#endif
        int ordered = asym_barrier();
#ifdef MM_GUARD_TEST_HOOKS
        if (!__atomic_load_n(&mm_posix_guard_test_credit_misses, __ATOMIC_SEQ_CST))
#endif
          guard_credit(lost, run_end, past_end);
        // Without the barrier (now or ever since a call may have published
        // its range with a plain store, see guard_asym) the credit may have
        // missed a call that read the run: lost_from goes back down to the
        // run (a check may have raised it meanwhile), so such a call whose
        // range reaches it fails at its end. Too low costs a refill only.
        if (!ordered || __atomic_load_n(&guard_asym_failed, __ATOMIC_SEQ_CST))
          guard_lower(m, offset);
      }
      // The run's credits have landed (see mm__guard_settle); also when no
      // run was made, so the count catches up with runs.
      __atomic_add_fetch(&m->settled, 1, __ATOMIC_RELEASE);
      __atomic_sub_fetch(&r->users, 1, __ATOMIC_RELEASE);
      if (p != MAP_FAILED) {
        errno = saved_errno;
        return;
      }
    }
  }
  errno = saved_errno;
  guard_chain(sig, info, context);
}

static int
guard_is_ours(const struct sigaction *sa) {
  return (sa->sa_flags & SA_SIGINFO) && sa->sa_sigaction == guard_handler;
}

// Installs the handler when SIGBUS is not ours (first use, or someone else,
// such as libuv for a process.on('SIGBUS') listener, replaced it); what was
// there becomes the handler faults that are not ours go to. With the lock held.
static int
guard_install_locked(mm_error_t *err) {
  struct sigaction current;
  if (sigaction(SIGBUS, NULL, &current) == -1) return mm__fail(err, "sigaction", -errno);
  if (guard_is_ours(&current)) {
    guard_installed = 1;
    return 0;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = guard_handler;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  struct sigaction *slot =
      guard_prev == &guard_previous[0] ? &guard_previous[1] : &guard_previous[0];
  if (sigaction(SIGBUS, &sa, slot) == -1) return mm__fail(err, "sigaction", -errno);
  if (guard_is_ours(slot)) return 0; // another thread got there between the two calls
  __atomic_store_n(&guard_prev, slot, __ATOMIC_RELEASE);
  guard_installed = 1;
  return 0;
}

void
mm__guard_reinstall(void) {
  mm_error_t ignored;
  pthread_mutex_lock(&guard_lock);
  if (guard_installed) (void)guard_install_locked(&ignored);
  pthread_mutex_unlock(&guard_lock);
}

void
mm__guard_step_aside(void) {
  pthread_mutex_lock(&guard_lock);
  struct sigaction current;
  const struct sigaction *prev = __atomic_load_n(&guard_prev, __ATOMIC_ACQUIRE);
  if (guard_installed && prev != NULL && sigaction(SIGBUS, NULL, &current) == 0 &&
      guard_is_ours(&current))
    (void)sigaction(SIGBUS, prev, NULL);
  pthread_mutex_unlock(&guard_lock);
}

int
mm_posix_guard_hold(void) {
  mm_error_t ignored;
  pthread_once(&guard_atfork_once, guard_atfork);
  pthread_mutex_lock(&guard_lock);
  // The binding has just started its libuv watcher of SIGBUS: libuv's handler
  // is the one in place, or (guard already in front) the one chained to.
  struct sigaction current;
  int rc = sigaction(SIGBUS, NULL, &current);
  if (rc == 0) {
    const struct sigaction *under =
        guard_is_ours(&current) ? __atomic_load_n(&guard_prev, __ATOMIC_ACQUIRE) : &current;
    void *h = under != NULL ? guard_handler_of(under) : NULL;
    if (h != (void *)SIG_DFL && h != (void *)SIG_IGN)
      __atomic_store_n(&guard_uv_handler, h, __ATOMIC_RELEASE);
    rc = guard_install_locked(&ignored);
  }
  pthread_mutex_unlock(&guard_lock);
  return rc;
}

void
mm_posix_guard_listeners(int count) {
  __atomic_store_n(&guard_listener_count, count, __ATOMIC_RELEASE);
}

// Writes a record's fields as one seqlock step; with the lock held. Signals
// are blocked while seq is odd: a handler of some other signal that touched
// a guarded page on this thread would spin on the odd seq for ever.
static void
guard_write_locked(mm_guard_record_t *r, uintptr_t start, uintptr_t end, mm_map_t *m) {
  sigset_t all, old;
  sigfillset(&all);
  int masked = pthread_sigmask(SIG_BLOCK, &all, &old) == 0;
  uint32_t s = __atomic_load_n(&r->seq, __ATOMIC_RELAXED);
  if (r->map == NULL && m != NULL) guard_free--;
  if (r->map != NULL && m == NULL) {
    guard_free++;
    guard_reserved -= r->spare; // the map's reservations go with its record
    r->spare = 0;
  }
  __atomic_store_n(&r->seq, s + 1, __ATOMIC_SEQ_CST);
  __atomic_store_n(&r->start, start, __ATOMIC_RELAXED);
  MM_GUARD_TEST_PAUSE();
  __atomic_store_n(&r->end, end, __ATOMIC_RELAXED);
  MM_GUARD_TEST_PAUSE();
  __atomic_store_n(&r->map, m, __ATOMIC_RELAXED);
  MM_GUARD_TEST_PAUSE();
  __atomic_store_n(&r->seq, s + 2, __ATOMIC_SEQ_CST);
  if (masked) (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
}

// Waits until no handler pins r (after its fields changed).
static void
guard_quiesce(mm_guard_record_t *r) {
  while (__atomic_load_n(&r->users, __ATOMIC_SEQ_CST) != 0)
    sched_yield();
}

// Makes sure `n` more free records than are reserved exist, allocating
// blocks as needed; with the lock held. 0 or -ENOMEM (nothing changed).
static int
guard_room_locked(size_t n, mm_error_t *err) {
  while (guard_free < guard_reserved + n) {
    mm_guard_block_t *last = &guard_first;
    while (last->next != NULL)
      last = last->next;
    mm_guard_block_t *next = NULL;
#ifdef MM_GUARD_TEST_HOOKS
    if (!mm_posix_guard_test_no_blocks)
#endif
      next = calloc(1, sizeof(*next));
    if (next == NULL) return mm__fail(err, "mmap", -ENOMEM);
    __atomic_store_n(&last->next, next, __ATOMIC_RELEASE);
    guard_free += MM_GUARD_BLOCK;
  }
  return 0;
}

// Records [start, start + length) as m's; with the lock held. `reserved`:
// the record was reserved before (a tombstone's; see "Reservations"), so one
// is free and this cannot fail.
static int
guard_record_locked(uintptr_t start, size_t length, mm_map_t *m, int reserved,
                    mm_guard_record_t **out, mm_error_t *err) {
  int rc = 0;
  if (!guard_installed) rc = guard_install_locked(err);
  if (rc == 0 && reserved)
    guard_reserved--;
  else if (rc == 0)
    rc = guard_room_locked(1, err);
  mm_guard_record_t *free_record = NULL;
  for (mm_guard_block_t *b = &guard_first; rc == 0 && b != NULL && free_record == NULL; b = b->next)
    for (size_t i = 0; i < MM_GUARD_BLOCK && free_record == NULL; i++)
      if (b->records[i].map == NULL) free_record = &b->records[i];
  if (rc == 0 && free_record == NULL) rc = mm__fail(err, "mmap", -ENOMEM); // not reached
  if (rc == 0) {
    guard_write_locked(free_record, start, start + length, m);
    *out = free_record;
  }
  return rc;
}

int
mm__guard_add(mm_map_t *m, mm_error_t *err) {
  mm_guard_record_t *r = NULL;
  pthread_once(&guard_atfork_once, guard_atfork);
  asym_once_run();
  pthread_mutex_lock(&guard_lock);
  // The record, and one more reserved for the tombstone close() may leave.
  int rc = guard_room_locked(2, err);
  if (rc == 0) rc = guard_record_locked((uintptr_t)m->os_base, m->os_length, m, 0, &r, err);
  if (rc == 0) {
    guard_reserved++;
    r->spare = 1;
  }
  pthread_mutex_unlock(&guard_lock);
  if (rc == 0) m->guard = r;
  return rc;
}

int
mm_posix_guard_reserve(mm_map_t *m, mm_error_t *err) {
  mm_guard_record_t *r = m->guard;
  if (r == NULL || r->spare >= 1 + MM_TOMBSTONES_MAX) return 0;
  pthread_mutex_lock(&guard_lock);
  uint32_t more = 1 + MM_TOMBSTONES_MAX - r->spare;
  int rc = guard_room_locked(more, err);
  if (rc == 0) {
    guard_reserved += more;
    r->spare += more;
  }
  pthread_mutex_unlock(&guard_lock);
  return rc;
}

void
mm_posix_guard_unreserve(mm_map_t *m) {
  mm_guard_record_t *r = m->guard;
  if (r == NULL) return;
  pthread_mutex_lock(&guard_lock);
  // The map keeps one for its close, when it still has one.
  if (r->map == m && r->spare > 1) {
    guard_reserved -= r->spare - 1;
    r->spare = 1;
  }
  pthread_mutex_unlock(&guard_lock);
}

void
mm__guard_update(mm_map_t *m) {
  mm_guard_record_t *r = m->guard;
  if (r == NULL) return;
  pthread_mutex_lock(&guard_lock);
  if (m->os_base == NULL)
    guard_write_locked(r, 0, 0, NULL);
  else
    guard_write_locked(r, (uintptr_t)m->os_base, (uintptr_t)m->os_base + m->os_length, m);
  pthread_mutex_unlock(&guard_lock);
  guard_quiesce(r);
  if (m->os_base == NULL) m->guard = NULL;
}

void
mm__guard_remove(mm_map_t *m) {
  mm_guard_record_t *r = m->guard;
  if (r == NULL) return;
  pthread_mutex_lock(&guard_lock);
  guard_write_locked(r, 0, 0, NULL);
  pthread_mutex_unlock(&guard_lock);
  guard_quiesce(r);
  m->guard = NULL;
}

void *
mm_posix_guard_span(mm_map_t *m, void *base, size_t length) {
  mm_guard_record_t *r = NULL;
  mm_error_t ignored;
  asym_once_run();
  pthread_mutex_lock(&guard_lock);
  if (guard_record_locked((uintptr_t)base, length, m, 0, &r, &ignored) < 0) r = NULL;
  pthread_mutex_unlock(&guard_lock);
  return r;
}

void
mm_posix_guard_span_gone(void *span) {
  mm_guard_record_t *r = span;
  if (r == NULL) return;
  pthread_mutex_lock(&guard_lock);
  guard_write_locked(r, 0, 0, NULL);
  pthread_mutex_unlock(&guard_lock);
  guard_quiesce(r);
}

// Tombstones of file mappings stay guarded, as if they were a map of their
// own: a thread that touched a page of the file past its end just before
// the page became a tombstone, and whose SIGBUS arrives after the swap, still
// finds the range here; the handler maps a zero page there (as it would in
// the map) and the touch runs again. The same covers file pages kept where
// no tombstone could be made (see guard_retire).
static mm_map_t tomb_guard = {
    .fd = MM_NO_FD,
    .anonymous = 1,
    .access = MM_ACCESS_WRITE,
    .flags = MAP_PRIVATE,
    .prot = PROT_READ | PROT_WRITE,
    .lost_from = SIZE_MAX,
};

int
mm_posix_guard_tombstone(mm_map_t *m, void *base, size_t length) {
  mm_guard_record_t *r = NULL, *own = m->guard;
  mm_error_t ignored;
  asym_once_run();
  pthread_mutex_lock(&guard_lock);
  // From the map's reservation (see "Reservations"): this cannot fail.
  int reserved = own != NULL && own->map == m && own->spare > 0;
  if (reserved) own->spare--;
  int rc = guard_record_locked((uintptr_t)base, length, &tomb_guard, reserved, &r, &ignored);
  pthread_mutex_unlock(&guard_lock);
  return rc;
}

void
mm_posix_guard_tombstone_gone(void *base) {
  mm_guard_record_t *found = NULL;
  pthread_mutex_lock(&guard_lock);
  for (mm_guard_block_t *b = &guard_first; b != NULL && found == NULL; b = b->next) {
    for (size_t i = 0; i < MM_GUARD_BLOCK; i++) {
      mm_guard_record_t *r = &b->records[i];
      if (r->map == &tomb_guard && r->start == (uintptr_t)base) {
        guard_write_locked(r, 0, 0, NULL);
        found = r;
        break;
      }
    }
  }
  pthread_mutex_unlock(&guard_lock);
  if (found != NULL) guard_quiesce(found);
}

#ifdef MM_GUARD_TEST_HOOKS
// Test hook: whether a record holds addr, as the handler would find it.
int
mm_posix_guard_test_covers(const void *addr) {
  uintptr_t start, end;
  mm_map_t *m;
  mm_guard_record_t *r = guard_find((uintptr_t)addr, &start, &end, &m);
  if (r != NULL) __atomic_sub_fetch(&r->users, 1, __ATOMIC_RELEASE);
  return r != NULL;
}
#endif

size_t
mm__guard_lost(const mm_map_t *m) {
  return __atomic_load_n(&m->lost_from, __ATOMIC_SEQ_CST);
}

uint32_t
mm__guard_runs(const mm_map_t *m) {
  return __atomic_load_n(&m->runs, __ATOMIC_SEQ_CST);
}

uint32_t
mm__guard_settle(const mm_map_t *m) {
  // A run counted in runs whose handler has not yet credited the calls it
  // met (it may be in its barrier, or preempted): wait for it. A check on a
  // third thread can raise lost_from back before that credit lands, and a
  // call that read the run's zeros would then pass (reviewer's P3). The
  // handler never waits for anything, so this ends.
  uint32_t runs;
  for (unsigned spins = 0; (runs = __atomic_load_n(&m->runs, __ATOMIC_SEQ_CST)) !=
                           __atomic_load_n(&m->settled, __ATOMIC_ACQUIRE);
       spins++)
    if (spins > 16) sched_yield();
  return runs;
}

uint32_t
mm__guard_faults(const mm_map_t *m) {
  // seq_cst: read after the call's bracket is published (see "Per-call attribution").
  return __atomic_load_n(&m->faults, __ATOMIC_SEQ_CST);
}

int
mm__guard_cause(mm_map_t *m, mm_error_t *err) {
  // SIGBUS does not say why a page could not be had; a file system with no
  // free block is the usual reason for a page the file covers.
  struct statvfs st;
  if (m->fd != MM_NO_FD && fstatvfs(m->fd, &st) == 0 && st.f_bavail == 0)
    return mm__fail(err, "mmap", -ENOSPC);
  return mm__fail(err, "mmap", -EIO);
}

void
mm__probe_write(uint8_t *p) {
  __atomic_fetch_or(p, (uint8_t)0, __ATOMIC_RELAXED);
}

// Maps the file again over [a, z) of m (addresses).
static int
guard_map_file(mm_map_t *m, uintptr_t a, uintptr_t z, int flags, int prot, mm_error_t *err) {
  uint64_t file_start = m->offset - m->skew;
  void *p = mmap((void *)a, z - a, prot, flags | MAP_FIXED, m->fd,
                 (off_t)(file_start + (a - (uintptr_t)m->os_base)));
  if (p == MAP_FAILED) return mm__fail(err, "mmap", -errno);
  return 0;
}

#ifdef __linux__
#include <fcntl.h>

// A private map's zero runs inside [a, z): the file is mapped again over
// their pages, except those this process wrote (present and mapped by this
// process alone, from /proc/self/pagemap: bits 63 and 56), which stay its
// own as any copy-on-write page does. Pages never touched, or only read (the
// shared zero page), show the file's bytes again.
// Whether the pagemap entry of a page says this process wrote it.
static int
guard_written(uint64_t entry) {
  return (entry >> 63 & 1) && (entry >> 56 & 1);
}

// Reads the pagemap entries of n pages from p (all 0, "not written", when
// they cannot be read).
static void
guard_pagemap(int pagemap, uintptr_t p, size_t n, uint64_t *entries) {
  size_t page = mm_posix_page();
  ssize_t got = pagemap < 0 ? -1
                            : pread(pagemap, entries, n * sizeof(uint64_t),
                                    (off_t)(p / page * sizeof(uint64_t)));
  if (got != (ssize_t)(n * sizeof(uint64_t))) memset(entries, 0, n * sizeof(uint64_t));
}

// How many file mappings refilling [a, z) page by page around the written
// pages would make (one per gap between them), counting up to `stop`.
static size_t
guard_gaps(uintptr_t a, uintptr_t z, int pagemap, size_t stop) {
  size_t page = mm_posix_page();
  uint64_t entries[256];
  size_t gaps = 0;
  int in_gap = 0;
  for (uintptr_t p = a; p < z && gaps < stop;) {
    size_t n = (z - p) / page;
    if (n > sizeof(entries) / sizeof(entries[0])) n = sizeof(entries) / sizeof(entries[0]);
    guard_pagemap(pagemap, p, n, entries);
    for (size_t i = 0; i < n; i++, p += page) {
      int gap = !guard_written(entries[i]);
      if (gap && !in_gap) gaps++;
      in_gap = gap;
    }
  }
  return gaps;
}

// Refills [a, z) in one mapping whatever the written pages: the file's run
// is mapped aside, the written pages are copied into it, and it takes the
// place of [a, z) in one mremap() (so readers see the old or the new pages,
// never a page between). The copy is guarded as a map of its own (a shadow
// of m at the run's file offset): a truncation meanwhile fails the refill
// with ERR_MMAP_TRUNCATED, and nothing changes.
static int
guard_refill_swap(mm_map_t *m, uintptr_t a, uintptr_t z, int flags, int prot, int pagemap,
                  mm_error_t *err) {
  size_t page = mm_posix_page();
  size_t length = z - a;
  uint64_t at = m->offset - m->skew + (a - (uintptr_t)m->os_base);
  void *aside = mmap(NULL, length, prot | PROT_WRITE, flags & ~MAP_FIXED, m->fd, (off_t)at);
  if (aside == MAP_FAILED) return mm__fail(err, "mmap", -errno);
  mm_map_t shadow = *m;
  shadow.offset = at;
  shadow.skew = 0;
  shadow.os_base = aside;
  shadow.os_length = length;
  shadow.guard = NULL;
  shadow.faults = 0;
  shadow.settled = shadow.runs; // no handler of the shadow is on its way
  shadow.lost_from = SIZE_MAX;
  void *span = mm_posix_guard_span(&shadow, aside, length);
  if (span == NULL) {
    (void)munmap(aside, length);
    return mm__fail(err, "mmap", -ENOMEM);
  }
  uint64_t entries[256];
  for (uintptr_t p = a; p < z;) {
    size_t n = (z - p) / page;
    if (n > sizeof(entries) / sizeof(entries[0])) n = sizeof(entries) / sizeof(entries[0]);
    guard_pagemap(pagemap, p, n, entries);
    for (size_t i = 0; i < n; i++, p += page)
      if (guard_written(entries[i])) memcpy((uint8_t *)aside + (p - a), (const void *)p, page);
  }
  mm_posix_guard_span_gone(span);
  int rc = 0;
  if (__atomic_load_n(&shadow.faults, __ATOMIC_SEQ_CST) != 0)
    rc = mm__fail(err, "mmap", MM_ETRUNCATED);
  else if (!(prot & PROT_WRITE) && mprotect(aside, length, prot) != 0)
    rc = mm__fail(err, "mprotect", -errno);
  else if (mremap(aside, length, length, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)a) == MAP_FAILED)
    rc = mm__fail(err, "mremap", -errno);
  if (rc < 0) (void)munmap(aside, length);
  return rc;
}

// Above this many gaps between written pages, a run is refilled in one
// mapping (guard_refill_swap) rather than one mapping per gap.
#define MM_REFILL_GAPS 8

static int
guard_refill_private(mm_map_t *m, uintptr_t a, uintptr_t z, int flags, int prot, int pagemap,
                     mm_error_t *err) {
  size_t page = mm_posix_page();
  if (guard_gaps(a, z, pagemap, MM_REFILL_GAPS + 1) > MM_REFILL_GAPS)
    return guard_refill_swap(m, a, z, flags, prot, pagemap, err);
  uint64_t entries[256];
  uintptr_t run = a; // start of the pending run of pages to refill
  for (uintptr_t p = a; p < z;) {
    size_t n = (z - p) / page;
    if (n > sizeof(entries) / sizeof(entries[0])) n = sizeof(entries) / sizeof(entries[0]);
    guard_pagemap(pagemap, p, n, entries);
    for (size_t i = 0; i < n; i++, p += page) {
      if (!guard_written(entries[i])) continue;
      if (run < p) {
        int rc = guard_map_file(m, run, p, flags, prot, err);
        if (rc < 0) return rc;
      }
      run = p + page;
    }
  }
  if (run < z) return guard_map_file(m, run, z, flags, prot, err);
  return 0;
}
#endif

// Maps the file again over [from, until) of m's OS mapping (page-aligned
// offsets), where the guard put zero runs. A shared map's zero pages form
// one run from lost_from on (see "Zero runs"): all of [from, until) is
// replaced, and what views wrote there (which could never reach the file) is
// dropped. A private map's runs stop at the pages this process copied, which
// must survive: on Linux only the anonymous mappings inside the range (the
// guard's runs, from /proc/self/maps) are refilled, and in them only the
// pages this process did not write (see guard_refill_private); elsewhere
// the whole range is.
static int
guard_refill(mm_map_t *m, size_t from, size_t until, mm_error_t *err) {
  int flags, prot;
  mm_posix_os_mode(m, &flags, &prot);
  uintptr_t base = (uintptr_t)m->os_base;
#ifdef __linux__
  if (!(flags & MAP_SHARED)) {
    // The runs are read first, then refilled (each refill changes the list).
    enum { MAX_RUNS = 64 };
    uintptr_t runs[MAX_RUNS][2];
    for (;;) {
      FILE *f = fopen("/proc/self/maps", "re");
      if (f == NULL) break;
      char line[4352];
      size_t count = 0;
      int more = 0;
      while (fgets(line, sizeof(line), f) != NULL) {
        unsigned long lo, hi, off, inode;
        char perms[8];
        unsigned dev_major, dev_minor;
        if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", &lo, &hi, perms, &off, &dev_major, &dev_minor,
                   &inode) != 7)
          continue;
        if (inode != 0 || dev_major != 0 || hi <= base + from || lo >= base + until) continue;
        if (count == MAX_RUNS) {
          more = 1;
          break;
        }
        runs[count][0] = lo < base + from ? base + from : lo;
        runs[count][1] = hi > base + until ? base + until : hi;
        count++;
      }
      fclose(f);
      int pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
      int rc = 0;
      for (size_t i = 0; i < count && rc == 0; i++)
        rc = guard_refill_private(m, runs[i][0], runs[i][1], flags, prot, pagemap, err);
      if (pagemap >= 0) close(pagemap);
      if (rc < 0 || !more) return rc;
      // More runs than fit: the ones refilled are file mappings now; the
      // next pass finds the rest (written pages kept are found again and
      // kept again, so the pass count is bounded by the runs left).
      from = runs[count - 1][1] - base;
    }
  }
#endif
  return guard_map_file(m, base + from, base + until, flags, prot, err);
}

int
mm__guard_check(mm_map_t *m, size_t *backed, mm_error_t *err) {
  size_t page = mm_posix_page();
  // The count first: a run made after this read (possibly over pages refilled
  // below) changes it before the run lowers lost_from (see the handler).
  uint32_t before = __atomic_load_n(&m->faults, __ATOMIC_SEQ_CST);
  size_t lost = __atomic_load_n(&m->lost_from, __ATOMIC_SEQ_CST);
  if (m->fd == MM_NO_FD) {
    // Without a descriptor (trackfd false) the file cannot be asked; what the
    // guard replaced stays lost.
    *backed = lost < m->os_length ? lost : m->os_length;
    return 0;
  }
  size_t covered;
  int rc = mm_map_covered(m, &covered, err);
  if (rc < 0) return rc;
  if (lost < covered) {
    // The file has grown back over pages the guard replaced: map the file's
    // pages there again, up to the page holding the file's end.
    size_t until = (covered + page - 1) / page * page;
    rc = guard_refill(m, lost, until, err);
    if (rc < 0) return rc;
    // lost_from only rises from the value read above, and only when no fault
    // came in meanwhile: a handler on another thread may have just lowered it
    // (or replaced a page inside [lost, until) again), and that must stand.
    // Why no zero run is ever forgotten (breaker F4; guard-refill-race.c):
    // a handler maps its run at offset L (time M), then faults += 1 (F), then
    // lowers lost_from to <= L from a fresh read (C). Take the first raise
    // after C, by a check whose CAS expects `lost`: nothing raised lost_from
    // since C, so lost <= L. If the check read `before` before F, the count
    // differs below and lost_from goes back to lost <= L. Otherwise it read
    // `lost` after F, so after M, and refilled [lost, until) after that: the
    // run is the file's again up to `until`, and lost_from = until covers the
    // rest. Either way lost_from stays at or below every zero page left.
    size_t next = until < m->os_length ? until : SIZE_MAX;
    size_t expected = lost;
    (void)__atomic_compare_exchange_n(&m->lost_from, &expected, next, 0, __ATOMIC_SEQ_CST,
                                      __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&m->faults, __ATOMIC_SEQ_CST) != before) {
      size_t seen = __atomic_load_n(&m->lost_from, __ATOMIC_ACQUIRE);
      while (lost < seen && !__atomic_compare_exchange_n(&m->lost_from, &seen, lost, 1,
                                                         __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        ;
    }
  }
  *backed = covered;
  return 0;
}
