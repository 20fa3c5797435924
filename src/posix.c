// posix.c: the platform contract on POSIX: mmap, munmap, msync, ftruncate, madvise, fstat, dup;
// mremap on Linux.
#include "platform.h"
#include "posix-guard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

// File offsets past 4 GiB need a 64-bit off_t, which 32-bit systems give only
// with _FILE_OFFSET_BITS=64 (binding.gyp).
_Static_assert(sizeof(off_t) == 8, "off_t must have 64 bits: build with -D_FILE_OFFSET_BITS=64");

#ifdef __linux__
#include <sys/prctl.h>
#endif

#if !defined(MAP_ANONYMOUS) && defined(MAP_ANON)
#define MAP_ANONYMOUS MAP_ANON
#endif
#if !defined(MAP_ANON) && defined(MAP_ANONYMOUS)
#define MAP_ANON MAP_ANONYMOUS
#endif
#ifdef MAP_NORESERVE
#define MM_MAP_NORESERVE MAP_NORESERVE
#else
#define MM_MAP_NORESERVE 0
#endif
#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

// mremap() exists on Linux only (NetBSD's has another signature). The
// MM_NO_MREMAP build takes the portable path on Linux too, so CI proves it.
#if defined(__linux__) && !defined(MM_NO_MREMAP)
#define MM_HAVE_MREMAP 1
#endif

