// win32.c: the platform contract on Windows: CreateFileMappingW, MapViewOfFileEx, UnmapViewOfFile,
// FlushViewOfFile, FlushFileBuffers, SetEndOfFile, DuplicateHandle, GetFileSizeEx.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
// Windows 8 APIs (GetCurrentThreadStackLimits); Node 20 needs Windows 8.1 or later anyway.
#if !defined(_WIN32_WINNT) || _WIN32_WINNT < 0x0602
#undef _WIN32_WINNT
#define _WIN32_WINNT 0x0602
#endif
#include <windows.h>

#include <stdlib.h>
#include <string.h>

#include "platform.h"

// libuv's error numbers on Windows (uv/errno.h): what node:fs reports there,
// so util.getSystemErrorName() in JavaScript names them.
#define MM_UV_EACCES (-4092)
#define MM_UV_EBADF (-4083)
#define MM_UV_EBUSY (-4082)
#define MM_UV_EEXIST (-4075)
#define MM_UV_EINVAL (-4071)
#define MM_UV_EIO (-4070)
#define MM_UV_EISDIR (-4068)
#define MM_UV_EMFILE (-4066)
#define MM_UV_ENAMETOOLONG (-4064)
#define MM_UV_ENOENT (-4058)
#define MM_UV_ENOMEM (-4057)
#define MM_UV_ENOSPC (-4055)
#define MM_UV_ENOTSUP (-4049)
#define MM_UV_EPERM (-4048)
#define MM_UV_EROFS (-4043)
#define MM_UV_UNKNOWN (-4094)

// Windows has none of the MAP_*, PROT_* and MADV_* constants (Python defines
// none there either); the table must still not be empty for C.
static const mm_constant_t mm__constant_table[] = {{NULL, 0}};

const mm_constant_t *
mm__constants(size_t *count) {
  *count = 0;
  return mm__constant_table;
}

// What the host executable (node.exe, or an embedder built on Node) exports
// from its own libuv. node.exe links the C runtime statically, so the
// descriptor numbers fs.openSync() hands out index a table inside node.exe:
// no C runtime DLL this addon could load (msvcrt.dll, ucrtbase.dll) knows
// them. libuv's uv_get_osfhandle() reads that very table.
typedef HANDLE (*mm__get_osfhandle_fn)(int fd);
typedef int (*mm__translate_fn)(int sys_errno);

static INIT_ONCE mm__host_once = INIT_ONCE_STATIC_INIT;
static mm__get_osfhandle_fn mm__uv_get_osfhandle = NULL;
static mm__translate_fn mm__uv_translate_sys_error = NULL;
static SYSTEM_INFO mm__system_info;

static BOOL CALLBACK
mm__host_init(PINIT_ONCE once, PVOID param, PVOID *context) {
  (void)once;
  (void)param;
  (void)context;
  HMODULE host = GetModuleHandleW(NULL);
  if (host != NULL) {
    // A function pointer and a FARPROC differ in type only; go through void*
    // so that compilers do not warn about the cast.
    FARPROC p = GetProcAddress(host, "uv_get_osfhandle");
    mm__uv_get_osfhandle = (mm__get_osfhandle_fn)(void *)p;
    p = GetProcAddress(host, "uv_translate_sys_error");
    mm__uv_translate_sys_error = (mm__translate_fn)(void *)p;
  }
  GetSystemInfo(&mm__system_info);
  return TRUE;
}

static void
mm__host(void) {
  InitOnceExecuteOnce(&mm__host_once, mm__host_init, NULL, NULL);
}

// A Windows error as a libuv error number. A few codes are given the name
// that says what happened in this module's terms where libuv has none
// (ERROR_USER_MAPPED_FILE would be UNKNOWN) or a misleading one: libuv calls
// ERROR_ACCESS_DENIED EPERM, Python calls it EACCES (PermissionError), and
// EACCES is what POSIX reports for the same mistakes (mapping a read-only
// file for writing). The rest is libuv's own table, taken from the host so
// the numbers are exactly node:fs's.
static int
mm__translate(DWORD code) {
  switch (code) {
  case ERROR_SUCCESS:
    return MM_UV_UNKNOWN;
  case ERROR_ACCESS_DENIED:
  case ERROR_NOACCESS:
    return MM_UV_EACCES;
  case ERROR_USER_MAPPED_FILE: // the file is mapped elsewhere: it cannot shrink
  case ERROR_LOCK_VIOLATION:
  case ERROR_SHARING_VIOLATION:
    return MM_UV_EBUSY;
  case ERROR_MAPPED_ALIGNMENT:
  case ERROR_INVALID_ADDRESS:
  case ERROR_FILE_INVALID: // CreateFileMapping of an empty file
  case ERROR_INVALID_PARAMETER:
    return MM_UV_EINVAL;
  case ERROR_NOT_ENOUGH_MEMORY:
  case ERROR_OUTOFMEMORY:
  case ERROR_COMMITMENT_LIMIT:
  case ERROR_NOT_ENOUGH_QUOTA:
    return MM_UV_ENOMEM;
  case ERROR_DISK_FULL:
  case ERROR_HANDLE_DISK_FULL:
    return MM_UV_ENOSPC;
  case ERROR_INVALID_HANDLE:
    return MM_UV_EBADF;
  default:
    break;
  }
  mm__host();
  if (mm__uv_translate_sys_error != NULL) return mm__uv_translate_sys_error((int)code);
  // A host without libuv's exports: the codes the calls here can return.
  switch (code) {
  case ERROR_FILE_NOT_FOUND:
  case ERROR_PATH_NOT_FOUND:
  case ERROR_INVALID_NAME:
  case ERROR_BAD_PATHNAME:
    return MM_UV_ENOENT;
  case ERROR_ALREADY_EXISTS:
  case ERROR_FILE_EXISTS:
    return MM_UV_EEXIST;
  case ERROR_TOO_MANY_OPEN_FILES:
    return MM_UV_EMFILE;
  case ERROR_FILENAME_EXCED_RANGE:
    return MM_UV_ENAMETOOLONG;
  case ERROR_NOT_SUPPORTED:
    return MM_UV_ENOTSUP;
  case ERROR_PRIVILEGE_NOT_HELD:
    return MM_UV_EPERM;
  case ERROR_WRITE_PROTECT:
    return MM_UV_EROFS;
  case ERROR_INVALID_FUNCTION:
    return MM_UV_EISDIR;
  case ERROR_CRC:
  case ERROR_GEN_FAILURE:
  case ERROR_IO_DEVICE:
  case ERROR_OPEN_FAILED:
    return MM_UV_EIO;
  default:
    return MM_UV_UNKNOWN;
  }
}

