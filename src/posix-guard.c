// posix-guard.c: the POSIX fault guard (SIGBUS handler and its records); posix.c keeps the
// mapping contract and calls in here.
#include "posix-guard.h"
#include "platform.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/statvfs.h>
#include <unistd.h>

#if !defined(MAP_ANONYMOUS) && defined(MAP_ANON)
#define MAP_ANONYMOUS MAP_ANON
#endif

// Fault guard -------------------------------------------------------------------
//
// A file truncated by another process leaves the pages of its maps past the new
// end without backing: touching them raises SIGBUS, which kills the process by
// default (Python's mmap dies this way). This module installs one SIGBUS handler
// for the process. It looks the faulting address up among this module's
// file-backed mappings; when it is in one, it maps a zero page over the lost
// page (MAP_FIXED), counts the fault in the map and returns, so the touch is
// retried and reads zeros (or writes into the zero page). Every other SIGBUS —
// sent by kill(), or in memory that is not ours — goes to the handler that was
// there before, or to the default action.
//
// The handler may run on any thread at any moment, so it takes no lock: it
// reads records that are only ever published with atomic stores, in blocks that
// are linked once and never freed. Records are added and removed under a mutex.

#define MM_GUARD_BLOCK 256

typedef struct mm_guard_record_s {
  uintptr_t start, end; // the OS mapping's range; 0, 0 when free
  mm_map_t *map;        // NULL when free
} mm_guard_record_t;

typedef struct mm_guard_block_s {
  mm_guard_record_t records[MM_GUARD_BLOCK];
  struct mm_guard_block_s *next;
} mm_guard_block_t;

static mm_guard_block_t mm__guard_first;
static pthread_mutex_t mm__guard_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sigaction mm__guard_previous;
static int mm__guard_installed = 0;

// Hands a fault that is not ours to whoever had SIGBUS before.
static void
mm__guard_chain(int sig, siginfo_t *info, void *context) {
  if (mm__guard_previous.sa_flags & SA_SIGINFO) {
    mm__guard_previous.sa_sigaction(sig, info, context);
    return;
  }
  if (mm__guard_previous.sa_handler != SIG_DFL && mm__guard_previous.sa_handler != SIG_IGN) {
    mm__guard_previous.sa_handler(sig);
    return;
  }
  // A SIGBUS sent by kill() that the program ignored stays ignored.
  if (mm__guard_previous.sa_handler == SIG_IGN && (info == NULL || info->si_code <= 0)) return;
  // The default action (also for SIG_IGN, which cannot skip a real fault):
  // reset it; returning re-runs the faulting access, or delivers a pending
  // kill(), and the process ends by SIGBUS as it would have without us.
  struct sigaction dfl;
  memset(&dfl, 0, sizeof(dfl));
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(SIGBUS, &dfl, NULL);
  if (info == NULL || info->si_code <= 0) raise(sig);
}

static void
mm__guard_handler(int sig, siginfo_t *info, void *context) {
  int saved_errno = errno;
  // Only a fault on a page with nothing behind it (BUS_ADRERR: past the end
  // of the file; BUS_OBJERR: the file system could not supply it) is ours to
  // absorb; machine-check errors and signals sent by kill() are not.
  if (info != NULL && (info->si_code == BUS_ADRERR || info->si_code == BUS_OBJERR)) {
    uintptr_t addr = (uintptr_t)info->si_addr;
    size_t page = mm__page();
    for (mm_guard_block_t *b = &mm__guard_first; b != NULL;
         b = __atomic_load_n(&b->next, __ATOMIC_ACQUIRE)) {
      for (size_t i = 0; i < MM_GUARD_BLOCK; i++) {
        mm_guard_record_t *r = &b->records[i];
        mm_map_t *m = __atomic_load_n(&r->map, __ATOMIC_ACQUIRE);
        if (m == NULL) continue;
        uintptr_t start = __atomic_load_n(&r->start, __ATOMIC_ACQUIRE);
        uintptr_t end = __atomic_load_n(&r->end, __ATOMIC_ACQUIRE);
        if (addr < start || addr >= end) continue;
        uintptr_t lost = addr - addr % page;
        int flags, prot;
        mm__os_mode(m, &flags, &prot);
        void *p = mmap((void *)lost, page, prot | PROT_READ | PROT_WRITE,
                       MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) break;
        size_t offset = lost - start;
        size_t seen = __atomic_load_n(&m->lost_from, __ATOMIC_RELAXED);
        while (offset < seen && !__atomic_compare_exchange_n(&m->lost_from, &seen, offset, 1,
                                                             __ATOMIC_RELEASE, __ATOMIC_RELAXED))
          ;
        __atomic_add_fetch(&m->faults, 1, __ATOMIC_RELEASE);
        errno = saved_errno;
        return;
      }
    }
  }
  errno = saved_errno;
  mm__guard_chain(sig, info, context);
}

static int
mm__guard_install(mm_error_t *err) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = mm__guard_handler;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGBUS, &sa, &mm__guard_previous) == -1) return mm__fail(err, "sigaction", -errno);
  mm__guard_installed = 1;
  return 0;
}