// Python's MAP_*, PROT_*, MADV_* and MS_* constants, each where the platform's headers define it.
static const mm_constant_t constant_table[] = {
#ifdef MS_SYNC
    {"MS_SYNC", MS_SYNC},
#endif
#ifdef MS_ASYNC
    {"MS_ASYNC", MS_ASYNC},
#endif
#ifdef MS_INVALIDATE
    {"MS_INVALIDATE", MS_INVALIDATE},
#endif
#ifdef PROT_READ
    {"PROT_READ", PROT_READ},
#endif
#ifdef PROT_WRITE
    {"PROT_WRITE", PROT_WRITE},
#endif
#ifdef PROT_EXEC
    {"PROT_EXEC", PROT_EXEC},
#endif
#ifdef MAP_SHARED
    {"MAP_SHARED", MAP_SHARED},
#endif
#ifdef MAP_PRIVATE
    {"MAP_PRIVATE", MAP_PRIVATE},
#endif
#ifdef MAP_ANON
    {"MAP_ANON", MAP_ANON},
#endif
#ifdef MAP_ANONYMOUS
    {"MAP_ANONYMOUS", MAP_ANONYMOUS},
#endif
#ifdef MAP_DENYWRITE
    {"MAP_DENYWRITE", MAP_DENYWRITE},
#endif
#ifdef MAP_EXECUTABLE
    {"MAP_EXECUTABLE", MAP_EXECUTABLE},
#endif
#ifdef MAP_POPULATE
    {"MAP_POPULATE", MAP_POPULATE},
#endif
#ifdef MAP_STACK
    {"MAP_STACK", MAP_STACK},
#endif
#ifdef MAP_NORESERVE
    {"MAP_NORESERVE", MAP_NORESERVE},
#endif
#ifdef MAP_32BIT
    {"MAP_32BIT", MAP_32BIT},
#endif
#ifdef MAP_ALIGNED_SUPER
    {"MAP_ALIGNED_SUPER", MAP_ALIGNED_SUPER},
#endif
#ifdef MAP_CONCEAL
    {"MAP_CONCEAL", MAP_CONCEAL},
#endif
#ifdef MAP_NOEXTEND
    {"MAP_NOEXTEND", MAP_NOEXTEND},
#endif
#ifdef MAP_HASSEMAPHORE
    {"MAP_HASSEMAPHORE", MAP_HASSEMAPHORE},
#endif
#ifdef MAP_NOCACHE
    {"MAP_NOCACHE", MAP_NOCACHE},
#endif
#ifdef MAP_JIT
    {"MAP_JIT", MAP_JIT},
#endif
#ifdef MAP_RESILIENT_CODESIGN
    {"MAP_RESILIENT_CODESIGN", MAP_RESILIENT_CODESIGN},
#endif
#ifdef MAP_RESILIENT_MEDIA
    {"MAP_RESILIENT_MEDIA", MAP_RESILIENT_MEDIA},
#endif
#ifdef MAP_TRANSLATED_ALLOW_EXECUTE
    {"MAP_TRANSLATED_ALLOW_EXECUTE", MAP_TRANSLATED_ALLOW_EXECUTE},
#endif
#ifdef MAP_UNIX03
    {"MAP_UNIX03", MAP_UNIX03},
#endif
#ifdef MAP_TPRO
    {"MAP_TPRO", MAP_TPRO},
#endif
#ifdef MADV_NORMAL
    {"MADV_NORMAL", MADV_NORMAL},
#endif
#ifdef MADV_RANDOM
    {"MADV_RANDOM", MADV_RANDOM},
#endif
#ifdef MADV_SEQUENTIAL
    {"MADV_SEQUENTIAL", MADV_SEQUENTIAL},
#endif
#ifdef MADV_WILLNEED
    {"MADV_WILLNEED", MADV_WILLNEED},
#endif
#ifdef MADV_DONTNEED
    {"MADV_DONTNEED", MADV_DONTNEED},
#endif
#ifdef MADV_REMOVE
    {"MADV_REMOVE", MADV_REMOVE},
#endif
#ifdef MADV_DONTFORK
    {"MADV_DONTFORK", MADV_DONTFORK},
#endif
#ifdef MADV_DOFORK
    {"MADV_DOFORK", MADV_DOFORK},
#endif
#ifdef MADV_MERGEABLE
    {"MADV_MERGEABLE", MADV_MERGEABLE},
#endif
#ifdef MADV_UNMERGEABLE
    {"MADV_UNMERGEABLE", MADV_UNMERGEABLE},
#endif
#ifdef MADV_HUGEPAGE
    {"MADV_HUGEPAGE", MADV_HUGEPAGE},
#endif
#ifdef MADV_NOHUGEPAGE
    {"MADV_NOHUGEPAGE", MADV_NOHUGEPAGE},
#endif
#ifdef MADV_DONTDUMP
    {"MADV_DONTDUMP", MADV_DONTDUMP},
#endif
#ifdef MADV_DODUMP
    {"MADV_DODUMP", MADV_DODUMP},
#endif
#ifdef MADV_HWPOISON
    {"MADV_HWPOISON", MADV_HWPOISON},
#endif
#ifdef MADV_SOFT_OFFLINE
    {"MADV_SOFT_OFFLINE", MADV_SOFT_OFFLINE},
#endif
#ifdef MADV_FREE
    {"MADV_FREE", MADV_FREE},
#endif
#ifdef MADV_NOSYNC
    {"MADV_NOSYNC", MADV_NOSYNC},
#endif
#ifdef MADV_AUTOSYNC
    {"MADV_AUTOSYNC", MADV_AUTOSYNC},
#endif
#ifdef MADV_NOCORE
    {"MADV_NOCORE", MADV_NOCORE},
#endif
#ifdef MADV_CORE
    {"MADV_CORE", MADV_CORE},
#endif
#ifdef MADV_PROTECT
    {"MADV_PROTECT", MADV_PROTECT},
#endif
#ifdef MADV_FREE_REUSABLE
    {"MADV_FREE_REUSABLE", MADV_FREE_REUSABLE},
#endif
#ifdef MADV_FREE_REUSE
    {"MADV_FREE_REUSE", MADV_FREE_REUSE},
#endif
};

const mm_constant_t *
mm__constants(size_t *count) {
  *count = sizeof(constant_table) / sizeof(constant_table[0]);
  return constant_table;
}

void
mm__sizes(size_t *page_size, size_t *granularity) {
  static size_t page = 0;
  if (page == 0) {
    long p = sysconf(_SC_PAGESIZE);
    page = p > 0 ? (size_t)p : 4096;
  }
  *page_size = page;
  *granularity = page;
}

size_t
mm_posix_page(void) {
  size_t page, granularity;
  mm__sizes(&page, &granularity);
  return page;
}