// Fills err from GetLastError() and returns the code.
static int
mm__fail_last(mm_error_t *err, const char *syscall) {
  return mm__fail(err, syscall, mm__translate(GetLastError()));
}

void
mm__sizes(size_t *page_size, size_t *granularity) {
  mm__host();
  // MapViewOfFile wants file offsets in multiples of the allocation
  // granularity (64 KiB), not of the page size (4 KiB).
  *page_size = mm__system_info.dwPageSize;
  *granularity = mm__system_info.dwAllocationGranularity;
}

int
mm__fd_from_int(int fd, mm_fd_t *out, mm_error_t *err) {
  // -1 (anonymous memory) never gets here. Other negative numbers fail as
  // node:fs fails them.
  if (fd < 0) return mm__fail(err, "fstat", MM_UV_EBADF);
  mm__host();
  if (mm__uv_get_osfhandle == NULL) return mm__fail(err, "fstat", MM_UV_ENOTSUP);
  HANDLE h = mm__uv_get_osfhandle(fd);
  if (h == INVALID_HANDLE_VALUE || h == NULL) return mm__fail(err, "fstat", MM_UV_EBADF);
  *out = (mm_fd_t)h;
  return 0;
}

int
mm__file_info(mm_fd_t fd, uint64_t *size, int *regular, mm_error_t *err) {
  HANDLE h = (HANDLE)fd;
  SetLastError(NO_ERROR);
  DWORD type = GetFileType(h);
  if (type == FILE_TYPE_UNKNOWN && GetLastError() != NO_ERROR) return mm__fail_last(err, "fstat");
  *size = 0;
  *regular = 0;
  if (type != FILE_TYPE_DISK) return 0;
  BY_HANDLE_FILE_INFORMATION info;
  if (!GetFileInformationByHandle(h, &info)) return mm__fail_last(err, "fstat");
  if (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) return 0;
  *size = ((uint64_t)info.nFileSizeHigh << 32) | info.nFileSizeLow;
  *regular = 1;
  return 0;
}

int
mm__dup(mm_fd_t fd, mm_fd_t *out, mm_error_t *err) {
  // Like Python's DuplicateHandle: the copy is not inheritable, so children
  // spawned by the program do not get the map's handle.
  HANDLE copy = NULL, self = GetCurrentProcess();
  if (!DuplicateHandle(self, (HANDLE)fd, self, &copy, 0, FALSE, DUPLICATE_SAME_ACCESS))
    return mm__fail_last(err, "dup");
  *out = (mm_fd_t)copy;
  return 0;
}

void
mm__close_fd(mm_fd_t fd) {
  (void)CloseHandle((HANDLE)fd);
}

// Per-map state: the section (file-mapping object) behind the view, and the
// name it was created with. The section handle stays open while the view is
// mapped, as in Python: a named section then stays visible to other
// processes for as long as this map holds it.
typedef struct mm_win_s {
  HANDLE section;
  wchar_t *tag;        // NULL for an unnamed section
  volatile LONG cause; // the last in-page error's NTSTATUS (see mm__guard_cause)
} mm_win_t;

static mm_win_t *
mm__win(mm_map_t *m) {
  return m->platform;
}

static void
mm__win_free(mm_map_t *m) {
  mm_win_t *w = mm__win(m);
  if (w == NULL) return;
  free(w->tag);
  free(w);
  m->platform = NULL;
}

// The name as UTF-16; NULL and *code 0 for no name ("" is no name either).
static wchar_t *
mm__wide(const char *utf8, int *code) {
  *code = 0;
  if (utf8 == NULL || *utf8 == '\0') return NULL;
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, NULL, 0);
  if (n <= 0) {
    *code = mm__translate(GetLastError());
    return NULL;
  }
  wchar_t *w = malloc((size_t)n * sizeof(wchar_t));
  if (w == NULL) {
    *code = MM_UV_ENOMEM;
    return NULL;
  }
  if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, w, n) != n) {
    *code = mm__translate(GetLastError());
    free(w);
    return NULL;
  }
  return w;
}

// Whether the view is copy-on-write: ACCESS_COPY, and ACCESS_READ maps too,
// so that writes through a JavaScript view of a read-only map (which cannot
// be made read-only) land in private pages instead of faulting, and never
// reach the file or the section other maps share.
static int
mm__copy_on_write(const mm_map_t *m) {
  return m->access == MM_ACCESS_READ || m->access == MM_ACCESS_COPY;
}

