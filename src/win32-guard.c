// win32-guard.c: the Windows fault guard (a vectored exception handler and its records) and the
// tombstones it covers; win32.c keeps the mapping contract and calls in here.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#if !defined(_WIN32_WINNT) || _WIN32_WINNT < 0x0602
#undef _WIN32_WINNT
#define _WIN32_WINNT 0x0602
#endif
#include <windows.h>

#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "win32-guard.h"

// Fault guard -------------------------------------------------------------------
//
// A touch of a mapped page the file cannot supply raises EXCEPTION_IN_PAGE_ERROR
// (an I/O error, a vanished network share; Wine reports a file truncated by a
// Linux process as an access violation), which ends the process unless handled.
// Windows itself refuses to cut a file that has a section, so the POSIX case,
// another process truncating the file, cannot happen here.
//
// One vectored exception handler serves the process. It handles a fault only
// when the address lies in one of this module's file-backed views and the
// faulting thread is inside one of this module's own calls (a frame of this
// DLL is on its stack: JavaScript touching a view has none). Windows cannot
// replace part of a view, so the handler swaps the whole view for zero-filled
// memory at the same address and lets the touch run again: the operation
// finishes on zeros, the fault is counted, and mm_map_leave turns the count
// into ERR_MMAP_TRUNCATED, discarding what the operation produced. The view
// comes back, from the section this map keeps open, at the next guard call
// (mm__guard_faults from mm_map_leave, at the latest). Every other fault goes
// on to the next handler, and so ends the process as it would without us.
//
// Records are guarded by one SRW lock: a vectored handler runs as ordinary
// code on the faulting thread (not as an asynchronous signal), and no thread
// touches a map's memory while holding the lock.
//
// Gaps. Putting a view back (guard_restore, mm_win32_untomb) frees the zeros
// and maps the view again in two steps (Windows has no one-step swap; Wine 8
// refuses placeholders), with the lock held. A thread touching the range in
// between (a pool thread writing into a view) faults; its handler waits for
// the lock, finds the page there again and lets the touch run again, in
// module code or not (see guard_accessible).
//
// Other threads. While a view is swapped for zeros every thread reading it
// reads zeros. Each swap is logged (range, and whether it was a truncation);
// a call on any thread whose range a swap met while it ran fails as a fault
// of its own would (mm__guard_here): ERR_MMAP_TRUNCATED for a truncation,
// else the in-page error's reason. Views read by JavaScript are not calls:
// they read the zeros, as on POSIX.

typedef struct mm_guard_record_s {
  uintptr_t start, end; // the view's range
  mm_map_t *map;
  int replaced; // the view is swapped for zero-filled memory
  int linked;   // in guard_records; 0: parked (see mm__guard_remove)
  struct mm_guard_record_s *next;
} mm_guard_record_t;

static SRWLOCK guard_lock = SRWLOCK_INIT;
static mm_guard_record_t *guard_records = NULL;
static PVOID guard_handle = NULL;
static uintptr_t image_start = 0, image_end = 0;

static LONG CALLBACK guard_handler(PEXCEPTION_POINTERS info);
static int tomb_retry_locked(uintptr_t addr, ULONG_PTR kind);
static int guard_accessible(uintptr_t addr, ULONG_PTR kind);

// The calling thread's call bracket (see mm__guard_begin in platform.h): the
// handler runs on the faulting thread, so it counts a fault inside the range
// here, for this call alone.
typedef struct mm_guard_slot_s {
  uintptr_t lo, hi;
  uint32_t faults;
  LONG64 swaps; // swap_count when the call began
} mm_guard_slot_t;

static _Thread_local mm_guard_slot_t slot;

// Swaps of views for zeros, on any thread (see "Other threads"): a view is
// replaced whole, so every call running in it reads zeros, not only the one
// whose touch faulted. The last MM_SWAP_LOG swaps are kept here, written
// with the lock held exclusively; swap_count counts them all.
#define MM_SWAP_LOG 64

typedef struct mm_swap_s {
  uintptr_t start, end;
  int truncated; // an access violation: Wine's report of a file cut by another process
} mm_swap_t;

static mm_swap_t swap_log[MM_SWAP_LOG];
static volatile LONG64 swap_count = 0;

static LONG64
swaps_now(void) {
  return InterlockedCompareExchange64(&swap_count, 0, 0);
}

