// shm.c: the core's entry points for named shared memory (SharedMemory); the OS work is in
// posix-shm.c and win32-shm.c.
#include "platform.h"

int
mm_shm_open(const char *name, int create, uint64_t size, int mode, mm_fd_t *holder,
            uint64_t *size_out, mm_error_t *err) {
  return mm__shm_open(name, create, size, mode, holder, size_out, err);
}

int
mm_shm_unlink(const char *name, mm_error_t *err) {
  return mm__shm_unlink(name, err);
}

void
mm_close_fd(mm_fd_t fd) {
  if (fd != MM_NO_FD) mm__close_fd(fd);
}