// Creates (or, for a name in use, opens) the section behind a view of
// os_length bytes and maps it, at want when that address is free (only
// there when exact is set). A file section spans the file up to the end of
// the view: CreateFileMapping grows a shorter file to that size when the
// section is writable (Python on Windows: a length past the end extends the
// file).
static int
mm__map_section_at(const mm_map_t *m, HANDLE file, size_t os_length, const wchar_t *tag, void *want,
                   int exact, HANDLE *section_out, void **view_out, mm_error_t *err) {
  uint64_t start = m->anonymous ? 0 : m->offset - m->skew;
  uint64_t span = start + os_length;
  DWORD protect = PAGE_READWRITE;
  if (!m->anonymous && mm__copy_on_write(m)) protect = PAGE_WRITECOPY;
  HANDLE section = CreateFileMappingW(m->anonymous ? INVALID_HANDLE_VALUE : file, NULL, protect,
                                      (DWORD)(span >> 32), (DWORD)span, tag);
  if (section == NULL) return mm__fail_last(err, "mmap");
  DWORD access = mm__copy_on_write(m) ? FILE_MAP_COPY : FILE_MAP_WRITE;
  void *view = NULL;
  if (want != NULL)
    view = MapViewOfFileEx(section, access, (DWORD)(start >> 32), (DWORD)start, os_length, want);
  if (view == NULL && !exact)
    view = MapViewOfFileEx(section, access, (DWORD)(start >> 32), (DWORD)start, os_length, NULL);
  if (view == NULL) {
    int code = mm__translate(GetLastError());
    CloseHandle(section);
    return mm__fail(err, "mmap", code);
  }
  *section_out = section;
  *view_out = view;
  return 0;
}

static int
mm__map_section(const mm_map_t *m, HANDLE file, size_t os_length, const wchar_t *tag, void *want,
                HANDLE *section_out, void **view_out, mm_error_t *err) {
  return mm__map_section_at(m, file, os_length, tag, want, 0, section_out, view_out, err);
}

int
mm__map(mm_map_t *m, mm_fd_t fd, const mm_options_t *opts, mm_error_t *err) {
  mm_win_t *w = calloc(1, sizeof(*w));
  if (w == NULL) return mm__fail(err, "mmap", MM_UV_ENOMEM);
  int code;
  w->tag = mm__wide(opts->tagname, &code);
  if (code < 0) {
    free(w);
    return mm__fail(err, "mmap", code);
  }
  int rc =
      mm__map_section(m, (HANDLE)fd, m->os_length, w->tag, NULL, &w->section, &m->os_base, err);
  if (rc < 0) {
    free(w->tag);
    free(w);
    return rc;
  }
  m->platform = w;
  return 0;
}

static BOOL mm__unmap_view(mm_map_t *m, void *base, size_t length);

// Unmaps the view (leaving a tombstone where m->retire asks for one) and
// closes the section; the state stays for a remap.
static int
mm__drop_view(mm_map_t *m, mm_error_t *err) {
  mm_win_t *w = mm__win(m);
  if (m->os_base != NULL && !mm__unmap_view(m, m->os_base, m->os_length))
    return mm__fail_last(err, "munmap");
  m->os_base = NULL;
  if (w != NULL && w->section != NULL) CloseHandle(w->section);
  if (w != NULL) w->section = NULL;
  return 0;
}

int
mm__unmap(mm_map_t *m, mm_error_t *err) {
  int rc = mm__drop_view(m, err);
  if (rc < 0) return rc;
  mm__win_free(m);
  return 0;
}

int
mm__sync(mm_map_t *m, size_t offset, size_t length, int flags, mm_error_t *err) {
  // Windows has no msync() flags (the JavaScript layer refuses them, as
  // Python's flush() there has none): a flush is always synchronous.
  (void)flags;
  // Anonymous memory has no file to write to.
  if (m->anonymous || mm__copy_on_write(m)) return 0;
  // FlushViewOfFile rounds the address down to a page itself. It starts the
  // write-back but does not wait for the disk: MS_SYNC's durability needs
  // FlushFileBuffers on the file as well (MSDN, FlushViewOfFile). A map made
  // with trackfd false keeps no handle, so only the first half is possible.
  if (!FlushViewOfFile(m->data + offset, length)) return mm__fail_last(err, "msync");
  if (m->fd != MM_NO_FD && !FlushFileBuffers((HANDLE)m->fd)) return mm__fail_last(err, "msync");
  return 0;
}

int
mm__advise(mm_map_t *m, int advice, size_t start, size_t length, mm_error_t *err) {
  // Windows has no madvise(); Python has no madvise() method there.
  (void)m;
  (void)advice;
  (void)start;
  (void)length;
  return mm__fail(err, "madvise", MM_UV_ENOTSUP);
}

int
mm__set_name(mm_map_t *m, const char *name, mm_error_t *err) {
  (void)m;
  (void)name;
  return mm__fail(err, "prctl", MM_UV_ENOTSUP);
}