// Whether a view swapped since the calling thread's call began meets its
// range (1), and whether one of those was a truncation (2); a log that
// moved past the call counts as both (the call cannot tell what it read).
static int
swapped_here(void) {
  if (slot.lo >= slot.hi) return 0;
  LONG64 now = swaps_now();
  if (now == slot.swaps) return 0;
  int found = 0;
  AcquireSRWLockShared(&guard_lock);
  now = swap_count;
  if (now - slot.swaps > MM_SWAP_LOG) {
    found = 3;
  } else {
    for (LONG64 i = slot.swaps; i < now; i++) {
      const mm_swap_t *w = &swap_log[i % MM_SWAP_LOG];
      if (w->start < slot.hi && slot.lo < w->end) found |= 1 | (w->truncated ? 2 : 0);
    }
  }
  ReleaseSRWLockShared(&guard_lock);
  return found;
}

void
mm__guard_begin(const void *lo, size_t length) {
  slot.faults = 0;
  slot.swaps = swaps_now();
  slot.lo = (uintptr_t)lo;
  slot.hi = (uintptr_t)lo + length;
}

uint32_t
mm__guard_here(void) {
  uint32_t own = *(volatile uint32_t *)&slot.faults;
  return own != 0 ? own : (swapped_here() != 0);
}

size_t
mm__guard_lost(const mm_map_t *m) {
  return m->lost_from;
}

uint32_t
mm__guard_runs(const mm_map_t *m) {
  (void)m;
  return 0;
}

uint32_t
mm__guard_settle(const mm_map_t *m) {
  // No runs are counted here (see mm__guard_runs): a view swapped for zeros
  // on another thread is seen through swap_count (see "Other threads").
  (void)m;
  return 0;
}

int
mm__guard_here_truncated(void) {
  return (swapped_here() & 2) != 0;
}

void
mm__guard_end(void) {
  slot.lo = slot.hi = 0;
}

// Records are removed before a resize and added after (mm__guard_keeps is 0).
void
mm__guard_update(mm_map_t *m) {
  (void)m;
}

// A vectored handler stays in force whatever else is installed.
void
mm__guard_reinstall(void) {}

void
mm__guard_step_aside(void) {}

// This DLL's address range, from its PE header.
static void
image_range(void) {
  HMODULE self = NULL;
  if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                              GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                          (LPCWSTR)(void *)guard_handler, &self))
    return;
  const IMAGE_DOS_HEADER *dos = (const IMAGE_DOS_HEADER *)self;
  const IMAGE_NT_HEADERS *nt = (const IMAGE_NT_HEADERS *)((const uint8_t *)self + dos->e_lfanew);
  image_start = (uintptr_t)self;
  image_end = image_start + nt->OptionalHeader.SizeOfImage;
}

// Whether a frame of this DLL is on the faulting thread's stack: walks the
// unwind data of up to 64 frames (memmove in the C runtime, a search kernel,
// V8 copying a string out of the map: the caller is a binding of this DLL).
// The stack pointer is checked against the thread's stack before each read.
// 32-bit x86 has no unwind tables: there only a fault in this DLL's own code
// counts.
static int
in_module(const CONTEXT *at) {
#if defined(_M_X64) || defined(__x86_64__) || defined(_M_ARM64) || defined(__aarch64__)
  ULONG_PTR low = 0, high = 0;
  GetCurrentThreadStackLimits(&low, &high);
  CONTEXT c = *at;
  for (int depth = 0; depth < 64; depth++) {
#if defined(_M_ARM64) || defined(__aarch64__)
    DWORD64 pc = c.Pc, sp = c.Sp;
#else
    DWORD64 pc = c.Rip, sp = c.Rsp;
#endif
    if (pc >= image_start && pc < image_end) return 1;
    if (sp < low || sp + 8 > high) return 0;
    DWORD64 image_base = 0;
    PRUNTIME_FUNCTION f = RtlLookupFunctionEntry(pc, &image_base, NULL);
    if (f == NULL) {
      // A leaf function: the return address is in the link register
      // (arm64) or at the top of the stack (x64).
#if defined(_M_ARM64) || defined(__aarch64__)
      c.Pc = c.Lr;
#else
      c.Rip = *(const DWORD64 *)c.Rsp;
      c.Rsp += 8;
#endif
    } else {
      PVOID handler_data = NULL;
      DWORD64 frame = 0;
      RtlVirtualUnwind(UNW_FLAG_NHANDLER, image_base, pc, f, &c, &handler_data, &frame, NULL);
    }
#if defined(_M_ARM64) || defined(__aarch64__)
    if (c.Pc == 0 || c.Pc == pc) return 0;
#else
    if (c.Rip == 0) return 0;
#endif
  }
  return 0;
#else
  uintptr_t pc = (uintptr_t)at->Eip;
  return pc >= image_start && pc < image_end;
#endif
}

