// guard-reserve.c: the guard's records when no more can be allocated (built with
// MM_GUARD_TEST_HOOKS: mm_posix_guard_test_no_blocks makes every new block of records fail, as an
// exhausted heap would). Maps are opened until the first block of records is used up; then:
//   - opening one more fails with ENOMEM and leaves nothing mapped;
//   - a map whose views may still reach its memory (retire set) is resized: a grow that moves
//     it and a shrink both fail with ENOMEM before anything changed, when the records for their
//     tombstones cannot be reserved, or succeed with every tombstone guarded;
//   - closing such a map always leaves a guarded tombstone (the record reserved at open);
//   - a map of length 0 (no record) cannot be resized to a length with no record to be had.
// A map's guard is checked the way it matters: a child touches a page after the file lost it
// and must read zeros, not die by SIGBUS; a tombstone's (anonymous memory, which faults only for
// a touch that hit the file's page before the swap) by asking the guard
// (mm_posix_guard_test_covers).
#include "../../src/mmap.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

extern int mm_posix_guard_test_no_blocks;
int mm_posix_guard_test_covers(const void *addr);

static size_t page;
static int file_fd;

static void
fail(const char *what) {
  fprintf(stderr, "guard-reserve: %s\n", what);
  exit(1);
}

static int
open_map(mm_map_t *m, size_t length, mm_error_t *err) {
  mm_options_t o = {.fd = file_fd,
                    .length = length,
                    .access = MM_ACCESS_WRITE,
                    .flags = MAP_SHARED,
                    .prot = PROT_READ | PROT_WRITE,
                    .keep_fd = 1};
  return mm_map_open(m, &o, err);
}

// Touches p in a child with the file cut to 0 bytes: 0 when it read a zero, else what went wrong.
static int
touch_in_child(volatile uint8_t *p) {
  pid_t pid = fork();
  if (pid < 0) fail("fork");
  if (pid == 0) {
    if (ftruncate(file_fd, 0) != 0) _exit(3);
    _exit(*p == 0 ? 0 : 4);
  }
  int status;
  if (waitpid(pid, &status, 0) != pid) fail("waitpid");
  if (ftruncate(file_fd, (off_t)(64 * page)) != 0) fail("ftruncate");
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

int
main(void) {
  page = mm_page_size();
  char path[] = "/tmp/guard-reserve-XXXXXX";
  file_fd = mkstemp(path);
  if (file_fd < 0) fail("mkstemp");
  unlink(path);
  if (ftruncate(file_fd, (off_t)(64 * page)) != 0) fail("ftruncate");

  // Fill the first block of records (each map holds its own and one reserved for its close).
  enum { MAX = 1024 };
  static mm_map_t maps[MAX];
  int n = 0;
  mm_posix_guard_test_no_blocks = 1;
  mm_error_t err;
  for (; n < MAX; n++)
    if (open_map(&maps[n], page, &err) != 0) break;
  if (n == MAX || n == 0) fail("the records never ran out");
  if (err.code != -ENOMEM) fail("an open with no record to be had did not fail with ENOMEM");
  printf("guard-reserve: %d maps hold the first block of records; the next open: ENOMEM\n", n);

  // Free four records (two maps); the test map takes two (its own and its close's).
  for (int i = 0; i < 2; i++)
    mm_map_close(&maps[--n], &err);
  mm_map_t m;
  if (open_map(&m, 4 * page, &err) != 0) fail("open with records free");
  memset(m.data, 'x', 4 * page);

  // A resize that may leave tombstones needs MM_TOMBSTONES_MAX more records reserved first: with
  // one free it fails with ENOMEM, and the map is exactly as it was.
  m.retire = 1;
  m.tombstone_count = 0;
  int moved = 0;
  uint8_t *before = m.data;
  if (mm_map_resize(&m, page, &moved, &err) != -ENOMEM) fail("a shrink that cannot reserve");
  if (m.data != before || m.length != 4 * page || m.tombstone_count != 0 || moved)
    fail("a failed shrink changed the map");
  if (m.data[3 * page] != 'x') fail("a failed shrink lost bytes");
  // Still guarded (the record is in place): a cut file's page reads zero in a child.
  if (touch_in_child(m.data + 3 * page) != 0) fail("the map lost its guard after a failed shrink");

  // With records to be had again, the same shrink leaves a guarded tombstone.
  mm_posix_guard_test_no_blocks = 0;
  if (mm_map_resize(&m, page, &moved, &err) != 0) fail("the shrink with records");
  if (m.tombstone_count != 1) fail("the shrink left no tombstone");
  mm_span_t tomb = m.tombstones[0];
  if (!mm_posix_guard_test_covers(tomb.base)) fail("the tombstone of a shrink is not guarded");
  mm_tombstone_free(tomb);
  m.retire = 0;

  // Close with the heap exhausted and every free record taken: the record reserved at open
  // guards the tombstone.
  mm_posix_guard_test_no_blocks = 1;
  while (n < MAX && open_map(&maps[n], page, &err) == 0)
    n++;
  if (n == MAX) fail("the records never ran out");
  m.retire = 1;
  m.tombstone_count = 0;
  if (mm_map_close(&m, &err) != 0) fail("close");
  if (m.tombstone_count != 1) fail("close left no tombstone");
  tomb = m.tombstones[0];
  if (!mm_posix_guard_test_covers(tomb.base)) fail("the tombstone close left is not guarded");
  mm_tombstone_free(tomb);
  if (mm_posix_guard_test_covers(tomb.base)) fail("a freed tombstone is still guarded");

  // A map of length 0 has no record; resizing it needs one before anything is mapped.
  mm_map_t z;
  while (n < MAX && open_map(&maps[n], page, &err) == 0) // take the records close gave back
    n++;
  if (open_map(&z, 0, &err) != 0) fail("a map of length 0 needs no record");
  if (mm_map_resize(&z, 2 * page, &moved, &err) != -ENOMEM)
    fail("a resize from length 0 with no record to be had did not fail with ENOMEM");
  if (z.length != 0 || z.os_base != NULL) fail("the failed resize from 0 mapped something");
  mm_posix_guard_test_no_blocks = 0;
  if (mm_map_resize(&z, 2 * page, &moved, &err) != 0) fail("resize from 0 with records");
  if (touch_in_child(z.data + page) != 0) fail("a map resized from length 0 is not guarded");
  mm_map_close(&z, &err);

  while (n > 0)
    mm_map_close(&maps[--n], &err);
  printf("guard-reserve: failed opens and resizes change nothing; every tombstone and map left "
         "is guarded\n");
  return 0;
}