int
mm__fd_from_int(int fd, mm_fd_t *out, mm_error_t *err) {
  // Descriptors are what the OS calls take; a negative one (other than -1,
  // anonymous memory) fails as the OS would fail it.
  if (fd < 0) return mm__fail(err, "fstat", -EBADF);
  *out = fd;
  return 0;
}

int
mm__file_info(mm_fd_t fd, uint64_t *size, int *regular, mm_error_t *err) {
  struct stat st;
  if (fstat(fd, &st) == -1) return mm__fail(err, "fstat", -errno);
  *size = st.st_size > 0 ? (uint64_t)st.st_size : 0;
  *regular = S_ISREG(st.st_mode) ? 1 : 0;
  return 0;
}

int
mm__dup(mm_fd_t fd, mm_fd_t *out, mm_error_t *err) {
  // Like Python's _Py_dup: the copy is close-on-exec, so children spawned by
  // the program do not inherit the map's descriptor.
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy == -1) return mm__fail(err, "dup", -errno);
  *out = copy;
  return 0;
}

void
mm__close_fd(mm_fd_t fd) {
  // POSIX leaves the descriptor's state unspecified after EINTR; on Linux it
  // is closed either way, so retrying could close somebody else's descriptor.
  (void)close(fd);
}

// The flags and protection the OS gets. A read-only map is mapped private and
// writable: writes through a JavaScript view of it (which cannot be made
// read-only) then land in this process's copy-on-write pages instead of
// faulting, and never reach the file. MAP_NORESERVE keeps such a map from
// being charged against the commit limit for pages it will never copy.
void
mm_posix_os_mode(const mm_map_t *m, int *flags, int *prot) {
  *flags = m->flags;
  *prot = m->prot | PROT_READ;
  if (m->anonymous) *flags |= MAP_ANONYMOUS;
  // Any type given (MAP_SHARED, MAP_PRIVATE, or Linux's MAP_SHARED_VALIDATE,
  // which is both bits) becomes MAP_PRIVATE; none at all is left for mmap()
  // to refuse, as Python's flags=0 is.
  int type = *flags & (MAP_SHARED | MAP_PRIVATE);
  if (m->access == MM_ACCESS_READ && type != 0) {
    *flags = (*flags & ~(MAP_SHARED | MAP_PRIVATE)) | MAP_PRIVATE | MM_MAP_NORESERVE;
    *prot |= PROT_WRITE;
  }
}

// Maps os_length bytes at the map's aligned file offset (a fresh region).
static int
map_region(const mm_map_t *m, mm_fd_t fd, size_t os_length, void **out, mm_error_t *err) {
  int flags, prot;
  mm_posix_os_mode(m, &flags, &prot);
  // m->skew < granularity <= offset whenever skew > 0, so this cannot wrap.
  off_t file_offset = (off_t)(m->offset - m->skew);
  void *p = mmap(NULL, os_length, prot, flags, m->anonymous ? -1 : fd, file_offset);
  if (p == MAP_FAILED) return mm__fail(err, "mmap", -errno);
  *out = p;
  return 0;
}

int
mm__map(mm_map_t *m, mm_fd_t fd, const mm_options_t *opts, mm_error_t *err) {
  return map_region(m, fd, m->os_length, &m->os_base, err);
}

// Gives [base, base + length) of m's memory back to the OS, or, while
// m->retire is set, replaces it with zero-filled private memory and records
// it in m->tombstones (one call retires at most two ranges: see mmap.h). base
// is where the OS mapping or one of its pages starts.
static void
posix_retire(mm_map_t *m, void *base, size_t length) {
  size_t page = mm_posix_page();
  length = (length + page - 1) / page * page;
  if (length == 0) return;
  if (m->retire && m->tombstone_count < MM_TOMBSTONES_MAX) {
    // MAP_FIXED swaps the pages in one step, so no other thread can map
    // anything into the range between its old and its new memory. Where no
    // tombstone can be had (the process's limit of mappings, a strict
    // commit limit), the old pages stay and are retired as they are: memory
    // a view may reach is never unmapped.
    // A file mapping's tombstone is guarded before the swap: a touch of a
    // lost page at any instant finds the map's record or this one.
    // It takes a record m reserved (see the guard's "Reservations"), so it
    // is there: m's open reserved one for its close, a resize reserved
    // enough before it changed anything.
    if (!m->anonymous) (void)mm_posix_guard_tombstone(m, base, length);
    (void)mmap(base, length, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MM_MAP_NORESERVE, -1, 0);
    m->tombstones[m->tombstone_count].base = base;
    m->tombstones[m->tombstone_count].length = length;
    m->tombstone_count++;
    return;
  }
  (void)munmap(base, length);
}

