// guard-seqlock.c: the handler's reads of a record (map, start, end under the seqlock) against
// writers creating and clearing records on other threads. Each thread, in a loop: allocates a
// map on the heap, opens it over 4 pages of its own file, cuts the file to 1 page, touches
// page 2 (the SIGBUS handler looks the address up while the other threads' records are being
// written, cleared and reused at new addresses), checks that exactly its own map counted the
// fault at the right offset, closes the map and frees it. A handler that paired one record's
// map with another's range would credit the wrong map (a count or lost_from is off) or write
// into a freed one (AddressSanitizer reports a use after free); ThreadSanitizer checks the
// seqlock's ordering. Built under both (make check), with the guard's test hook that makes
// record writers yield between their stores (half-written records are met far more often).
//   guard-seqlock [seconds] [threads]
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

// posix-guard.c's test hook (MM_GUARD_TEST_HOOKS): record writers yield between their stores.
extern int mm_posix_guard_test_slow_writes;

static size_t page;
static atomic_int stop;
static atomic_long rounds, wrong;

static void
fail(const char *what) {
  fprintf(stderr, "guard-seqlock: %s\n", what);
  exit(2);
}

static void *
worker(void *arg) {
  (void)arg;
  char path[] = "/tmp/guard-seqlock-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) fail("mkstemp");
  unlink(path);
  while (!atomic_load(&stop)) {
    if (ftruncate(fd, (off_t)(4 * page)) != 0) fail("ftruncate");
    mm_map_t *m = malloc(sizeof(*m));
    if (m == NULL) fail("malloc");
    mm_options_t o = {.fd = fd,
                      .length = 4 * page,
                      .access = MM_ACCESS_WRITE,
                      .flags = MAP_SHARED,
                      .prot = PROT_READ | PROT_WRITE,
                      .keep_fd = 1};
    mm_error_t err;
    if (mm_map_open(m, &o, &err) != 0) fail("mm_map_open");
    if (ftruncate(fd, (off_t)page) != 0) fail("ftruncate");
    uint8_t got = *(volatile uint8_t *)(m->data + 2 * page + 7);
    uint32_t faults = __atomic_load_n(&m->faults, __ATOMIC_SEQ_CST);
    size_t lost = __atomic_load_n(&m->lost_from, __ATOMIC_SEQ_CST);
    if (got != 0 || faults != 1 || lost != 2 * page) {
      if (atomic_fetch_add(&wrong, 1) < 3)
        fprintf(stderr, "guard-seqlock: read %u, faults %u, lost_from %zu (want 0, 1, %zu)\n", got,
                faults, lost, 2 * page);
    }
    if (mm_map_close(m, &err) != 0) fail("mm_map_close");
    free(m);
    atomic_fetch_add(&rounds, 1);
  }
  close(fd);
  return NULL;
}

int
main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 2;
  int threads = argc > 2 ? atoi(argv[2]) : 4;
  if (threads < 1 || threads > 16) fail("threads: 1 to 16");
  page = mm_page_size();
  mm_posix_guard_test_slow_writes = 1;
  pthread_t t[16];
  for (int i = 0; i < threads; i++)
    if (pthread_create(&t[i], NULL, worker, NULL) != 0) fail("pthread_create");
  struct timespec d = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};
  nanosleep(&d, NULL);
  atomic_store(&stop, 1);
  for (int i = 0; i < threads; i++)
    pthread_join(t[i], NULL);
  printf("guard-seqlock: %d threads, %ld maps opened, faulted, closed and freed; %ld wrong\n",
         threads, atomic_load(&rounds), atomic_load(&wrong));
  return atomic_load(&wrong) == 0 && atomic_load(&rounds) > 0 ? 0 : 1;
}