void *
mm__big_alloc(size_t size) {
  return VirtualAlloc(NULL, size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
}

void
mm__big_free(void *p, size_t size) {
  (void)size;
  (void)VirtualFree(p, 0, MEM_RELEASE);
}

// Sets the file's size (SetFilePointerEx + SetEndOfFile: Windows has no
// ftruncate). It fails with ERROR_USER_MAPPED_FILE while any section of the
// file exists, in this process or another, when it would cut into it.
static int
mm__set_size(HANDLE file, uint64_t size, mm_error_t *err) {
  LARGE_INTEGER to;
  to.QuadPart = (LONGLONG)size;
  if (!SetFilePointerEx(file, to, NULL, FILE_BEGIN) || !SetEndOfFile(file))
    return mm__fail_last(err, "ftruncate");
  return 0;
}

// Whether a section of this name exists now, held by someone else once this
// map has closed its own.
static int
mm__tag_in_use(const wchar_t *tag) {
  HANDLE h = OpenFileMappingW(FILE_MAP_READ, FALSE, tag);
  if (h == NULL) return 0;
  CloseHandle(h);
  return 1;
}

static int mm__untomb(mm_map_t *m, void *base, size_t os_length, HANDLE *section, void **view);

// Maps the old view back after a failed resize, where it was if possible.
// The file holds the bytes of a file-backed map; anonymous memory comes
// back from keep (a copy of min(old, kept) bytes), when given.
static void
mm__restore(mm_map_t *m, size_t old_os_length, void *old_base, const void *keep, size_t kept) {
  mm_win_t *w = mm__win(m);
  mm_error_t ignored;
  HANDLE section = NULL;
  void *view = NULL;
  if (old_os_length == 0) return;
  // A tombstone left where the view was gives the address back to it.
  int rc = mm__untomb(m, old_base, old_os_length, &section, &view);
  if (rc < 0)
    rc = mm__map_section(m, (HANDLE)m->fd, old_os_length, w->tag, old_base, &section, &view,
                         &ignored);
  if (rc < 0) return;
  if (keep != NULL) memcpy(view, keep, kept);
  w->section = section;
  m->os_base = view;
  m->os_length = old_os_length;
}

// Resizes a file-backed map: Windows cannot change the size of a file while
// a section of it exists (MSDN, CreateFileMapping: "unmap all views and
// close the mapping object"), so the view and the section go first, then
// the file is resized and mapped again. The bytes live in the file, so
// nothing is copied. Any failure maps the old range back.
static int
mm__resize_file(mm_map_t *m, size_t length, size_t os_length, mm_error_t *err) {
  mm_win_t *w = mm__win(m);
  void *old_base = m->os_base;
  size_t old_os_length = m->os_length;
  uint64_t old_size = 0;
  int regular, rc;

  if (m->fd == MM_NO_FD) return mm__fail(err, "ftruncate", MM_ENOFD);
  if ((uint64_t)length > (uint64_t)INT64_MAX - m->offset)
    return mm__fail(err, "ftruncate", MM_ERANGE);
  rc = mm__file_info(m->fd, &old_size, &regular, err);
  if (rc < 0) return rc;
  uint64_t new_size = m->offset + length;

  rc = mm__drop_view(m, err);
  if (rc < 0) return rc;
  // Another map of the same name (in any process) keeps the section, and
  // with it the file's size, as it is.
  if (w->tag != NULL && mm__tag_in_use(w->tag)) {
    mm__restore(m, old_os_length, old_base, NULL, 0);
    return mm__fail(err, "ftruncate", MM_UV_EBUSY);
  }
  if (new_size != old_size) {
    rc = mm__set_size((HANDLE)m->fd, new_size, err);
    if (rc < 0) {
      mm__restore(m, old_os_length, old_base, NULL, 0);
      return rc;
    }
  }
  if (os_length > 0) {
    rc = mm__map_section(m, (HANDLE)m->fd, os_length, w->tag, old_base, &w->section, &m->os_base,
                         err);
    if (rc < 0) {
      mm_error_t ignored;
      if (new_size != old_size) (void)mm__set_size((HANDLE)m->fd, old_size, &ignored);
      mm__restore(m, old_os_length, old_base, NULL, 0);
      return rc;
    }
  }
  m->os_length = os_length;
  return 0;
}

// Resizes anonymous (pagefile-backed) memory: a section cannot grow, so a
// new one is made and min(old, new) bytes are copied into it. A named
// section keeps its name: the old one must be gone before the new one can
// have it, so the bytes wait in a private copy meanwhile.
static int
mm__resize_anonymous(mm_map_t *m, size_t os_length, mm_error_t *err) {
  mm_win_t *w = mm__win(m);
  void *old_base = m->os_base;
  size_t old_os_length = m->os_length;
  size_t kept = old_os_length < os_length ? old_os_length : os_length;
  HANDLE section = NULL;
  void *view = NULL;
  int rc;

  if (w->tag == NULL) {
    // Both maps exist for a moment, so a failure changes nothing.
    if (os_length > 0) {
      rc = mm__map_section(m, NULL, os_length, NULL, NULL, &section, &view, err);
      if (rc < 0) return rc;
      if (kept > 0) memcpy(view, old_base, kept);
    }
    rc = mm__drop_view(m, err);
    if (rc < 0) {
      if (view != NULL) {
        UnmapViewOfFile(view);
        CloseHandle(section);
      }
      return rc;
    }
    w->section = section;
    m->os_base = view;
    m->os_length = os_length;
    return 0;
  }

  void *keep = NULL;
  if (kept > 0) {
    keep = VirtualAlloc(NULL, kept, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (keep == NULL) return mm__fail_last(err, "mmap");
    memcpy(keep, old_base, kept);
  }
  rc = mm__drop_view(m, err);
  if (rc < 0) goto done;
  if (mm__tag_in_use(w->tag)) {
    // Another map holds the name: its section (and the bytes in it) lives
    // on, and this map takes it back.
    mm__restore(m, old_os_length, old_base, NULL, 0);
    rc = mm__fail(err, "mremap", MM_UV_EBUSY);
    goto done;
  }
  if (os_length > 0) {
    rc = mm__map_section(m, NULL, os_length, w->tag, NULL, &section, &view, err);
    if (rc < 0) {
      mm__restore(m, old_os_length, old_base, keep, kept);
      goto done;
    }
    if (kept > 0) memcpy(view, keep, kept);
    w->section = section;
  }
  m->os_base = view;
  m->os_length = os_length;
  rc = 0;
done:
  if (keep != NULL) VirtualFree(keep, 0, MEM_RELEASE);
  return rc;
}

// Where data points when the map lost its memory (see mm__resize).
static uint8_t mm__lost[1];

const int mm__shrinks_in_place = 0;
const int mm__guard_keeps = 0;

int
mm__resize(mm_map_t *m, size_t length, int *moved, mm_error_t *err) {
  void *old_base = m->os_base;
  size_t os_length = length == 0 ? 0 : m->skew + length;
  // An empty map (an empty file) has no state yet.
  if (m->platform == NULL) {
    m->platform = calloc(1, sizeof(mm_win_t));
    if (m->platform == NULL) return mm__fail(err, "mmap", MM_UV_ENOMEM);
  }
  int rc = m->anonymous ? mm__resize_anonymous(m, os_length, err)
                        : mm__resize_file(m, length, os_length, err);
  // A failed resize may have had to map the old range back elsewhere, and
  // where even that failed, the map is left empty rather than pointing at
  // memory that is gone.
  *moved = m->os_base != old_base;
  if (m->os_base != NULL) {
    m->data = (uint8_t *)m->os_base + m->skew;
  } else {
    m->data = mm__lost;
    m->os_length = 0;
    if (rc < 0) m->length = 0;
    // Nothing to unmap means mm__unmap is not called again: let go of the
    // state now (a named map that shrinks to nothing loses its name).
    mm__win_free(m);
  }
  if (rc < 0) return rc;
  m->length = length;
  return 0;
}

// Fault guard -------------------------------------------------------------------
//
// A touch of a mapped page the file cannot supply raises EXCEPTION_IN_PAGE_ERROR
// (an I/O error, a vanished network share; Wine reports a file truncated by a
// Linux process as an access violation), which ends the process unless handled.
// Windows itself refuses to cut a file that has a section, so the POSIX case,
// another process truncating the file, cannot happen here.
//
// One vectored exception handler serves the process. It handles a fault only
// when the address lies in one of this module's file-backed views and the
// faulting thread is inside one of this module's own calls (a frame of this
// DLL is on its stack: JavaScript touching a view has none). Windows cannot
// replace part of a view, so the handler swaps the whole view for zero-filled
// memory at the same address and lets the touch run again: the operation
// finishes on zeros, the fault is counted, and mm_map_leave turns the count
// into ERR_MMAP_TRUNCATED, discarding what the operation produced. The view
// comes back, from the section this map keeps open, at the next guard call
// (mm__guard_faults from mm_map_leave, at the latest). Every other fault goes
// on to the next handler, and so ends the process as it would without us.
//
// Records are guarded by one SRW lock: a vectored handler runs as ordinary
// code on the faulting thread (not as an asynchronous signal), and no thread
// touches a map's memory while holding the lock.

typedef struct mm_guard_record_s {
  uintptr_t start, end; // the view's range
  mm_map_t *map;
  int replaced; // the view is swapped for zero-filled memory
  struct mm_guard_record_s *next;
} mm_guard_record_t;

static SRWLOCK mm__guard_lock = SRWLOCK_INIT;
static mm_guard_record_t *mm__guard_records = NULL;
static PVOID mm__guard_handle = NULL;
static uintptr_t mm__image_start = 0, mm__image_end = 0;

static LONG CALLBACK mm__guard_handler(PEXCEPTION_POINTERS info);
static int mm__tomb_retry_locked(uintptr_t addr, ULONG_PTR kind);

// The calling thread's call bracket (see mm__guard_begin in platform.h): the
// handler runs on the faulting thread, so it counts a fault inside the range
// here, for this call alone.
typedef struct mm_guard_slot_s {
  uintptr_t lo, hi;
  uint32_t faults;
} mm_guard_slot_t;

static _Thread_local mm_guard_slot_t mm__slot;

void
mm__guard_begin(const void *lo, size_t length) {
  mm__slot.faults = 0;
  mm__slot.lo = (uintptr_t)lo;
  mm__slot.hi = (uintptr_t)lo + length;
}

uint32_t
mm__guard_here(void) {
  return *(volatile uint32_t *)&mm__slot.faults;
}

int
mm__guard_here_truncated(void) {
  return 0;
}

void
mm__guard_end(void) {
  mm__slot.lo = mm__slot.hi = 0;
}

// Records are removed before a resize and added after (mm__guard_keeps is 0).
void
mm__guard_update(mm_map_t *m) {
  (void)m;
}

// A vectored handler stays in force whatever else is installed.
void
mm__guard_reinstall(void) {}

// This DLL's address range, from its PE header.
static void
mm__image_range(void) {
  HMODULE self = NULL;
  if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                              GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                          (LPCWSTR)(void *)mm__guard_handler, &self))
    return;
  const IMAGE_DOS_HEADER *dos = (const IMAGE_DOS_HEADER *)self;
  const IMAGE_NT_HEADERS *nt = (const IMAGE_NT_HEADERS *)((const uint8_t *)self + dos->e_lfanew);
  mm__image_start = (uintptr_t)self;
  mm__image_end = mm__image_start + nt->OptionalHeader.SizeOfImage;
}