void
mm__tombstone_free(void *base, size_t length) {
  mm_posix_guard_tombstone_gone(base);
  (void)munmap(base, length);
}

int
mm__unmap(mm_map_t *m, mm_error_t *err) {
  posix_retire(m, m->os_base, m->os_length);
  return 0;
}

int
mm__sync(mm_map_t *m, size_t offset, size_t length, int flags, mm_error_t *err) {
  // msync() only accepts page-aligned addresses: start at the page that
  // holds data + offset and widen the length by the same amount. The range
  // stays inside the OS mapping, which starts on a page boundary. The flags
  // are the caller's (MS_SYNC, MS_ASYNC, MS_INVALIDATE); msync() itself
  // refuses a bad combination with EINVAL, as Python reports it.
  uintptr_t start = (uintptr_t)(m->data + offset);
  size_t lead = start % mm_posix_page();
  if (msync((void *)(start - lead), length + lead, flags) == -1)
    return mm__fail(err, "msync", -errno);
  return 0;
}

int
mm__advise(mm_map_t *m, int advice, size_t start, size_t length, mm_error_t *err) {
  // madvise() wants a page-aligned start, as msync() does.
  uintptr_t addr = (uintptr_t)(m->data + start);
  size_t lead = addr % mm_posix_page();
  if (madvise((void *)(addr - lead), length + lead, advice) == -1)
    return mm__fail(err, "madvise", -errno);
  return 0;
}

int
mm__set_name(mm_map_t *m, const char *name, mm_error_t *err) {
#ifdef __linux__
  // prctl(2): PR_SET_VMA_ANON_NAME names anonymous memory (Linux 5.17+,
  // CONFIG_ANON_VMA_NAME); other kernels answer EINVAL.
  if (prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)m->os_base,
            (unsigned long)m->os_length, (unsigned long)name) == -1)
    return mm__fail(err, "prctl", -errno);
  return 0;
#else
  return mm__fail(err, "prctl", -ENOTSUP);
#endif
}

// Whether big blocks can have transparent huge pages: not when the kernel
// has them off (/sys/kernel/mm/transparent_hugepage/enabled says [never])
// nor when the environment has MMAP_NATIVE_HUGEPAGES=0. Decided once per
// process (any thread computes the same answer).
static int
big_huge(void) {
  static volatile int huge = -1;
  if (huge < 0) {
    int on = 1;
    const char *v = getenv("MMAP_NATIVE_HUGEPAGES");
    if (v != NULL && strcmp(v, "0") == 0) on = 0;
    int fd = open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      char mode[128];
      ssize_t n = read(fd, mode, sizeof(mode) - 1);
      if (n > 0) {
        mode[n] = 0;
        if (strstr(mode, "[never]") != NULL) on = 0;
      }
      close(fd);
    }
    huge = on;
  }
  return huge;
}

// Making a block's pages costs what the machine makes it cost: transparent
// huge pages are usually the cheapest (one fault per 2 MiB), but where the
// kernel must compact memory for them, or a virtual machine's host backs
// fresh guest memory lazily, they were measured at several times the cost
// of 4 KiB pages. So each kind's cost per byte is measured as blocks are
// made (a moving average, nanoseconds per KiB) and the cheaper is used,
// the other tried again every MM_BIG_PROBE blocks; a block of huge pages
// whose pages turn out dearer than 4 KiB ones gets 4 KiB pages for the
// rest. Any thread may update the figures: they are estimates, so relaxed
// atomics are enough.
#define MM_BIG_PROBE 8
static uint64_t big_cost[2]; // [0] 4 KiB pages, [1] huge pages; 0: not measured yet
static uint32_t big_count;