// The view of a record as its map maps it (see mm_win32_map_section).
static void *
guard_view(mm_map_t *m, void *at) {
  mm_win_t *w = mm_win32_win(m);
  uint64_t start = m->offset - m->skew;
  DWORD access = mm_win32_copy_on_write(m) ? FILE_MAP_COPY : FILE_MAP_WRITE;
  if (w == NULL || w->section == NULL) return NULL;
  return MapViewOfFileEx(w->section, access, (DWORD)(start >> 32), (DWORD)start, m->os_length, at);
}

// Puts the file's view back where the handler swapped in zeros. Called with
// the lock held exclusively. Between the two calls another thread could take
// the range; the zero-filled memory then goes back in and the map keeps it.
static void
guard_restore(mm_guard_record_t *r) {
  if (!r->replaced) return;
  void *base = (void *)r->start;
  if (!VirtualFree(base, 0, MEM_RELEASE)) return;
  if (guard_view(r->map, base) == base) {
    r->replaced = 0;
    return;
  }
  (void)VirtualAlloc(base, r->end - r->start, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
}

// The last page this thread's handler let run again after a gap (see the
// handler), and how many times in a row.
static _Thread_local uintptr_t retry_addr;
static _Thread_local unsigned retry_count;

// Whether a read (kind 0) or write (kind 1) at addr would succeed now: the
// page is committed with a protection that allows it.
static int
guard_accessible(uintptr_t addr, ULONG_PTR kind) {
  if (kind != 0 && kind != 1) return 0;
  MEMORY_BASIC_INFORMATION mbi;
  if (VirtualQuery((void *)addr, &mbi, sizeof(mbi)) == 0) return 0;
  if (mbi.State != MEM_COMMIT || (mbi.Protect & (PAGE_GUARD | PAGE_NOACCESS))) return 0;
  DWORD writable =
      PAGE_READWRITE | PAGE_WRITECOPY | PAGE_EXECUTE_READWRITE | PAGE_EXECUTE_WRITECOPY;
  DWORD readable = writable | PAGE_READONLY | PAGE_EXECUTE_READ;
  return kind == 1 ? (mbi.Protect & writable) != 0 : (mbi.Protect & readable) != 0;
}

static LONG CALLBACK
guard_handler(PEXCEPTION_POINTERS info) {
  const EXCEPTION_RECORD *e = info->ExceptionRecord;
  if ((e->ExceptionCode != EXCEPTION_IN_PAGE_ERROR &&
       e->ExceptionCode != EXCEPTION_ACCESS_VIOLATION) ||
      e->NumberParameters < 2)
    return EXCEPTION_CONTINUE_SEARCH;
  uintptr_t addr = (uintptr_t)e->ExceptionInformation[1];
  LONG verdict = EXCEPTION_CONTINUE_SEARCH;
  AcquireSRWLockExclusive(&guard_lock);
  // A touch of a view while it was being swapped for a tombstone.
  if (e->ExceptionCode == EXCEPTION_ACCESS_VIOLATION &&
      tomb_retry_locked(addr, e->ExceptionInformation[0])) {
    ReleaseSRWLockExclusive(&guard_lock);
    return EXCEPTION_CONTINUE_EXECUTION;
  }
  // A touch of a view in the instant it was unmapped and mapped again (a
  // restore, mm_win32_untomb), with the lock held by the thread doing it: this
  // handler waited for the lock, and the page is there now. The touch runs
  // again, three times in a row at most for one address: a page that keeps
  // faulting though it looks accessible (Wine reports a cut file's page that
  // way) then goes on to be handled below.
  if (e->ExceptionCode == EXCEPTION_ACCESS_VIOLATION &&
      guard_accessible(addr, e->ExceptionInformation[0])) {
    if (retry_addr != addr - addr % 4096) {
      retry_addr = addr - addr % 4096;
      retry_count = 0;
    }
    if (retry_count++ < 3) {
      ReleaseSRWLockExclusive(&guard_lock);
      return EXCEPTION_CONTINUE_EXECUTION;
    }
  }
  retry_count = 0;
  for (mm_guard_record_t *r = guard_records; r != NULL; r = r->next) {
    if (addr < r->start || addr >= r->end) continue;
    if (r->replaced) {
      // Another thread swapped the view meanwhile: the touch now succeeds,
      // on zeros, so it counts for this thread's call too.
      if (addr >= slot.lo && addr < slot.hi) slot.faults++;
      verdict = EXCEPTION_CONTINUE_EXECUTION;
      break;
    }
    if (!in_module(info->ContextRecord)) break;
    void *base = (void *)r->start;
    if (!UnmapViewOfFile(base)) break;
    if (VirtualAlloc(base, r->end - r->start, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE) != base) {
      // The range was taken in between: put the view back if possible, and
      // let the fault go on.
      (void)guard_view(r->map, base);
      break;
    }
    r->replaced = 1;
    // Logged for the calls of other threads that read the zeros meanwhile.
    mm_swap_t *logged = &swap_log[swap_count % MM_SWAP_LOG];
    logged->start = r->start;
    logged->end = r->end;
    logged->truncated = e->ExceptionCode == EXCEPTION_ACCESS_VIOLATION;
    InterlockedIncrement64(&swap_count);
    mm_map_t *m = r->map;
    mm_win_t *w = mm_win32_win(m);
    // An in-page error says why the page could not be read (its NTSTATUS).
    if (w != NULL)
      w->cause = e->ExceptionCode == EXCEPTION_IN_PAGE_ERROR && e->NumberParameters >= 3
                     ? (LONG)e->ExceptionInformation[2]
                     : 0;
    size_t page = mm_win32_system_info.dwPageSize;
    size_t offset = (addr - r->start) / page * page;
    if (offset < m->lost_from) m->lost_from = offset;
    InterlockedIncrement((volatile LONG *)&m->faults);
    if (addr >= slot.lo && addr < slot.hi) slot.faults++;
    verdict = EXCEPTION_CONTINUE_EXECUTION;
    break;
  }
  ReleaseSRWLockExclusive(&guard_lock);
  return verdict;
}

// Tombstones -------------------------------------------------------------------
//
// Memory leaving a map while a view may still reach it (mm_map_t.retire) is
// swapped for zero-filled private memory at the same address. Windows cannot
// swap a view for private memory in one step (placeholders only trade the
// view for inaccessible reserved memory, and Wine refuses them), so the view
// is unmapped and the tombstone reserved at its address while the guard's
// lock is held; a thread that touches the range in between faults, and the
// handler, which takes the same lock, lets the touch run again once the
// tombstone is there. Tombstones are only reserved (no commit charge): the
// handler commits a page of zeros where one is touched. A copy the kernel
// makes from the range (a WriteFile in flight) stops there instead: a short
// write or an error. Tombstones are recorded here for the handler.

static mm_span_t *guard_tombs = NULL;
static size_t tomb_count = 0, tomb_capacity = 0;

// Installs the vectored handler once; with the lock held.
static int
guard_install_locked(void) {
  if (guard_handle == NULL) {
    mm_win32_host();
    image_range();
    // The handler and its records live in this DLL: it stays loaded for the
    // process's life, even when the last worker that loaded it goes.
    HMODULE pinned = NULL;
    (void)GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                             (LPCWSTR)(void *)guard_handler, &pinned);
    // First in line: V8's own handler (WebAssembly traps) must not see our faults.
    guard_handle = AddVectoredExceptionHandler(1, guard_handler);
  }
  return guard_handle != NULL;
}