// Whether a frame of this DLL is on the faulting thread's stack: walks the
// unwind data of up to 64 frames (memmove in the C runtime, a search kernel,
// V8 copying a string out of the map: the caller is a binding of this DLL).
// The stack pointer is checked against the thread's stack before each read.
// 32-bit x86 has no unwind tables: there only a fault in this DLL's own code
// counts.
static int
mm__in_module(const CONTEXT *at) {
#if defined(_M_X64) || defined(__x86_64__) || defined(_M_ARM64) || defined(__aarch64__)
  ULONG_PTR low = 0, high = 0;
  GetCurrentThreadStackLimits(&low, &high);
  CONTEXT c = *at;
  for (int depth = 0; depth < 64; depth++) {
#if defined(_M_ARM64) || defined(__aarch64__)
    DWORD64 pc = c.Pc, sp = c.Sp;
#else
    DWORD64 pc = c.Rip, sp = c.Rsp;
#endif
    if (pc >= mm__image_start && pc < mm__image_end) return 1;
    if (sp < low || sp + 8 > high) return 0;
    DWORD64 image_base = 0;
    PRUNTIME_FUNCTION f = RtlLookupFunctionEntry(pc, &image_base, NULL);
    if (f == NULL) {
      // A leaf function: the return address is in the link register
      // (arm64) or at the top of the stack (x64).
#if defined(_M_ARM64) || defined(__aarch64__)
      c.Pc = c.Lr;
#else
      c.Rip = *(const DWORD64 *)c.Rsp;
      c.Rsp += 8;
#endif
    } else {
      PVOID handler_data = NULL;
      DWORD64 frame = 0;
      RtlVirtualUnwind(UNW_FLAG_NHANDLER, image_base, pc, f, &c, &handler_data, &frame, NULL);
    }
#if defined(_M_ARM64) || defined(__aarch64__)
    if (c.Pc == 0 || c.Pc == pc) return 0;
#else
    if (c.Rip == 0) return 0;
#endif
  }
  return 0;
#else
  uintptr_t pc = (uintptr_t)at->Eip;
  return pc >= mm__image_start && pc < mm__image_end;
#endif
}