static uint64_t
big_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

// Notes what making bytes of one kind of page took (see big_cost).
static void
big_note(int huge, uint64_t ns, size_t bytes) {
  if (bytes < 1024) return;
  uint64_t cost = ns / (bytes / 1024) + 1;
  uint64_t old = __atomic_load_n(&big_cost[huge], __ATOMIC_RELAXED);
  __atomic_store_n(&big_cost[huge], old == 0 ? cost : (old * 3 + cost) / 4, __ATOMIC_RELAXED);
}

// Huge pages are made this many bytes at a time: when a step costs more per
// byte than 4 KiB pages were measured to, the rest of the block gets those.
#define MM_BIG_STEP ((size_t)32 << 20)

// Maps size bytes and makes their pages, huge or not; NULL when it cannot
// make them in one call (then the heap is as good).
static void *
big_make(size_t size, int huge) {
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
#if defined(MADV_POPULATE_WRITE) && defined(MADV_HUGEPAGE) && defined(MADV_NOHUGEPAGE)
  size_t done = 0;
  if (huge) {
    // With transparent huge pages in "madvise" mode MADV_HUGEPAGE is what
    // makes the kernel back the block with 2 MiB pages.
    (void)madvise(p, size, MADV_HUGEPAGE);
    while (done < size) {
      size_t step = size - done < MM_BIG_STEP ? size - done : MM_BIG_STEP;
      uint64_t t0 = big_now();
      // Failure only costs speed: the rest is faulted in as it is written.
      if (madvise((char *)p + done, step, MADV_POPULATE_WRITE) != 0) return p;
      uint64_t took = big_now() - t0;
      big_note(1, took, step);
      done += step;
      uint64_t small = __atomic_load_n(&big_cost[0], __ATOMIC_RELAXED);
      if (small != 0 && step >= 1024 && took / (step / 1024) + 1 > small) break;
    }
    if (done >= size) return p;
  }
  // 4 KiB pages, all made in one call (Linux 5.14 and later), not a trap
  // per page: that halves what the pages and the copy cost together.
  (void)madvise((char *)p + done, size - done, MADV_NOHUGEPAGE);
  uint64_t t0 = big_now();
  if (madvise((char *)p + done, size - done, MADV_POPULATE_WRITE) == 0) {
    big_note(0, big_now() - t0, size - done);
    return p;
  }
  if (done > 0) return p; // part made; the rest faults in as it is written
#else
#ifdef MADV_HUGEPAGE
  if (huge) {
    (void)madvise(p, size, MADV_HUGEPAGE);
    return p; // faulted in as the copy goes
  }
#endif
#endif
  (void)munmap(p, size);
  return NULL;
}

void *
mm__big_alloc(size_t size) {
  int huge_ok = big_huge();
#ifndef MADV_POPULATE_WRITE
  // Without a way to make 4 KiB pages in one call a block of its own is no
  // faster than the heap: a fresh heap buffer, as Buffer.from() makes, is
  // then the better copy.
  if (!huge_ok) return NULL;
  return big_make(size, 1);
#else
  int huge = 0;
  if (huge_ok) {
    uint64_t small = __atomic_load_n(&big_cost[0], __ATOMIC_RELAXED);
    uint64_t big = __atomic_load_n(&big_cost[1], __ATOMIC_RELAXED);
    uint32_t n = __atomic_fetch_add(&big_count, 1, __ATOMIC_RELAXED);
    if (big == 0)
      huge = 1;
    else if (small == 0)
      huge = 0;
    else
      huge = (big <= small) != (n % MM_BIG_PROBE == MM_BIG_PROBE - 1);
  }
  return big_make(size, huge);
#endif
}

void
mm__big_free(void *p, size_t size) {
  (void)munmap(p, size);
}

