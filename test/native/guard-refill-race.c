// guard-refill-race.c: breaker finding F4. A shared map's file is truncated and regrown again and
// again while reader threads fault through raw pointers (views) and a call thread runs module
// calls (mm_map_enter: the guard's check refills the zero runs and raises lost_from). After each
// round everything stops, the file is regrown and filled with 'B': a call over the whole map
// must then read 'B' everywhere or fail. A zero there means the guard forgot a zero run: a
// check raised lost_from past a run a handler was still mapping (see mm__guard_check).
// Before the fix about one run in three of 2000 rounds saw it.
//   guard-refill-race [rounds] [readers]
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

#define PAGES 256

static size_t page;
static int fd;
static mm_map_t m;
static atomic_int phase; // 1: chaos, 0: quiet, 2: exit
static atomic_int busy;  // threads inside the chaos phase

static void
fail(const char *what) {
  fprintf(stderr, "guard-refill-race: %s\n", what);
  exit(2);
}

static uint64_t
next(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

// Waits for the chaos phase; 0 when the test is over.
static int
chaos(void) {
  for (;;) {
    int p = atomic_load(&phase);
    if (p == 2) return 0;
    if (p == 1) return 1;
    sched_yield();
  }
}

static void *
reader(void *arg) {
  uint64_t s = (uintptr_t)arg * 7919 + 1;
  while (chaos()) {
    atomic_fetch_add(&busy, 1);
    if (atomic_load(&phase) == 1)
      for (int i = 0; i < 256; i++)
        (void)*(volatile uint8_t *)&m.data[page + next(&s) % ((PAGES - 1) * page)];
    atomic_fetch_sub(&busy, 1);
  }
  return NULL;
}

static void *
caller(void *arg) {
  (void)arg;
  while (chaos()) {
    atomic_fetch_add(&busy, 1);
    if (atomic_load(&phase) == 1) {
      mm_call_t c;
      mm_error_t e;
      if (mm_map_enter(&m, 0, page, &c, &e) == 0) (void)mm_map_leave(&m, &c, &e);
    }
    atomic_fetch_sub(&busy, 1);
  }
  return NULL;
}

static void *
truncator(void *arg) {
  (void)arg;
  uint64_t s = 5;
  while (chaos()) {
    atomic_fetch_add(&busy, 1);
    if (atomic_load(&phase) == 1) {
      uint64_t r = next(&s);
      if (ftruncate(fd, (off_t)(page * (1 + r % (PAGES - 1))))) fail("ftruncate");
      struct timespec t = {0, (long)(r % 50000)};
      nanosleep(&t, NULL);
      if (ftruncate(fd, (off_t)(PAGES * page))) fail("ftruncate");
      nanosleep(&t, NULL);
    }
    atomic_fetch_sub(&busy, 1);
  }
  return NULL;
}

int
main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 2000, readers = argc > 2 ? atoi(argv[2]) : 3;
  if (readers < 1 || readers > 12) fail("readers: 1 to 12");
  page = mm_page_size();
  char path[] = "/tmp/guard-refill-race-XXXXXX";
  fd = mkstemp(path);
  if (fd < 0) fail("mkstemp");
  unlink(path);
  uint8_t *block = malloc(PAGES * page);
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
  pthread_t t[16];
  int n = 0;
  for (int i = 0; i < readers; i++)
    if (pthread_create(&t[n++], NULL, reader, (void *)(uintptr_t)i)) fail("pthread_create");
  if (pthread_create(&t[n++], NULL, caller, NULL)) fail("pthread_create");
  if (pthread_create(&t[n++], NULL, truncator, NULL)) fail("pthread_create");
  long wrong = 0, failed = 0;
  for (int r = 0; r < rounds; r++) {
    atomic_store(&phase, 1);
    struct timespec d = {0, 2000000};
    nanosleep(&d, NULL);
    atomic_store(&phase, 0);
    while (atomic_load(&busy))
      sched_yield();
    if (ftruncate(fd, (off_t)(PAGES * page))) fail("ftruncate");
    if (pwrite(fd, block, PAGES * page, 0) != (ssize_t)(PAGES * page)) fail("pwrite");
    mm_call_t c;
    if (mm_map_enter(&m, 0, m.length, &c, &err) != 0) {
      failed++;
      continue;
    }
    size_t zeros = 0, first = 0;
    for (size_t i = 0; i < m.length; i += page)
      if (m.data[i] != 'B' && zeros++ == 0) first = i / page;
    int rc = mm_map_leave(&m, &c, &err);
    if (rc == 0 && zeros && ++wrong <= 3)
      fprintf(stderr,
              "round %d: a call over the whole map succeeded but %zu pages read other bytes than "
              "the file's (first page %zu); lost_from=%zu\n",
              r, zeros, first, (size_t)m.lost_from);
  }
  atomic_store(&phase, 2);
  for (int i = 0; i < n; i++)
    pthread_join(t[i], NULL);
  printf("guard-refill-race: %d rounds, %ld read wrong bytes from a successful call, %ld calls "
         "failed, %u faults\n",
         rounds, wrong, failed, m.faults);
  if (mm_map_close(&m, &err)) fail("mm_map_close");
  free(block);
  close(fd);
  return wrong ? 1 : 0;
}
