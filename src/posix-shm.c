// posix-shm.c: named shared memory on POSIX for SharedMemory (shm_open, ftruncate, fstat,
// shm_unlink), with the names and rules of Python's multiprocessing.shared_memory.
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform.h"

#ifdef __linux__
#include <limits.h>
#include <stdio.h>

// glibc 2.34 moved shm_open() and shm_unlink() from librt into libc under a
// new symbol version, so an addon linked against them on a newer glibc would
// refuse to load on an older one (Ubuntu 20.04, RHEL 8), whatever it is used
// for. On Linux both are only a file in /dev/shm, so this file does that
// itself, with glibc's name rules: leading '/'s skipped, then a non-empty
// name with no other '/', not "." or "..", shorter than NAME_MAX; the file
// opened O_NOFOLLOW | O_CLOEXEC. A shm_unlink() refused with EPERM is
// reported as EACCES, as glibc does.
static int
linux_shm_file(const char *name, char *out, size_t cap) {
  while (*name == '/')
    name++;
  size_t n = strlen(name);
  if (n == 0 || strchr(name, '/') != NULL || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
    return -EINVAL;
  if (n >= NAME_MAX) return -ENAMETOOLONG;
  int w = snprintf(out, cap, "/dev/shm/%s", name);
  return w < 0 || (size_t)w >= cap ? -ENAMETOOLONG : 0;
}

static int
linux_shm_open(const char *name, int flags, mode_t mode) {
  char file[sizeof "/dev/shm/" + NAME_MAX];
  int code = linux_shm_file(name, file, sizeof file);
  if (code != 0) {
    errno = -code;
    return -1;
  }
  return open(file, flags | O_NOFOLLOW | O_CLOEXEC, mode);
}

static int
linux_shm_unlink(const char *name) {
  char file[sizeof "/dev/shm/" + NAME_MAX];
  int code = linux_shm_file(name, file, sizeof file);
  if (code != 0) {
    errno = -code;
    return -1;
  }
  int rc = unlink(file);
  if (rc == -1 && errno == EPERM) errno = EACCES;
  return rc;
}

#define shm_open linux_shm_open
#define shm_unlink linux_shm_unlink
#endif

// Python's rule (_prepend_leading_slash): the name the OS gets is the user's
// with a '/' in front, and the name Python reports is without it. POSIX
// leaves a name without a leading '/' implementation-defined (shm_open(3p)),
// and a leading '/' followed by no other '/' is the portable form.
static char *
shm_path(const char *name, int *code) {
  size_t n = strlen(name);
  char *path = malloc(n + 2);
  if (path == NULL) {
    *code = -ENOMEM;
    return NULL;
  }
  path[0] = '/';
  memcpy(path + 1, name, n + 1);
  *code = 0;
  return path;
}

int
mm__shm_open(const char *name, int create, uint64_t size, int mode, mm_fd_t *holder,
             uint64_t *size_out, mm_error_t *err) {
  int code;
  char *path = shm_path(name, &code);
  if (path == NULL) return mm__fail(err, "shm_open", code);
  // O_EXCL with O_CREAT: an existing name fails with EEXIST, as in Python.
  // shm_open() sets FD_CLOEXEC itself (POSIX: "The FD_CLOEXEC file
  // descriptor flag associated with the new file descriptor is set").
  int flags = O_RDWR | (create ? O_CREAT | O_EXCL : 0);
  int fd;
  do {
    fd = shm_open(path, flags, (mode_t)mode);
  } while (fd == -1 && errno == EINTR);
  if (fd == -1) {
    code = -errno;
    free(path);
    return mm__fail(err, "shm_open", code);
  }
  const char *syscall = NULL;
  if (create) {
    // JavaScript allows at most 2^53 - 1, far below off_t's limit; the
    // check keeps the cast exact whatever the caller passes.
    if (size > (uint64_t)INT64_MAX) {
      code = -EFBIG;
      syscall = "ftruncate";
    } else if (ftruncate(fd, (off_t)size) == -1) {
      code = -errno;
      syscall = "ftruncate";
    }
  }
  struct stat st;
  if (syscall == NULL && fstat(fd, &st) == -1) {
    code = -errno;
    syscall = "fstat";
  }
  if (syscall != NULL) {
    // A block this call created and could not size is removed again, so a
    // failed constructor leaves no name behind (Python unlinks too).
    if (create) (void)shm_unlink(path);
    (void)close(fd);
    free(path);
    return mm__fail(err, syscall, code);
  }
  free(path);
  *holder = fd;
  // The size as the OS reports it: exactly what ftruncate() set on Linux,
  // whole pages on some other systems (macOS), as Python reports it.
  *size_out = st.st_size > 0 ? (uint64_t)st.st_size : 0;
  return 0;
}

int
mm__shm_unlink(const char *name, mm_error_t *err) {
  int code;
  char *path = shm_path(name, &code);
  if (path == NULL) return mm__fail(err, "shm_unlink", code);
  int rc = shm_unlink(path);
  code = rc == -1 ? -errno : 0;
  free(path);
  return rc == -1 ? mm__fail(err, "shm_unlink", code) : 0;
}