// Room for one more tombstone; with the lock held.
static int
tomb_reserve_locked(void) {
  if (tomb_count < tomb_capacity) return 1;
  size_t capacity = tomb_capacity == 0 ? 16 : tomb_capacity * 2;
  mm_span_t *tombs = realloc(guard_tombs, capacity * sizeof(*tombs));
  if (tombs == NULL) return 0;
  guard_tombs = tombs;
  tomb_capacity = capacity;
  return 1;
}

static void
tomb_forget_locked(void *base) {
  for (size_t i = 0; i < tomb_count; i++) {
    if (guard_tombs[i].base == base) {
      guard_tombs[i] = guard_tombs[--tomb_count];
      return;
    }
  }
}

// Whether a faulting read or write at addr, inside a tombstone, may run
// again: the page is committed now (here, when it was only reserved). With
// the lock held.
static int
tomb_retry_locked(uintptr_t addr, ULONG_PTR kind) {
  for (size_t i = 0; i < tomb_count; i++) {
    uintptr_t start = (uintptr_t)guard_tombs[i].base;
    if (addr < start || addr - start >= guard_tombs[i].length) continue;
    if (kind != 0 && kind != 1) return 0;
    MEMORY_BASIC_INFORMATION mbi;
    if (VirtualQuery((void *)addr, &mbi, sizeof(mbi)) == 0) return 0;
    if (mbi.State == MEM_RESERVE) {
      size_t page = mm_win32_system_info.dwPageSize;
      return VirtualAlloc((void *)(addr - addr % page), page, MEM_COMMIT, PAGE_READWRITE) != NULL;
    }
    if (mbi.State != MEM_COMMIT || (mbi.Protect & (PAGE_GUARD | PAGE_NOACCESS))) return 0;
    DWORD writable =
        PAGE_READWRITE | PAGE_WRITECOPY | PAGE_EXECUTE_READWRITE | PAGE_EXECUTE_WRITECOPY;
    DWORD readable = writable | PAGE_READONLY | PAGE_EXECUTE_READ;
    return kind == 1 ? (mbi.Protect & writable) != 0 : kind == 0 && (mbi.Protect & readable) != 0;
  }
  return 0;
}