// Records [start, start + length) as m's; with the lock held.
static int
mm__guard_record_locked(uintptr_t start, size_t length, mm_map_t *m, mm_guard_record_t **out,
                        mm_error_t *err) {
  int rc = 0;
  if (!mm__guard_installed) rc = mm__guard_install(err);
  mm_guard_record_t *free_record = NULL;
  mm_guard_block_t *b = &mm__guard_first;
  while (rc == 0 && free_record == NULL) {
    for (size_t i = 0; i < MM_GUARD_BLOCK && free_record == NULL; i++)
      if (b->records[i].map == NULL) free_record = &b->records[i];
    if (free_record != NULL) break;
    if (b->next == NULL) {
      mm_guard_block_t *next = calloc(1, sizeof(*next));
      if (next == NULL) {
        rc = mm__fail(err, "mmap", -ENOMEM);
        break;
      }
      __atomic_store_n(&b->next, next, __ATOMIC_RELEASE);
    }
    b = b->next;
  }
  if (rc == 0) {
    __atomic_store_n(&free_record->start, start, __ATOMIC_RELEASE);
    __atomic_store_n(&free_record->end, start + length, __ATOMIC_RELEASE);
    __atomic_store_n(&free_record->map, m, __ATOMIC_RELEASE);
    *out = free_record;
  }
  return rc;
}

static void
mm__guard_clear_locked(mm_guard_record_t *r) {
  __atomic_store_n(&r->map, NULL, __ATOMIC_RELEASE);
  __atomic_store_n(&r->start, 0, __ATOMIC_RELEASE);
  __atomic_store_n(&r->end, 0, __ATOMIC_RELEASE);
}

int
mm__guard_add(mm_map_t *m, mm_error_t *err) {
  mm_guard_record_t *r = NULL;
  pthread_mutex_lock(&mm__guard_lock);
  int rc = mm__guard_record_locked((uintptr_t)m->os_base, m->os_length, m, &r, err);
  pthread_mutex_unlock(&mm__guard_lock);
  if (rc == 0) m->guard = r;
  return rc;
}

void
mm__guard_remove(mm_map_t *m) {
  mm_guard_record_t *r = m->guard;
  if (r == NULL) return;
  pthread_mutex_lock(&mm__guard_lock);
  mm__guard_clear_locked(r);
  pthread_mutex_unlock(&mm__guard_lock);
  m->guard = NULL;
}

// Tombstones of file mappings stay guarded, as if they were a map of their
// own: a thread that touched a page of the file past its end just before
// the page became a tombstone, and whose SIGBUS arrives after the map's own
// record is gone, still finds the range here; the handler maps a zero page
// there (as it would in the map) and the touch runs again. The same covers
// file pages kept where no tombstone could be made (see mm__retire).
static mm_map_t mm__tomb_guard = {
    .anonymous = 1,
    .access = MM_ACCESS_WRITE,
    .flags = MAP_PRIVATE,
    .prot = PROT_READ | PROT_WRITE,
    .lost_from = SIZE_MAX,
};

void
mm__guard_tombstone(void *base, size_t length) {
  mm_guard_record_t *r = NULL;
  mm_error_t ignored;
  pthread_mutex_lock(&mm__guard_lock);
  (void)mm__guard_record_locked((uintptr_t)base, length, &mm__tomb_guard, &r, &ignored);
  pthread_mutex_unlock(&mm__guard_lock);
}

void
mm__guard_tombstone_gone(void *base) {
  pthread_mutex_lock(&mm__guard_lock);
  for (mm_guard_block_t *b = &mm__guard_first; b != NULL; b = b->next) {
    for (size_t i = 0; i < MM_GUARD_BLOCK; i++) {
      mm_guard_record_t *r = &b->records[i];
      if (r->map == &mm__tomb_guard && r->start == (uintptr_t)base) {
        mm__guard_clear_locked(r);
        pthread_mutex_unlock(&mm__guard_lock);
        return;
      }
    }
  }
  pthread_mutex_unlock(&mm__guard_lock);
}

uint32_t
mm__guard_faults(const mm_map_t *m) {
  return __atomic_load_n(&m->faults, __ATOMIC_ACQUIRE);
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

int
mm__guard_check(mm_map_t *m, size_t *backed, mm_error_t *err) {
  size_t page = mm__page();
  size_t lost = __atomic_load_n(&m->lost_from, __ATOMIC_ACQUIRE);
  if (m->fd == MM_NO_FD) {
    // Without a descriptor (trackfd false) the file cannot be asked; what the
    // guard replaced stays lost.
    *backed = lost < m->os_length ? lost : m->os_length;
    return 0;
  }
  size_t covered;
  int rc = mm_map_covered(m, &covered, err);
  if (rc < 0) return rc;
  uint64_t file_start = m->offset - m->skew;
  if (lost < covered) {
    // The file has grown back over pages the guard replaced: map the file's
    // pages there again. Pages further on may be replaced too; mapping the
    // file over them is harmless, so everything from `lost` up to the page
    // holding the file's end is given back in one call.
    size_t until = (covered + page - 1) / page * page;
    int flags, prot;
    mm__os_mode(m, &flags, &prot);
    void *p = mmap((uint8_t *)m->os_base + lost, until - lost, prot, flags | MAP_FIXED, m->fd,
                   (off_t)(file_start + lost));
    if (p == MAP_FAILED) return mm__fail(err, "mmap", -errno);
    __atomic_store_n(&m->lost_from, until < m->os_length ? until : SIZE_MAX, __ATOMIC_RELEASE);
  }
  *backed = covered;
  return 0;
}
