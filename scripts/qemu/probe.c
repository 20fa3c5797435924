// probe.c: what this qemu-user gets wrong for its guest, found by plain C (no addon, no Node), so
// the emulated stage skips only the tests an emulator defect breaks, and runs them again on a
// qemu without it. Prints the defects found, space-separated:
//   mmap-offset-64  mmap() at a file offset past 4 GiB maps the offset's low 32 bits (qemu-user
//                   7.2 for 32-bit guests)
//   sigbus-addr     the si_addr of a SIGBUS from a page past a file's end is not the address
//                   touched (qemu-user 7.2 for 32-bit ARM reports one page further)
//   madvise-any     madvise() with an advice the kernel does not know succeeds (qemu-user
//                   treats every madvise() as a no-op)
//   prot-bits       mmap() with unknown PROT_* bits fails with EINVAL where Linux ignores them
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile uintptr_t fault_addr;
static char *lost_page;

static void
on_sigbus(int sig, siginfo_t *info, void *context) {
  (void)sig;
  (void)context;
  fault_addr = (uintptr_t)info->si_addr;
  // Put zeros where the touch was, so that it can complete.
  mmap(lost_page, 4096, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

int
main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/tmp";
  char path[4096];
  snprintf(path, sizeof(path), "%s/mmap-native-qemu-probe-%d", dir, (int)getpid());
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return 2;
  unlink(path);
  int offset_ok = 0, sigbus_ok = 0, madvise_ok = 0, prot_ok = 0;

  char *anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (anon != MAP_FAILED) {
    madvise_ok = madvise(anon, 4096, 9999) == -1;
    munmap(anon, 4096);
  }
  anon = mmap(NULL, 4096, -1, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  prot_ok = anon != MAP_FAILED;
  if (anon != MAP_FAILED) munmap(anon, 4096);

  off_t far = ((off_t)1 << 32) + 3 * 4096;
  if (ftruncate(fd, far + 4096) == 0 && pwrite(fd, "past four", 9, far) == 9) {
    char *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, far);
    offset_ok = p != MAP_FAILED && memcmp(p, "past four", 9) == 0;
    if (p != MAP_FAILED) munmap(p, 4096);
  }

  if (ftruncate(fd, 3 * 4096) == 0) {
    char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p != MAP_FAILED) {
      struct sigaction sa;
      memset(&sa, 0, sizeof(sa));
      sa.sa_sigaction = on_sigbus;
      sa.sa_flags = SA_SIGINFO;
      sigaction(SIGBUS, &sa, NULL);
      lost_page = p + 4096;
      if (ftruncate(fd, 4096) == 0) {
        volatile char c = lost_page[10];
        (void)c;
        sigbus_ok = fault_addr == (uintptr_t)(lost_page + 10);
      }
    }
  }
  printf("%s%s%s%s\n", offset_ok ? "" : "mmap-offset-64 ", sigbus_ok ? "" : "sigbus-addr ",
         madvise_ok ? "" : "madvise-any ", prot_ok ? "" : "prot-bits");
  return 0;
}