// Whether the bytes of a map can only be kept by copying them: a new mapping
// of the same file shows a shared map's bytes again, but not the private
// pages of a MAP_PRIVATE map, nor anonymous memory.
static int
needs_copy(const mm_map_t *m) {
  return m->anonymous || (m->flags & MAP_SHARED) == 0;
}

// Grows the OS mapping of m to os_length bytes. Moves it when it must;
// leaves m untouched on failure. On success the old region is gone.
static int
posix_grow(mm_map_t *m, size_t os_length, mm_error_t *err) {
  void *p = NULL;
  if (m->os_base == NULL) {
    int rc = map_region(m, m->fd, os_length, &p, err);
    if (rc < 0) return rc;
    m->os_base = p;
    m->os_length = os_length;
    return 0;
  }
#ifdef MM_HAVE_MREMAP
  // Linux cannot grow a shared anonymous map with mremap(): the shmem
  // object behind it keeps its size and the new pages raise SIGBUS (the
  // kernel's bug 8691, CPython gh-138204). Those take the copying path.
  if (!(m->anonymous && (m->flags & MAP_SHARED))) {
    // While the old memory must be retired (see mm_map_t.retire), the map
    // may only grow in place: a move would hand the old range back to the
    // OS. Otherwise it takes the copying path, which retires it.
    p = mremap(m->os_base, m->os_length, os_length, m->retire ? 0 : MREMAP_MAYMOVE);
    if (p != MAP_FAILED) {
      m->os_base = p;
      m->os_length = os_length;
      // The guard's record follows at once: the rest of the resize may touch
      // the grown pages (the stale bytes zeroed in mm__resize).
      mm__guard_update(m);
      return 0;
    }
    // EFAULT: the range is no longer one mapping (the fault guard put zero
    // pages in it); ENOMEM without MREMAP_MAYMOVE: no room to grow in place.
    // The copying path below still works.
    if (errno != EFAULT && !(m->retire && errno == ENOMEM)) return mm__fail(err, "mremap", -errno);
  }
#endif
  // Map a new region, carry the bytes over where the new region cannot show
  // them by itself, then drop the old one.
  int rc = map_region(m, m->fd, os_length, &p, err);
  if (rc < 0) return rc;
  // A file's new region is guarded before anything touches it: the copy
  // below writes into pages another process may have cut off the file (the
  // old region stays guarded by the map's own record meanwhile). With no
  // record to be had, the resize fails and changes nothing.
  void *span = NULL;
  if (!m->anonymous && needs_copy(m) && m->guard != NULL) {
    span = mm_posix_guard_span(m, p, os_length);
    if (span == NULL) {
      (void)munmap(p, os_length);
      return mm__fail(err, "mmap", -ENOMEM);
    }
  }
  if (needs_copy(m)) memcpy(p, m->os_base, m->os_length);
  void *old_base = m->os_base;
  size_t old_length = m->os_length;
  // Memory views may still reach is retired (and its tombstone guarded)
  // before the map's record moves off it; memory nothing can reach any more
  // loses the record before it goes back to the OS.
  if (m->retire) posix_retire(m, old_base, old_length);
  m->os_base = p;
  m->os_length = os_length;
  mm__guard_update(m);
  if (!m->retire) posix_retire(m, old_base, old_length);
  mm_posix_guard_span_gone(span);
  return 0;
}

// Shrinks the OS mapping of m in place to os_length bytes (0: unmaps it).
// Trimming the end of a mapping never splits one, so munmap() cannot run out
// of map entries here; a tombstone for the end can, and the end is then
// retired as it is (see posix_retire).
static int
posix_shrink(mm_map_t *m, size_t os_length, mm_error_t *err) {
  size_t page = mm_posix_page();
  size_t keep = os_length == 0 ? 0 : (os_length + page - 1) / page * page;
  // The last page kept holds bytes past the new end. A file-backed shared
  // map loses them when the file is truncated; private and anonymous memory
  // keeps them, and a later in-place grow would show them again: zero them.
  size_t stale_end = keep < m->os_length ? keep : m->os_length;
  if (stale_end > os_length && needs_copy(m))
    memset((uint8_t *)m->os_base + os_length, 0, stale_end - os_length);
  uint8_t *base = m->os_base;
  size_t old_length = m->os_length;
  // As in posix_grow: retired memory gets its tombstone record before the
  // map's record leaves it; memory handed back to the OS loses it before.
  if (m->retire && keep < old_length) posix_retire(m, base + keep, old_length - keep);
  m->os_length = os_length;
  if (os_length == 0) m->os_base = NULL;
  mm__guard_update(m);
  if (!m->retire && keep < old_length) posix_retire(m, base + keep, old_length - keep);
  return 0;
}

