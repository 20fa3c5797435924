// guard-hugetlb.c: a map of a huge-page file (memfd_create(MFD_HUGETLB), on the kernel's internal
// hugetlbfs) whose file is truncated under it. A touch of the lost huge page must be absorbed: no
// 4 KiB page can be mapped inside a huge page, so the guard's zero run is whole huge pages
// (guard_page in posix-guard.c). The touch runs in a child, whose exit is asserted: it must read
// zeros, and a call over the lost range must fail with MM_ETRUNCATED, one over the kept range
// succeed. Then the file grows back: a call must show the file's bytes again. Needs huge pages: as
// root it reserves 4 (vm.nr_hugepages) and puts the old value back after; otherwise, or where the
// kernel has none, it prints why it skips and exits 0.
#include "../../src/mmap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif

static const char *nr_path = "/proc/sys/vm/nr_hugepages";

static long
read_long(const char *path) {
  FILE *f = fopen(path, "r");
  long v = -1;
  if (f == NULL) return -1;
  if (fscanf(f, "%ld", &v) != 1) v = -1;
  fclose(f);
  return v;
}

static int
write_long(const char *path, long v) {
  FILE *f = fopen(path, "w");
  if (f == NULL) return -1;
  int rc = fprintf(f, "%ld\n", v) > 0 ? 0 : -1;
  if (fclose(f) != 0) rc = -1;
  return rc;
}

// The size of a huge page, from /proc/meminfo (Hugepagesize: 2048 kB).
static size_t
huge_size(void) {
  FILE *f = fopen("/proc/meminfo", "r");
  char line[256];
  size_t kb = 0;
  if (f == NULL) return 0;
  while (fgets(line, sizeof(line), f) != NULL)
    if (sscanf(line, "Hugepagesize: %zu kB", &kb) == 1) break;
  fclose(f);
  return kb * 1024;
}

static int
test(size_t huge) {
  int fd = memfd_create("mmap-native-hugetlb", MFD_HUGETLB | MFD_CLOEXEC);
  if (fd < 0) {
    printf("guard-hugetlb: skipped: memfd_create(MFD_HUGETLB): %s\n", strerror(errno));
    return 0;
  }
  if (ftruncate(fd, (off_t)(2 * huge)) != 0) {
    printf("guard-hugetlb: skipped: ftruncate of a hugetlbfs file: %s\n", strerror(errno));
    return 0;
  }
  mm_options_t o = {.fd = fd,
                    .length = 2 * huge,
                    .access = MM_ACCESS_WRITE,
                    .flags = MAP_SHARED,
                    .prot = PROT_READ | PROT_WRITE,
                    .keep_fd = 1};
  mm_map_t m;
  mm_error_t err;
  if (mm_map_open(&m, &o, &err) != 0) {
    printf("guard-hugetlb: skipped: mm_map_open: %d (%s); no free huge pages?\n", err.code,
           err.syscall);
    return 0;
  }
  memset(m.data, 'h', 2 * huge);
  // The file loses its second huge page.
  if (ftruncate(fd, (off_t)huge) != 0) {
    fprintf(stderr, "guard-hugetlb: ftruncate down: %s\n", strerror(errno));
    return 1;
  }
  pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    // A raw touch (a view): absorbed, reads zero, and a write there is kept in the zero page.
    volatile uint8_t *p = m.data + huge + 4096;
    if (*p != 0) _exit(10);
    *p = 1;
    mm_call_t c;
    if (mm_map_enter(&m, huge, 16, &c, &err) != MM_ETRUNCATED) _exit(11);
    if (mm_map_enter(&m, 0, huge, &c, &err) != 0) _exit(12);
    if (m.data[0] != 'h' || m.data[huge - 1] != 'h') _exit(13);
    if (mm_map_leave(&m, &c, &err) != 0) _exit(14);
    if (m.faults == 0) _exit(15);
    // The file grows back (hugetlbfs has no write(): its bytes come through a second map).
    if (ftruncate(fd, (off_t)(2 * huge)) != 0) _exit(16);
    uint8_t *q = mmap(NULL, 2 * huge, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (q == MAP_FAILED) _exit(17);
    memset(q + huge, 'g', huge);
    if (mm_map_enter(&m, 0, 2 * huge, &c, &err) != 0) _exit(18);
    if (m.data[huge] != 'g' || m.data[2 * huge - 1] != 'g' || m.data[0] != 'h') _exit(19);
    if (mm_map_leave(&m, &c, &err) != 0) _exit(20);
    _exit(0);
  }
  int status;
  if (waitpid(pid, &status, 0) != pid) return 1;
  mm_map_close(&m, &err);
  close(fd);
  if (WIFSIGNALED(status)) {
    fprintf(stderr, "guard-hugetlb: the child died by signal %d\n", WTERMSIG(status));
    return 1;
  }
  if (WEXITSTATUS(status) != 0) {
    fprintf(stderr, "guard-hugetlb: the child failed check %d\n", WEXITSTATUS(status));
    return 1;
  }
  printf("guard-hugetlb: a %zu KiB huge page lost under a map: absorbed, reported, given back\n",
         huge / 1024);
  return 0;
}

int
main(void) {
  size_t huge = huge_size();
  if (huge == 0) {
    printf("guard-hugetlb: skipped: the kernel has no huge pages\n");
    return 0;
  }
  long old = read_long(nr_path);
  int raised = 0;
  if (old < 4) {
    if (geteuid() != 0) {
      printf("guard-hugetlb: skipped: vm.nr_hugepages is %ld and only root can raise it\n", old);
      return 0;
    }
    if (write_long(nr_path, 4) != 0 || read_long(nr_path) < 4) {
      printf("guard-hugetlb: skipped: cannot reserve 4 huge pages\n");
      if (old >= 0) (void)write_long(nr_path, old);
      return 0;
    }
    raised = 1;
  }
  int rc = test(huge);
  if (raised && write_long(nr_path, old) != 0) {
    fprintf(stderr, "guard-hugetlb: could not set vm.nr_hugepages back to %ld\n", old);
    rc = 1;
  }
  return rc;
}