// The view of a record as its map maps it (see mm__map_section).
static void *
mm__guard_view(mm_map_t *m, void *at) {
  mm_win_t *w = mm__win(m);
  uint64_t start = m->offset - m->skew;
  DWORD access = mm__copy_on_write(m) ? FILE_MAP_COPY : FILE_MAP_WRITE;
  if (w == NULL || w->section == NULL) return NULL;
  return MapViewOfFileEx(w->section, access, (DWORD)(start >> 32), (DWORD)start, m->os_length, at);
}

// Puts the file's view back where the handler swapped in zeros. Called with
// the lock held exclusively. Between the two calls another thread could take
// the range; the zero-filled memory then goes back in and the map keeps it.
static void
mm__guard_restore(mm_guard_record_t *r) {
  if (!r->replaced) return;
  void *base = (void *)r->start;
  if (!VirtualFree(base, 0, MEM_RELEASE)) return;
  if (mm__guard_view(r->map, base) == base) {
    r->replaced = 0;
    return;
  }
  (void)VirtualAlloc(base, r->end - r->start, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
}

static LONG CALLBACK
mm__guard_handler(PEXCEPTION_POINTERS info) {
  const EXCEPTION_RECORD *e = info->ExceptionRecord;
  if ((e->ExceptionCode != EXCEPTION_IN_PAGE_ERROR &&
       e->ExceptionCode != EXCEPTION_ACCESS_VIOLATION) ||
      e->NumberParameters < 2)
    return EXCEPTION_CONTINUE_SEARCH;
  uintptr_t addr = (uintptr_t)e->ExceptionInformation[1];
  LONG verdict = EXCEPTION_CONTINUE_SEARCH;
  AcquireSRWLockExclusive(&mm__guard_lock);
  // A touch of a view while it was being swapped for a tombstone.
  if (e->ExceptionCode == EXCEPTION_ACCESS_VIOLATION &&
      mm__tomb_retry_locked(addr, e->ExceptionInformation[0])) {
    ReleaseSRWLockExclusive(&mm__guard_lock);
    return EXCEPTION_CONTINUE_EXECUTION;
  }
  for (mm_guard_record_t *r = mm__guard_records; r != NULL; r = r->next) {
    if (addr < r->start || addr >= r->end) continue;
    if (r->replaced) {
      // Another thread swapped the view meanwhile: the touch now succeeds,
      // on zeros, so it counts for this thread's call too.
      if (addr >= mm__slot.lo && addr < mm__slot.hi) mm__slot.faults++;
      verdict = EXCEPTION_CONTINUE_EXECUTION;
      break;
    }
    if (!mm__in_module(info->ContextRecord)) break;
    void *base = (void *)r->start;
    if (!UnmapViewOfFile(base)) break;
    if (VirtualAlloc(base, r->end - r->start, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE) != base) {
      // The range was taken in between: put the view back if possible, and
      // let the fault go on.
      (void)mm__guard_view(r->map, base);
      break;
    }
    r->replaced = 1;
    mm_map_t *m = r->map;
    mm_win_t *w = mm__win(m);
    // An in-page error says why the page could not be read (its NTSTATUS).
    if (w != NULL)
      w->cause = e->ExceptionCode == EXCEPTION_IN_PAGE_ERROR && e->NumberParameters >= 3
                     ? (LONG)e->ExceptionInformation[2]
                     : 0;
    size_t page = mm__system_info.dwPageSize;
    size_t offset = (addr - r->start) / page * page;
    if (offset < m->lost_from) m->lost_from = offset;
    InterlockedIncrement((volatile LONG *)&m->faults);
    if (addr >= mm__slot.lo && addr < mm__slot.hi) mm__slot.faults++;
    verdict = EXCEPTION_CONTINUE_EXECUTION;
    break;
  }
  ReleaseSRWLockExclusive(&mm__guard_lock);
  return verdict;
}

// Tombstones -------------------------------------------------------------------
//
// Memory leaving a map while a view may still reach it (mm_map_t.retire) is
// swapped for zero-filled private memory at the same address. Windows cannot
// swap a view for private memory in one step (placeholders only trade the
// view for inaccessible reserved memory, and Wine refuses them), so the view
// is unmapped and the tombstone reserved at its address while the guard's
// lock is held; a thread that touches the range in between faults, and the
// handler, which takes the same lock, lets the touch run again once the
// tombstone is there. Tombstones are only reserved (no commit charge): the
// handler commits a page of zeros where one is touched. A copy the kernel
// makes from the range (a WriteFile in flight) stops there instead: a short
// write or an error. Tombstones are recorded here for the handler.

static mm_span_t *mm__tombs = NULL;
static size_t mm__tomb_count = 0, mm__tomb_capacity = 0;

// Installs the vectored handler once; with the lock held.
static int
mm__guard_install_locked(void) {
  if (mm__guard_handle == NULL) {
    mm__host();
    mm__image_range();
    // First in line: V8's own handler (WebAssembly traps) must not see our faults.
    mm__guard_handle = AddVectoredExceptionHandler(1, mm__guard_handler);
  }
  return mm__guard_handle != NULL;
}

// Room for one more tombstone; with the lock held.
static int
mm__tomb_reserve_locked(void) {
  if (mm__tomb_count < mm__tomb_capacity) return 1;
  size_t capacity = mm__tomb_capacity == 0 ? 16 : mm__tomb_capacity * 2;
  mm_span_t *tombs = realloc(mm__tombs, capacity * sizeof(*tombs));
  if (tombs == NULL) return 0;
  mm__tombs = tombs;
  mm__tomb_capacity = capacity;
  return 1;
}

static void
mm__tomb_forget_locked(void *base) {
  for (size_t i = 0; i < mm__tomb_count; i++) {
    if (mm__tombs[i].base == base) {
      mm__tombs[i] = mm__tombs[--mm__tomb_count];
      return;
    }
  }
}

// Whether a faulting read or write at addr, inside a tombstone, may run
// again: the page is committed now (here, when it was only reserved). With
// the lock held.
static int
mm__tomb_retry_locked(uintptr_t addr, ULONG_PTR kind) {
  for (size_t i = 0; i < mm__tomb_count; i++) {
    uintptr_t start = (uintptr_t)mm__tombs[i].base;
    if (addr < start || addr - start >= mm__tombs[i].length) continue;
    if (kind != 0 && kind != 1) return 0;
    MEMORY_BASIC_INFORMATION mbi;
    if (VirtualQuery((void *)addr, &mbi, sizeof(mbi)) == 0) return 0;
    if (mbi.State == MEM_RESERVE) {
      size_t page = mm__system_info.dwPageSize;
      return VirtualAlloc((void *)(addr - addr % page), page, MEM_COMMIT, PAGE_READWRITE) != NULL;
    }
    if (mbi.State != MEM_COMMIT || (mbi.Protect & (PAGE_GUARD | PAGE_NOACCESS))) return 0;
    DWORD writable =
        PAGE_READWRITE | PAGE_WRITECOPY | PAGE_EXECUTE_READWRITE | PAGE_EXECUTE_WRITECOPY;
    DWORD readable = writable | PAGE_READONLY | PAGE_EXECUTE_READ;
    return kind == 1 ? (mbi.Protect & writable) != 0 : kind == 0 && (mbi.Protect & readable) != 0;
  }
  return 0;
}

// Unmaps a view; while m->retire is set, leaves a tombstone in its place
// and records it in m->retired.
static BOOL
mm__unmap_view(mm_map_t *m, void *base, size_t length) {
  if (!m->retire || m->retired_count >= MM_RETIRED_MAX) return UnmapViewOfFile(base);
  AcquireSRWLockExclusive(&mm__guard_lock);
  int tomb = mm__guard_install_locked() && mm__tomb_reserve_locked();
  BOOL ok = UnmapViewOfFile(base);
  // Reserved only: committing would charge the whole range to the commit
  // limit; the handler commits a page when something touches it.
  if (ok && tomb && VirtualAlloc(base, length, MEM_RESERVE, PAGE_READWRITE) == base) {
    mm_span_t span = {base, length};
    mm__tombs[mm__tomb_count++] = span;
    m->retired[m->retired_count++] = span;
  }
  ReleaseSRWLockExclusive(&mm__guard_lock);
  return ok;
}

void
mm__tombstone_free(void *base, size_t length) {
  (void)length;
  AcquireSRWLockExclusive(&mm__guard_lock);
  mm__tomb_forget_locked(base);
  (void)VirtualFree(base, 0, MEM_RELEASE);
  ReleaseSRWLockExclusive(&mm__guard_lock);
}

// After a failed resize: when the last tombstone m retired is at base, maps
// the map's view back in its place and returns 0. Returns -1, the tombstone
// kept, when there is none or the view cannot be mapped exactly there. A
// touch of the range in the instant between is not retried by the handler.
static int
mm__untomb(mm_map_t *m, void *base, size_t os_length, HANDLE *section, void **view) {
  mm_win_t *w = mm__win(m);
  int last = m->retired_count - 1;
  if (last < 0 || m->retired[last].base != base) return -1;
  size_t length = m->retired[last].length;
  mm_error_t ignored;
  int rc = -1;
  AcquireSRWLockExclusive(&mm__guard_lock);
  if (VirtualFree(base, 0, MEM_RELEASE)) {
    rc = mm__map_section_at(m, (HANDLE)m->fd, os_length, w->tag, base, 1, section, view, &ignored);
    if (rc < 0 && VirtualAlloc(base, length, MEM_RESERVE, PAGE_READWRITE) == base) {
      ReleaseSRWLockExclusive(&mm__guard_lock);
      return -1;
    }
    // The view is back, or the tombstone is lost (the address was taken).
    mm__tomb_forget_locked(base);
    m->retired_count = last;
  }
  ReleaseSRWLockExclusive(&mm__guard_lock);
  return rc;
}

int
mm__guard_add(mm_map_t *m, mm_error_t *err) {
  mm_guard_record_t *r = calloc(1, sizeof(*r));
  if (r == NULL) return mm__fail(err, "mmap", MM_UV_ENOMEM);
  r->start = (uintptr_t)m->os_base;
  r->end = r->start + m->os_length;
  r->map = m;
  AcquireSRWLockExclusive(&mm__guard_lock);
  int ok = mm__guard_install_locked();
  if (ok) {
    r->next = mm__guard_records;
    mm__guard_records = r;
    m->guard = r;
  }
  ReleaseSRWLockExclusive(&mm__guard_lock);
  if (!ok) {
    free(r);
    return mm__fail(err, "mmap", MM_UV_ENOMEM);
  }
  return 0;
}

void
mm__guard_remove(mm_map_t *m) {
  mm_guard_record_t *r = m->guard;
  if (r == NULL) return;
  AcquireSRWLockExclusive(&mm__guard_lock);
  // The map is about to be unmapped or moved: it must be a view again.
  mm__guard_restore(r);
  if (r->replaced) {
    // The view could not come back: release the zeros, so the unmap that
    // follows has nothing left to do but fail harmlessly.
    (void)VirtualFree((void *)r->start, 0, MEM_RELEASE);
  }
  for (mm_guard_record_t **p = &mm__guard_records; *p != NULL; p = &(*p)->next) {
    if (*p == r) {
      *p = r->next;
      break;
    }
  }
  ReleaseSRWLockExclusive(&mm__guard_lock);
  m->guard = NULL;
  free(r);
}

// Restores a swapped view; every guard call the core makes comes between
// operations on the map, so no touch of it is in flight.
static void
mm__guard_settle(const mm_map_t *m) {
  mm_guard_record_t *r = m->guard;
  if (r == NULL) return;
  AcquireSRWLockExclusive(&mm__guard_lock);
  mm__guard_restore(r);
  ReleaseSRWLockExclusive(&mm__guard_lock);
}

uint32_t
mm__guard_faults(const mm_map_t *m) {
  mm__guard_settle(m);
  return (uint32_t)InterlockedCompareExchange((volatile LONG *)&m->faults, 0, 0);
}

int
mm__guard_cause(mm_map_t *m, mm_error_t *err) {
  // STATUS_DISK_FULL: a page written through the map found no room on the
  // disk; anything else (a device or network error) is EIO.
  mm_win_t *w = mm__win(m);
  if (w != NULL && (DWORD)w->cause == 0xC000007FUL) return mm__fail(err, "mmap", MM_UV_ENOSPC);
  return mm__fail(err, "mmap", MM_UV_EIO);
}

void
mm__probe_write(uint8_t *p) {
  // A write that keeps the byte: an atomic OR with 0 (another process may be
  // writing the same byte through its own map).
#if defined(__GNUC__)
  (void)__atomic_fetch_or(p, (uint8_t)0, __ATOMIC_RELAXED);
#else
  (void)InterlockedOr8((volatile char *)p, 0);
#endif
}

int
mm__guard_check(mm_map_t *m, size_t *backed, mm_error_t *err) {
  mm__guard_settle(m);
  size_t lost = m->lost_from;
  if (m->fd == MM_NO_FD) {
    // Without a handle (trackfd false) the file cannot be asked: what
    // faulted once counts as lost.
    *backed = lost < m->os_length ? lost : m->os_length;
    return 0;
  }
  size_t covered;
  int rc = mm_map_covered(m, &covered, err);
  if (rc < 0) return rc;
  // The view is the file's again (see mm__guard_settle): whatever the file
  // covers now is backed.
  if (covered >= m->os_length) m->lost_from = SIZE_MAX;
  *backed = covered;
  return 0;
}

// For win32-shm.c: a Windows error as a libuv error number, as above.
int
mm__win_translate(unsigned long code) {
  return mm__translate((DWORD)code);
}