const int mm__shrinks_in_place = 1;
const int mm__guard_keeps = 1;
// mmap() takes flags and prot; msync() takes flags; a map never reaches past
// the file's end (resize() extends it); there are no named mappings.
const unsigned mm__features = MM_FEATURE_MAP_FLAGS | MM_FEATURE_SYNC_FLAGS;

static int resize_steps(mm_map_t *m, size_t length, int *moved, mm_error_t *err);

int
mm__resize(mm_map_t *m, size_t length, int *moved, mm_error_t *err) {
  // The records for the tombstones this resize may leave are reserved
  // before anything changes (ENOMEM fails it here); the unused go back after.
  if (m->retire && !m->anonymous) {
    int rc = mm_posix_guard_reserve(m, err);
    if (rc < 0) return rc;
  }
  int rc = resize_steps(m, length, moved, err);
  mm_posix_guard_unreserve(m);
  return rc;
}

static int
resize_steps(mm_map_t *m, size_t length, int *moved, mm_error_t *err) {
  // Python truncates the file first, so a failed remap leaves a file shorter
  // than the map. Here every step that can fail comes before the steps that
  // lose anything, and each failure undoes what was done:
  //   1. grow the file   2. grow the mapping   3. shrink the file   4. trim the mapping
  size_t os_length = length == 0 ? 0 : m->skew + length;
  int is_file = !m->anonymous;
  uint64_t old_size = 0, new_size = 0;
  void *old_base = m->os_base;
  size_t old_os_length = m->os_length;
  int rc, regular;

  if (is_file) {
    if (m->fd == MM_NO_FD) return mm__fail(err, "ftruncate", MM_ENOFD);
    rc = mm__file_info(m->fd, &old_size, &regular, err);
    if (rc < 0) return rc;
    if ((uint64_t)length > (uint64_t)INT64_MAX - m->offset)
      return mm__fail(err, "ftruncate", MM_ERANGE);
    new_size = m->offset + length;
    if (new_size > old_size && ftruncate(m->fd, (off_t)new_size) == -1)
      return mm__fail(err, "ftruncate", -errno);
  }

  if (os_length > m->os_length) {
    rc = posix_grow(m, os_length, err);
    if (rc < 0) {
      if (is_file && new_size > old_size) (void)ftruncate(m->fd, (off_t)old_size);
      return rc;
    }
    // A private page may hold a copy of bytes past the old end taken before
    // the file lost them; where the file ended inside the old map, what the
    // map grows over is new file space and must read as zeros.
    if (is_file && needs_copy(m) && old_size <= m->offset + m->length && old_os_length > 0) {
      size_t page = mm_posix_page();
      size_t stale_end = (old_os_length + page - 1) / page * page;
      if (stale_end > os_length) stale_end = os_length;
      if (stale_end > old_os_length)
        memset((uint8_t *)m->os_base + old_os_length, 0, stale_end - old_os_length);
    }
  }

  if (is_file && new_size < old_size && ftruncate(m->fd, (off_t)new_size) == -1) {
    int code = -errno;
    // The file is as it was; give the mapping back its old length. Shrinking
    // what step 2 grew happens in place.
    if (m->os_length > old_os_length) {
      mm_error_t ignored;
      (void)posix_shrink(m, old_os_length, &ignored);
    }
    m->data = (uint8_t *)m->os_base + m->skew;
    *moved = m->os_base != old_base;
    return mm__fail(err, "ftruncate", code);
  }

  if (os_length < m->os_length) {
    rc = posix_shrink(m, os_length, err);
    if (rc < 0) return rc;
  }

  m->length = length;
  if (m->os_base != NULL) m->data = (uint8_t *)m->os_base + m->skew;
  *moved = m->os_base != old_base;
  return 0;
}

