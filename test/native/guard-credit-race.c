// guard-credit-race.c: a reviewer's finding P3 and the handler's failed barrier, made to happen
// every time with test hooks (MM_GUARD_TEST_HOOKS). A call thread opens a call over a page, a view
// thread touches that page after the file was cut short, and its handler makes a zero run and is
// parked before its credit (as one preempted there, or in a slow membarrier, would be). The call
// reads the run's zeros; the main thread regrows the file and checks the map, which refills the
// run and raises lost_from back. Then the call ends, and the handler goes on. A call that read
// zeros must fail: its end must wait for the parked credit (mm__guard_settle), and where the
// handler's barrier fails and its credit misses the call, lost_from must go back down.
//   guard-credit-race [rounds]
#include "../../src/mmap.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

extern int mm_posix_guard_test_barrier_fails;
extern int mm_posix_guard_test_credit_misses;
extern int mm_posix_guard_test_hold;
extern int mm_posix_guard_test_held;
int mm_posix_guard_test_asym(void);

#define PAGES 8

static size_t page;
static int fd;
static mm_map_t m;
static uint8_t *block;
static atomic_int step; // the call thread's progress: 1 entered, 2 read, 3 may leave, 4 left
static int call_rc;
static size_t call_zeros;

static void
fail(const char *what) {
  fprintf(stderr, "guard-credit-race: %s\n", what);
  exit(2);
}

static void
wait_step(int s) {
  while (atomic_load(&step) < s)
    sched_yield();
}

static void
nap(long ms) {
  struct timespec d = {0, ms * 1000000};
  nanosleep(&d, NULL);
}

// The call: over the last page, which the view thread's run replaces.
static void *
caller(void *arg) {
  (void)arg;
  mm_error_t err;
  mm_call_t c;
  size_t at = (PAGES - 1) * page;
  if (mm_map_enter(&m, at, page, &c, &err) != 0) fail("the call could not begin");
  atomic_store(&step, 1);
  while (!__atomic_load_n(&mm_posix_guard_test_held, __ATOMIC_SEQ_CST))
    sched_yield();
  size_t zeros = 0;
  for (size_t i = 0; i < page; i++)
    zeros += ((volatile uint8_t *)m.data)[at + i] == 0;
  call_zeros = zeros;
  atomic_store(&step, 2);
  wait_step(3);
  call_rc = mm_map_leave(&m, &c, &err);
  atomic_store(&step, 4);
  return NULL;
}

static void *
viewer(void *arg) {
  (void)arg;
  (void)((volatile uint8_t *)m.data)[(PAGES - 1) * page];
  return NULL;
}

// One round; returns 1 when the call that read zeros failed as it must.
static int
round_once(int barrier_fails, int misses) {
  mm_error_t err;
  if (ftruncate(fd, (off_t)(PAGES * page))) fail("ftruncate");
  if (pwrite(fd, block, PAGES * page, 0) != (ssize_t)(PAGES * page)) fail("pwrite");
  size_t backed;
  if (mm_map_backed(&m, &backed, &err) != 0 || backed != PAGES * page) fail("no refill at start");
  atomic_store(&step, 0);
  __atomic_store_n(&mm_posix_guard_test_held, 0, __ATOMIC_SEQ_CST);
  __atomic_store_n(&mm_posix_guard_test_hold, 1, __ATOMIC_SEQ_CST);
  __atomic_store_n(&mm_posix_guard_test_barrier_fails, barrier_fails, __ATOMIC_SEQ_CST);
  __atomic_store_n(&mm_posix_guard_test_credit_misses, misses, __ATOMIC_SEQ_CST);
  pthread_t c, v;
  if (pthread_create(&c, NULL, caller, NULL)) fail("pthread_create");
  wait_step(1);
  if (ftruncate(fd, (off_t)((PAGES / 2) * page))) fail("ftruncate");
  if (pthread_create(&v, NULL, viewer, NULL)) fail("pthread_create");
  wait_step(2);
  if (call_zeros != page) fail("the call did not read the run's zeros");
  // The file grows back and a check (this thread) refills the run and raises lost_from.
  if (ftruncate(fd, (off_t)(PAGES * page))) fail("ftruncate");
  if (pwrite(fd, block, PAGES * page, 0) != (ssize_t)(PAGES * page)) fail("pwrite");
  if (mm_map_backed(&m, &backed, &err) != 0) fail("mm_map_backed");
  atomic_store(&step, 3);
  // The call's end now waits for the parked handler (or, before the fix, ends at once).
  nap(20);
  int early = atomic_load(&step) == 4;
  __atomic_store_n(&mm_posix_guard_test_hold, 0, __ATOMIC_SEQ_CST);
  pthread_join(v, NULL);
  pthread_join(c, NULL);
  __atomic_store_n(&mm_posix_guard_test_barrier_fails, 0, __ATOMIC_SEQ_CST);
  __atomic_store_n(&mm_posix_guard_test_credit_misses, 0, __ATOMIC_SEQ_CST);
  if (call_rc == 0)
    fprintf(stderr, "a call that read %zu zero bytes succeeded (%s)%s\n", call_zeros,
            misses ? "barrier failed, credit missed" : "credit parked",
            early ? "; it ended before the parked credit" : "");
  return call_rc != 0;
}

int
main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 20;
  page = mm_page_size();
  char path[] = "/tmp/guard-credit-race-XXXXXX";
  fd = mkstemp(path);
  if (fd < 0) fail("mkstemp");
  unlink(path);
  block = malloc(PAGES * page);
  if (block == NULL) fail("malloc");
  memset(block, 'B', PAGES * page);
  if (pwrite(fd, block, PAGES * page, 0) != (ssize_t)(PAGES * page)) fail("pwrite");
  mm_options_t o = {.fd = fd,
                    .length = PAGES * page,
                    .access = MM_ACCESS_WRITE,
                    .flags = MAP_SHARED,
                    .prot = PROT_READ | PROT_WRITE,
                    .keep_fd = 1};
  mm_error_t err;
  if (mm_map_open(&m, &o, &err)) fail("mm_map_open");
  int asym = mm_posix_guard_test_asym();
  int bad = 0;
  for (int r = 0; r < rounds; r++)
    bad += !round_once(0, 0);
  int bad_failed = 0;
  if (asym) {
    for (int r = 0; r < rounds; r++) {
      bad_failed += !round_once(1, 1);
      // A failed barrier ends the asymmetric fence: calls publish with seq_cst from then on.
      if (mm_posix_guard_test_asym()) fail("a failed barrier left the asymmetric fence on");
    }
  }
  printf("guard-credit-race: %d rounds with the credit parked: %d wrong; %s\n", rounds, bad,
         asym ? "" : "membarrier unavailable here: the failed-barrier rounds were not run");
  if (asym)
    printf("guard-credit-race: %d rounds with the barrier failed and the credit missed: %d wrong\n",
           rounds, bad_failed);
  if (mm_map_close(&m, &err)) fail("mm_map_close");
  free(block);
  close(fd);
  return bad || bad_failed ? 1 : 0;
}
