// guard-fork.c: fork() while other threads open and close maps (taking the fault guard's lock)
// must leave a child that can open, fault in and close a map of its own: a lock held by another
// thread at the fork would stay held in the child for ever (it has only the forking thread).
// Each child gets 2 seconds (alarm); a child that hangs dies by SIGALRM and fails the test.
//   guard-fork [forks]
#include "../../src/mmap.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int file_fd;
static size_t page;
static atomic_int stop;

static void
fail(const char *what) {
  fprintf(stderr, "guard-fork: %s\n", what);
  exit(1);
}

static int
open_close(void) {
  mm_options_t o = {.fd = file_fd,
                    .length = 4 * page,
                    .access = MM_ACCESS_WRITE,
                    .flags = 1 /* MAP_SHARED */,
                    .prot = 3 /* PROT_READ | PROT_WRITE */,
                    .keep_fd = 1};
  mm_map_t m;
  mm_error_t err;
  if (mm_map_open(&m, &o, &err) != 0) return -1;
  return mm_map_close(&m, &err);
}

static void *
churn(void *arg) {
  while (!atomic_load(&stop))
    if (open_close() != 0) fail("open/close in a thread");
  return NULL;
}

int
main(int argc, char **argv) {
  int forks = argc > 1 ? atoi(argv[1]) : 1000;
  page = mm_page_size();
  char path[] = "/tmp/guard-fork-XXXXXX";
  file_fd = mkstemp(path);
  if (file_fd < 0) fail("mkstemp");
  unlink(path);
  if (ftruncate(file_fd, (off_t)(4 * page)) != 0) fail("ftruncate");
  pthread_t threads[3];
  for (int i = 0; i < 3; i++)
    if (pthread_create(&threads[i], NULL, churn, NULL) != 0) fail("pthread_create");
  int hung = 0;
  for (int i = 0; i < forks; i++) {
    pid_t pid = fork();
    if (pid < 0) fail("fork");
    if (pid == 0) {
      alarm(2);
      _exit(open_close() == 0 ? 0 : 2);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid) fail("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) hung++;
  }
  atomic_store(&stop, 1);
  for (int i = 0; i < 3; i++)
    pthread_join(threads[i], NULL);
  printf("guard-fork: %d forks, %d children failed or hung\n", forks, hung);
  return hung == 0 ? 0 : 1;
}
