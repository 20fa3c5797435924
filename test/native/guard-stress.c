// guard-stress.c: drives the POSIX fault guard (src/posix-guard.c) from several pthreads at once,
// under ThreadSanitizer or AddressSanitizer (see the Makefile): view threads read and write
// through raw pointers into maps whose file another thread truncates and regrows, call threads
// run module calls (mm_map_enter/leave brackets) over the part the file always covers, and the
// controller resizes and closes the maps under them, as the binding does with views in flight
// (mm_map_t.retire). Fails on any signal death, a call over backed bytes that fails, or a wrong
// byte there.
//
//   guard-stress [seconds]     (default: GUARD_STRESS_SECONDS or 3)
#include "../../src/mmap.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define VIEW_THREADS 4
#define CALL_THREADS 2
#define MAPS 2
#define PAGES 64

static size_t page;
static char path[64];
static int file_fd;
static atomic_int stop;
static atomic_long faults_total, calls_done, calls_failed, bad_bytes, view_touches;

// One map and what views may still reach: spans retired by close/resize,
// freed once no view taken before them is in use (at the end of a round).
typedef struct slot_s {
  pthread_rwlock_t lock; // calls hold it shared; resize and close exclusively
  pthread_mutex_t view_lock;
  mm_map_t map;
  int open;
  uint8_t *view;   // a "view": the data pointer and length when it was taken
  size_t view_len; // 0: none
} slot_t;

static slot_t slots[MAPS];
static pthread_mutex_t retired_lock = PTHREAD_MUTEX_INITIALIZER;
// View threads hold it shared while they use a view; the controller takes it
// exclusively now and then to free the tombstones (every view taken before
// them is done then).
static pthread_rwlock_t views_in_use;
static mm_span_t retired[4096];
static size_t tombstone_count;

// The bytes of the maps themselves are touched outside ThreadSanitizer's
// view: the guard swaps their pages (mmap MAP_FIXED) under other threads by
// design, the kernel makes each swap atomic, and TSan would model each swap
// as a plain write of the range racing with every touch. What TSan checks is
// everything else: the guard's records, call slots and counters, the maps'
// fields, the harness's own state.
#if defined(__SANITIZE_THREAD__)
#define NO_TSAN __attribute__((no_sanitize_thread, noinline))
#else
#define NO_TSAN __attribute__((noinline))
#endif

NO_TSAN static uint8_t
touch_read(const uint8_t *p) {
  return *(const volatile uint8_t *)p;
}

NO_TSAN static void
touch_write(uint8_t *p, uint8_t v) {
  *(volatile uint8_t *)p = v;
}

