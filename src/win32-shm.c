// win32-shm.c: named shared memory on Windows for SharedMemory (CreateFileMappingW backed by the
// paging file, OpenFileMappingW, MapViewOfFile, VirtualQuery), as Python's
// multiprocessing.shared_memory does it there.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <stdlib.h>

#include "platform.h"

// win32.c's translation of a Windows error into libuv's numbers (node:fs's).
int mm_win32_translate(unsigned long code);

// The name as UTF-16 (NULL with *code set on failure). Windows names are
// used as they are: no prefix, as in Python ("Local\" and "Global\" pick a
// namespace).
static wchar_t *
shm_wide(const char *name, int *code) {
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, name, -1, NULL, 0);
  if (n <= 0) {
    *code = mm_win32_translate(GetLastError());
    return NULL;
  }
  wchar_t *w = malloc((size_t)n * sizeof(wchar_t));
  if (w == NULL) {
    *code = mm_win32_translate(ERROR_NOT_ENOUGH_MEMORY);
    return NULL;
  }
  if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, name, -1, w, n) != n) {
    *code = mm_win32_translate(GetLastError());
    free(w);
    return NULL;
  }
  *code = 0;
  return w;
}

int
mm__shm_open(const char *name, int create, uint64_t size, int mode, mm_fd_t *holder,
             uint64_t *size_out, mm_error_t *err) {
  (void)mode; // Windows sections have security descriptors, not POSIX modes.
  int code;
  wchar_t *wname = shm_wide(name, &code);
  if (wname == NULL) return mm__fail(err, "shm_open", code);
  HANDLE section;
  if (create) {
    // A section backed by the paging file. For a name in use, CreateFileMapping
    // returns the existing section and sets ERROR_ALREADY_EXISTS (MSDN): that
    // is EEXIST here, as FileExistsError in Python.
    SetLastError(NO_ERROR);
    section = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, (DWORD)(size >> 32),
                                 (DWORD)size, wname);
    if (section != NULL && GetLastError() == ERROR_ALREADY_EXISTS) {
      CloseHandle(section);
      free(wname);
      return mm__fail(err, "shm_open", mm_win32_translate(ERROR_ALREADY_EXISTS));
    }
  } else {
    section = OpenFileMappingW(FILE_MAP_READ, FALSE, wname);
  }
  if (section == NULL) {
    code = mm_win32_translate(GetLastError());
    free(wname);
    return mm__fail(err, "shm_open", code);
  }
  free(wname);
  // Windows has no call that gives a section's size: like Python, map the
  // whole section and ask VirtualQuery for the view's size, which is the
  // size in whole pages.
  void *view = MapViewOfFile(section, FILE_MAP_READ, 0, 0, 0);
  if (view == NULL) {
    code = mm_win32_translate(GetLastError());
    CloseHandle(section);
    return mm__fail(err, "mmap", code);
  }
  MEMORY_BASIC_INFORMATION info;
  SIZE_T got = VirtualQuery(view, &info, sizeof(info));
  code = got == 0 ? mm_win32_translate(GetLastError()) : 0;
  UnmapViewOfFile(view);
  if (got == 0) {
    CloseHandle(section);
    return mm__fail(err, "fstat", code);
  }
  // The section handle keeps the block alive until the caller has mapped it
  // by name and closes this handle (mm__close_fd).
  *holder = (mm_fd_t)section;
  *size_out = (uint64_t)info.RegionSize;
  return 0;
}

int
mm__shm_unlink(const char *name, mm_error_t *err) {
  // Windows has no unlink for a section: its name goes with the last handle
  // to it, in whatever process. Python's unlink() does nothing there either.
  (void)name;
  (void)err;
  return 0;
}