// Unmaps a view; while m->retire is set, leaves a tombstone in its place
// and records it in m->tombstones.
BOOL
mm_win32_unmap_view(mm_map_t *m, void *base, size_t length) {
  if (!m->retire || m->tombstone_count >= MM_TOMBSTONES_MAX) return UnmapViewOfFile(base);
  AcquireSRWLockExclusive(&guard_lock);
  int tomb = guard_install_locked() && tomb_reserve_locked();
  BOOL ok = UnmapViewOfFile(base);
  // Reserved only: committing would charge the whole range to the commit
  // limit; the handler commits a page when something touches it.
  if (ok && tomb && VirtualAlloc(base, length, MEM_RESERVE, PAGE_READWRITE) == base) {
    mm_span_t span = {base, length};
    guard_tombs[tomb_count++] = span;
    m->tombstones[m->tombstone_count++] = span;
  }
  ReleaseSRWLockExclusive(&guard_lock);
  return ok;
}

void
mm__tombstone_free(void *base, size_t length) {
  (void)length;
  AcquireSRWLockExclusive(&guard_lock);
  tomb_forget_locked(base);
  (void)VirtualFree(base, 0, MEM_RELEASE);
  ReleaseSRWLockExclusive(&guard_lock);
}

// After a failed resize: when the last tombstone m retired is at base, maps
// the map's view back in its place and returns 0. Returns -1, the tombstone
// kept, when there is none or the view cannot be mapped exactly there. A
// touch of the range in the instant between is not retried by the handler.
int
mm_win32_untomb(mm_map_t *m, void *base, size_t os_length, HANDLE *section, void **view) {
  mm_win_t *w = mm_win32_win(m);
  int last = m->tombstone_count - 1;
  if (last < 0 || m->tombstones[last].base != base) return -1;
  size_t length = m->tombstones[last].length;
  mm_error_t ignored;
  int rc = -1;
  AcquireSRWLockExclusive(&guard_lock);
  if (VirtualFree(base, 0, MEM_RELEASE)) {
    rc = mm_win32_map_section_at(m, (HANDLE)m->fd, os_length, w->tag, base, 1, section, view,
                                 &ignored);
    if (rc < 0 && VirtualAlloc(base, length, MEM_RESERVE, PAGE_READWRITE) == base) {
      ReleaseSRWLockExclusive(&guard_lock);
      return -1;
    }
    // The view is back, or the tombstone is lost (the address was taken).
    tomb_forget_locked(base);
    m->tombstone_count = last;
  }
  ReleaseSRWLockExclusive(&guard_lock);
  return rc;
}