static uint64_t
rnd(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static size_t freed_count;

// With views_in_use held exclusively (or every view thread gone).
static void
free_retired(void) {
  pthread_mutex_lock(&retired_lock);
  for (size_t i = 0; i < tombstone_count; i++)
    mm_tombstone_free(retired[i]);
  freed_count += tombstone_count;
  tombstone_count = 0;
  pthread_mutex_unlock(&retired_lock);
}

static void
keep_retired(mm_map_t *m) {
  pthread_mutex_lock(&retired_lock);
  for (int i = 0; i < m->tombstone_count; i++)
    if (tombstone_count < sizeof(retired) / sizeof(retired[0]))
      retired[tombstone_count++] = m->tombstones[i];
  m->tombstone_count = 0;
  pthread_mutex_unlock(&retired_lock);
}

static void free_retired(void);

static void
fail(const char *what) {
  fprintf(stderr, "guard-stress: %s\n", what);
  exit(1);
}

// Reads and writes through views: raw pointers taken from the map, used
// without any lock while the map is resized or closed (memory leaving the
// map is retired, so the pointers stay valid).
static void *
view_thread(void *arg) {
  uint64_t s = (uintptr_t)arg * 7919 + 1;
  while (!atomic_load(&stop)) {
    slot_t *sl = &slots[rnd(&s) % MAPS];
    pthread_rwlock_rdlock(&views_in_use);
    pthread_mutex_lock(&sl->view_lock);
    uint8_t *v = sl->view;
    size_t len = sl->view_len;
    pthread_mutex_unlock(&sl->view_lock);
    for (int i = 0; len > page && i < 64; i++) {
      // Never page 0: the call threads check its bytes.
      size_t at = page + rnd(&s) % (len - page);
      if (rnd(&s) & 1)
        touch_write(&v[at], (uint8_t)'w');
      else
        (void)touch_read(&v[at]);
      atomic_fetch_add(&view_touches, 1);
    }
    pthread_rwlock_unlock(&views_in_use);
  }
  return NULL;
}

// Module calls over page 0, which the file always covers: they must never
// fail, however many faults other threads take, and read 'A' there.
static void *
call_thread(void *arg) {
  uint64_t s = (uintptr_t)arg * 104729 + 3;
  while (!atomic_load(&stop)) {
    slot_t *sl = &slots[rnd(&s) % MAPS];
    pthread_rwlock_rdlock(&sl->lock);
    if (sl->open && sl->map.length >= page) {
      mm_call_t call;
      mm_error_t err;
      size_t length = 1 + rnd(&s) % page;
      int rc = mm_map_enter(&sl->map, 0, length, &call, &err);
      int ok = 1;
      if (rc == 0) {
        for (size_t i = 0; i < length; i++)
          if (touch_read(&sl->map.data[i]) != 'A') ok = 0;
        rc = mm_map_leave(&sl->map, &call, &err);
      }
      if (rc != 0) atomic_fetch_add(&calls_failed, 1);
      if (rc == 0 && !ok) atomic_fetch_add(&bad_bytes, 1);
      atomic_fetch_add(&calls_done, 1);
      // A call over the whole map may fail, but only with MM_ETRUNCATED or EIO.
      rc = mm_map_enter(&sl->map, 0, sl->map.length, &call, &err);
      if (rc == 0) {
        (void)touch_read(&sl->map.data[sl->map.length - 1]);
        rc = mm_map_leave(&sl->map, &call, &err);
      }
      if (rc != 0 && err.code != MM_ETRUNCATED && err.code != -EIO && err.code != -ENOSPC)
        atomic_fetch_add(&bad_bytes, 1);
    }
    pthread_rwlock_unlock(&sl->lock);
  }
  return NULL;
}

// Truncates the file to one page and grows it back, again and again.
static void *
truncate_thread(void *arg) {
  uint64_t s = 99;
  while (!atomic_load(&stop)) {
    if (ftruncate(file_fd, (off_t)page) != 0) fail("ftruncate");
    struct timespec t = {0, (long)(rnd(&s) % 200000)};
    nanosleep(&t, NULL);
    if (ftruncate(file_fd, (off_t)(PAGES * page)) != 0) fail("ftruncate");
    nanosleep(&t, NULL);
  }
  return NULL;
}

static void
open_slot(slot_t *sl) {
  mm_options_t o = {.fd = file_fd,
                    .offset = 0,
                    .length = PAGES * page,
                    .access = MM_ACCESS_WRITE,
                    .flags = 1 /* MAP_SHARED */,
                    .prot = 3 /* PROT_READ | PROT_WRITE */,
                    .keep_fd = 1};
  mm_error_t err;
  if (mm_map_open(&sl->map, &o, &err) != 0) fail("mm_map_open");
  sl->open = 1;
  pthread_mutex_lock(&sl->view_lock);
  sl->view = sl->map.data;
  sl->view_len = sl->map.length;
  pthread_mutex_unlock(&sl->view_lock);
}

int
main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 0;
  if (seconds <= 0 && getenv("GUARD_STRESS_SECONDS"))
    seconds = atof(getenv("GUARD_STRESS_SECONDS"));
  if (seconds <= 0) seconds = 3;
  page = mm_page_size();
  snprintf(path, sizeof(path), "/tmp/guard-stress-%d", (int)getpid());
  file_fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (file_fd < 0) fail("open");
  unlink(path);
  uint8_t *block = malloc(PAGES * page);
  memset(block, 'A', PAGES * page);
  if (pwrite(file_fd, block, PAGES * page, 0) != (ssize_t)(PAGES * page)) fail("pwrite");
  free(block);

  // Writers first: readers hold these locks nearly all the time.
  pthread_rwlockattr_t writer_first;
  pthread_rwlockattr_init(&writer_first);
  pthread_rwlockattr_setkind_np(&writer_first, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  pthread_rwlock_init(&views_in_use, &writer_first);
  for (int i = 0; i < MAPS; i++) {
    pthread_rwlock_init(&slots[i].lock, &writer_first);
    pthread_mutex_init(&slots[i].view_lock, NULL);
    open_slot(&slots[i]);
  }
  pthread_t views[VIEW_THREADS], calls[CALL_THREADS], trunc;
  for (uintptr_t i = 0; i < VIEW_THREADS; i++)
    pthread_create(&views[i], NULL, view_thread, (void *)i);
  for (uintptr_t i = 0; i < CALL_THREADS; i++)
    pthread_create(&calls[i], NULL, call_thread, (void *)i);
  pthread_create(&trunc, NULL, truncate_thread, NULL);

  struct timespec begin, now;
  clock_gettime(CLOCK_MONOTONIC, &begin);
  uint64_t s = 12345;
  long resizes = 0, closes = 0;
  do {
    slot_t *sl = &slots[rnd(&s) % MAPS];
    mm_error_t err;
    pthread_rwlock_wrlock(&sl->lock);
    sl->map.retire = 1; // views may reach the memory: retire it, as the binding does
    if (rnd(&s) % 4 == 0) {
      atomic_fetch_add(&faults_total, (long)__atomic_load_n(&sl->map.faults, __ATOMIC_ACQUIRE));
      mm_map_close(&sl->map, &err);
      keep_retired(&sl->map);
      sl->open = 0;
      closes++;
      open_slot(sl);
    } else {
      // Resizing changes the file: grow it by a page or two and back.
      size_t length = (PAGES + rnd(&s) % 3) * page;
      int moved = 0;
      if (mm_map_resize(&sl->map, length, &moved, &err) == 0) resizes++;
      keep_retired(&sl->map);
      pthread_mutex_lock(&sl->view_lock);
      sl->view = sl->map.data;
      sl->view_len = sl->map.length;
      pthread_mutex_unlock(&sl->view_lock);
    }
    sl->map.retire = 0;
    pthread_rwlock_unlock(&sl->lock);
    if ((resizes + closes) % 64 == 0) {
      pthread_rwlock_wrlock(&views_in_use);
      free_retired();
      pthread_rwlock_unlock(&views_in_use);
    }
    struct timespec t = {0, 100000};
    nanosleep(&t, NULL);
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((double)(now.tv_sec - begin.tv_sec) + (now.tv_nsec - begin.tv_nsec) / 1e9 < seconds);

  atomic_store(&stop, 1);
  for (int i = 0; i < VIEW_THREADS; i++)
    pthread_join(views[i], NULL);
  for (int i = 0; i < CALL_THREADS; i++)
    pthread_join(calls[i], NULL);
  pthread_join(trunc, NULL);
  for (int i = 0; i < MAPS; i++) {
    atomic_fetch_add(&faults_total, (long)__atomic_load_n(&slots[i].map.faults, __ATOMIC_ACQUIRE));
    mm_error_t err;
    mm_map_close(&slots[i].map, &err);
  }
  free_retired();
  close(file_fd);
  printf("guard-stress: %.1f s, %ld view touches, %ld calls (%ld failed, %ld wrong), %ld resizes, "
         "%ld closes, %zu tombstones, %ld faults absorbed\n",
         seconds, atomic_load(&view_touches), atomic_load(&calls_done), atomic_load(&calls_failed),
         atomic_load(&bad_bytes), resizes, closes, freed_count, atomic_load(&faults_total));
  if (atomic_load(&calls_failed) != 0 || atomic_load(&bad_bytes) != 0)
    fail("calls over backed bytes failed or read wrong bytes");
  return 0;
}