// Residency: prefetch, residency, lock ------------------------------------------

#if defined(__linux__) && !defined(MADV_POPULATE_READ)
#define MADV_POPULATE_READ 22 // Linux 5.14; older headers lack it
#endif

// The page-aligned range holding [start, start + length) of the user's bytes
// (inside the OS mapping, which starts on a page boundary).
static void
posix_pages(mm_map_t *m, size_t start, size_t length, uint8_t **base, size_t *span) {
  size_t page = mm_posix_page();
  uintptr_t addr = (uintptr_t)(m->data + start);
  size_t lead = addr % page;
  *base = (uint8_t *)(addr - lead);
  *span = (length + lead + page - 1) / page * page;
}

#ifdef MADV_POPULATE_READ
// 0 once the kernel said it has no MADV_POPULATE_READ (EINVAL).
static int populate_works = 1;
#endif

void
mm__prefetch_hint(mm_map_t *m, size_t start, size_t length) {
#ifdef MADV_WILLNEED
  uint8_t *base;
  size_t span;
  posix_pages(m, start, length, &base, &span);
  (void)madvise(base, span, MADV_WILLNEED);
#endif
}

int
mm__prefetch(mm_map_t *m, size_t start, size_t length, mm_error_t *err) {
  uint8_t *base;
  size_t span, page = mm_posix_page();
  posix_pages(m, start, length, &base, &span);
#ifdef MADV_POPULATE_READ
  if (__atomic_load_n(&populate_works, __ATOMIC_RELAXED)) {
    for (;;) {
      if (madvise(base, span, MADV_POPULATE_READ) == 0) return 0;
      if (errno == EINTR || errno == EAGAIN) continue;
      break;
    }
    // EINVAL: a kernel before 5.14 (or a mapping it cannot populate): touch
    // the pages instead, from now on. EFAULT: a page the file does not back
    // (truncated), or one that could not be read: the touches below fault
    // there, and the guard absorbs and counts it. Anything else is an error.
    if (errno == EINVAL)
      __atomic_store_n(&populate_works, 0, __ATOMIC_RELAXED);
    else if (errno != EFAULT && errno != ENOMEM)
      return mm__fail(err, "madvise", -errno);
  }
#endif
  volatile uint8_t sink = 0;
  for (size_t at = 0; at < span; at += page)
    sink ^= ((volatile const uint8_t *)base)[at];
  (void)sink;
  return 0;
}

int
mm__residency(mm_map_t *m, size_t start, size_t length, uint64_t *resident, uint64_t *total,
              mm_error_t *err) {
  uint8_t *base;
  size_t span, page = mm_posix_page();
  posix_pages(m, start, length, &base, &span);
#ifdef __linux__
  unsigned char vec[4096];
#else
  char vec[4096];
#endif
  uint64_t pages = 0;
  for (size_t at = 0; at < span;) {
    size_t count = (span - at) / page;
    if (count > sizeof(vec)) count = sizeof(vec);
    if (mincore(base + at, count * page, vec) == -1) return mm__fail(err, "mincore", -errno);
    for (size_t i = 0; i < count; i++)
      pages += vec[i] & 1;
    at += count * page;
  }
  *resident = pages * page;
  *total = span;
  return 0;
}

int
mm__lock(mm_map_t *m, size_t start, size_t length, mm_error_t *err) {
  uint8_t *base;
  size_t span;
  posix_pages(m, start, length, &base, &span);
  // ENOMEM/EAGAIN past RLIMIT_MEMLOCK, EPERM without the privilege: coded OS errors.
  if (mlock(base, span) == -1) return mm__fail(err, "mlock", -errno);
  return 0;
}

int
mm__unlock(mm_map_t *m, size_t start, size_t length, mm_error_t *err) {
  uint8_t *base;
  size_t span;
  posix_pages(m, start, length, &base, &span);
  if (munlock(base, span) == -1) return mm__fail(err, "munlock", -errno);
  return 0;
}