// A map's record is allocated once, by its first mm__guard_add, and kept
// until the map is unmapped (mm_win32_guard_forget): mm__guard_remove only parks
// it (out of the list), so the mm__guard_add after a resize takes it back
// and cannot fail with the memory already exposed. A map with no record
// (length 0) gets one before a resize maps anything (mm_map_resize).
int
mm__guard_add(mm_map_t *m, mm_error_t *err) {
  mm_guard_record_t *r = m->guard;
  int fresh = r == NULL;
  if (fresh) r = calloc(1, sizeof(*r));
  if (r == NULL) return mm__fail(err, "mmap", MM_UV_ENOMEM);
  AcquireSRWLockExclusive(&guard_lock);
  int ok = guard_install_locked();
  if (ok && !r->linked) {
    r->start = (uintptr_t)m->os_base;
    r->end = r->start + m->os_length;
    r->map = m;
    r->replaced = 0;
    r->linked = 1;
    r->next = guard_records;
    guard_records = r;
    m->guard = r;
  }
  ReleaseSRWLockExclusive(&guard_lock);
  if (!ok) {
    if (fresh) free(r);
    return mm__fail(err, "mmap", MM_UV_ENOMEM);
  }
  return 0;
}

void
mm_win32_guard_forget(mm_map_t *m) {
  mm__guard_remove(m);
  free(m->guard);
  m->guard = NULL;
}

void
mm__guard_remove(mm_map_t *m) {
  mm_guard_record_t *r = m->guard;
  if (r == NULL || !r->linked) return;
  AcquireSRWLockExclusive(&guard_lock);
  // The map is about to be unmapped or moved: it must be a view again.
  guard_restore(r);
  if (r->replaced) {
    // The view could not come back: release the zeros, so the unmap that
    // follows has nothing left to do but fail harmlessly.
    (void)VirtualFree((void *)r->start, 0, MEM_RELEASE);
  }
  for (mm_guard_record_t **p = &guard_records; *p != NULL; p = &(*p)->next) {
    if (*p == r) {
      *p = r->next;
      break;
    }
  }
  r->linked = 0;
  r->replaced = 0;
  ReleaseSRWLockExclusive(&guard_lock);
}

// Restores a swapped view; every guard call the core makes comes between
// operations on the map, so no touch of it is in flight.
static void
guard_settle(const mm_map_t *m) {
  mm_guard_record_t *r = m->guard;
  if (r == NULL) return;
  AcquireSRWLockExclusive(&guard_lock);
  guard_restore(r);
  ReleaseSRWLockExclusive(&guard_lock);
}

uint32_t
mm__guard_faults(const mm_map_t *m) {
  guard_settle(m);
  return (uint32_t)InterlockedCompareExchange((volatile LONG *)&m->faults, 0, 0);
}

int
mm__guard_cause(mm_map_t *m, mm_error_t *err) {
  // STATUS_DISK_FULL: a page written through the map found no room on the
  // disk; anything else (a device or network error) is EIO.
  mm_win_t *w = mm_win32_win(m);
  if (w != NULL && (DWORD)w->cause == 0xC000007FUL) return mm__fail(err, "mmap", MM_UV_ENOSPC);
  return mm__fail(err, "mmap", MM_UV_EIO);
}

void
mm__probe_write(uint8_t *p) {
  // A write that keeps the byte: an atomic OR with 0 (another process may be
  // writing the same byte through its own map).
#if defined(__GNUC__)
  (void)__atomic_fetch_or(p, (uint8_t)0, __ATOMIC_RELAXED);
#else
  (void)InterlockedOr8((volatile char *)p, 0);
#endif
}

int
mm__guard_check(mm_map_t *m, size_t *backed, mm_error_t *err) {
  guard_settle(m);
  size_t lost = m->lost_from;
  if (m->fd == MM_NO_FD) {
    // Without a handle (trackfd false) the file cannot be asked: what
    // faulted once counts as lost.
    *backed = lost < m->os_length ? lost : m->os_length;
    return 0;
  }
  size_t covered;
  int rc = mm_map_covered(m, &covered, err);
  if (rc < 0) return rc;
  // The view is the file's again (see guard_settle): whatever the file
  // covers now is backed.
  if (covered >= m->os_length) m->lost_from = SIZE_MAX;
  *backed = covered;
  return 0;
}
