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
#include "win32-guard.h"

// Windows has none of the MAP_*, PROT_* and MADV_* constants (Python defines
// none there either); the table must still not be empty for C.
static const mm_constant_t constant_table[] = {{NULL, 0}};

const mm_constant_t *
mm__constants(size_t *count) {
  *count = 0;
  return constant_table;
}

// What the host executable (node.exe, or an embedder built on Node) exports
// from its own libuv. node.exe links the C runtime statically, so the
// descriptor numbers fs.openSync() hands out index a table inside node.exe:
// no C runtime DLL this addon could load (msvcrt.dll, ucrtbase.dll) knows
// them. libuv's uv_get_osfhandle() reads that very table.
typedef HANDLE (*get_osfhandle_fn)(int fd);
typedef int (*translate_fn)(int sys_errno);

static INIT_ONCE host_once = INIT_ONCE_STATIC_INIT;
static get_osfhandle_fn win32_uv_get_osfhandle = NULL;
static translate_fn win32_uv_translate_sys_error = NULL;
SYSTEM_INFO mm_win32_system_info;

static BOOL CALLBACK
host_init(PINIT_ONCE once, PVOID param, PVOID *context) {
  (void)once;
  (void)param;
  (void)context;
  HMODULE host = GetModuleHandleW(NULL);
  if (host != NULL) {
    // A function pointer and a FARPROC differ in type only; go through void*
    // so that compilers do not warn about the cast.
    FARPROC p = GetProcAddress(host, "uv_get_osfhandle");
    win32_uv_get_osfhandle = (get_osfhandle_fn)(void *)p;
    p = GetProcAddress(host, "uv_translate_sys_error");
    win32_uv_translate_sys_error = (translate_fn)(void *)p;
  }
  GetSystemInfo(&mm_win32_system_info);
  return TRUE;
}

void
mm_win32_host(void) {
  InitOnceExecuteOnce(&host_once, host_init, NULL, NULL);
}

// A Windows error as a libuv error number. A few codes are given the name
// that says what happened in this module's terms where libuv has none
// (ERROR_USER_MAPPED_FILE would be UNKNOWN) or a misleading one: libuv calls
// ERROR_ACCESS_DENIED EPERM, Python calls it EACCES (PermissionError), and
// EACCES is what POSIX reports for the same mistakes (mapping a read-only
// file for writing). The rest is libuv's own table, taken from the host so
// the numbers are exactly node:fs's.
static int
translate(DWORD code) {
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
  case ERROR_WORKING_SET_QUOTA: // VirtualLock past the working set's minimum
    return MM_UV_ENOMEM;
  case ERROR_DISK_FULL:
  case ERROR_HANDLE_DISK_FULL:
    return MM_UV_ENOSPC;
  case ERROR_INVALID_HANDLE:
    return MM_UV_EBADF;
  default:
    break;
  }
  mm_win32_host();
  if (win32_uv_translate_sys_error != NULL) return win32_uv_translate_sys_error((int)code);
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
fail_last(mm_error_t *err, const char *syscall) {
  return mm__fail(err, syscall, translate(GetLastError()));
}

void
mm__sizes(size_t *page_size, size_t *granularity) {
  mm_win32_host();
  // MapViewOfFile wants file offsets in multiples of the allocation
  // granularity (64 KiB), not of the page size (4 KiB).
  *page_size = mm_win32_system_info.dwPageSize;
  *granularity = mm_win32_system_info.dwAllocationGranularity;
}

int
mm__fd_from_int(int fd, mm_fd_t *out, mm_error_t *err) {
  // -1 (anonymous memory) never gets here. Other negative numbers fail as
  // node:fs fails them.
  if (fd < 0) return mm__fail(err, "fstat", MM_UV_EBADF);
  mm_win32_host();
  if (win32_uv_get_osfhandle == NULL) return mm__fail(err, "fstat", MM_UV_ENOTSUP);
  HANDLE h = win32_uv_get_osfhandle(fd);
  if (h == INVALID_HANDLE_VALUE || h == NULL) return mm__fail(err, "fstat", MM_UV_EBADF);
  *out = (mm_fd_t)h;
  return 0;
}

int
mm__file_info(mm_fd_t fd, uint64_t *size, int *regular, mm_error_t *err) {
  HANDLE h = (HANDLE)fd;
  SetLastError(NO_ERROR);
  DWORD type = GetFileType(h);
  if (type == FILE_TYPE_UNKNOWN && GetLastError() != NO_ERROR) return fail_last(err, "fstat");
  *size = 0;
  *regular = 0;
  if (type != FILE_TYPE_DISK) return 0;
  BY_HANDLE_FILE_INFORMATION info;
  if (!GetFileInformationByHandle(h, &info)) return fail_last(err, "fstat");
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
    return fail_last(err, "dup");
  *out = (mm_fd_t)copy;
  return 0;
}

void
mm__close_fd(mm_fd_t fd) {
  (void)CloseHandle((HANDLE)fd);
}

mm_win_t *
mm_win32_win(mm_map_t *m) {
  return m->platform;
}

static void
win_free(mm_map_t *m) {
  mm_win_t *w = mm_win32_win(m);
  if (w == NULL) return;
  free(w->tag);
  free(w);
  m->platform = NULL;
}

// The name as UTF-16; NULL and *code 0 for no name ("" is no name either).
static wchar_t *
wide(const char *utf8, int *code) {
  *code = 0;
  if (utf8 == NULL || *utf8 == '\0') return NULL;
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, NULL, 0);
  if (n <= 0) {
    *code = translate(GetLastError());
    return NULL;
  }
  wchar_t *w = malloc((size_t)n * sizeof(wchar_t));
  if (w == NULL) {
    *code = MM_UV_ENOMEM;
    return NULL;
  }
  if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, w, n) != n) {
    *code = translate(GetLastError());
    free(w);
    return NULL;
  }
  return w;
}

// Whether the view is copy-on-write: ACCESS_COPY, and ACCESS_READ maps too,
// so that writes through a JavaScript view of a read-only map (which cannot
// be made read-only) land in private pages instead of faulting, and never
// reach the file or the section other maps share.
int
mm_win32_copy_on_write(const mm_map_t *m) {
  return m->access == MM_ACCESS_READ || m->access == MM_ACCESS_COPY;
}

// Creates (or, for a name in use, opens) the section behind a view of
// os_length bytes and maps it, at want when that address is free (only
// there when exact is set). A file section spans the file up to the end of
// the view: CreateFileMapping grows a shorter file to that size when the
// section is writable (Python on Windows: a length past the end extends the
// file).
int
mm_win32_map_section_at(const mm_map_t *m, HANDLE file, size_t os_length, const wchar_t *tag,
                        void *want, int exact, HANDLE *section_out, void **view_out,
                        mm_error_t *err) {
  uint64_t start = m->anonymous ? 0 : m->offset - m->skew;
  uint64_t span = start + os_length;
  DWORD protect = PAGE_READWRITE;
  if (!m->anonymous && mm_win32_copy_on_write(m)) protect = PAGE_WRITECOPY;
  HANDLE section = CreateFileMappingW(m->anonymous ? INVALID_HANDLE_VALUE : file, NULL, protect,
                                      (DWORD)(span >> 32), (DWORD)span, tag);
  if (section == NULL) return fail_last(err, "mmap");
  DWORD access = mm_win32_copy_on_write(m) ? FILE_MAP_COPY : FILE_MAP_WRITE;
  void *view = NULL;
  if (want != NULL)
    view = MapViewOfFileEx(section, access, (DWORD)(start >> 32), (DWORD)start, os_length, want);
  if (view == NULL && !exact)
    view = MapViewOfFileEx(section, access, (DWORD)(start >> 32), (DWORD)start, os_length, NULL);
  if (view == NULL) {
    int code = translate(GetLastError());
    CloseHandle(section);
    return mm__fail(err, "mmap", code);
  }
  *section_out = section;
  *view_out = view;
  return 0;
}

int
mm_win32_map_section(const mm_map_t *m, HANDLE file, size_t os_length, const wchar_t *tag,
                     void *want, HANDLE *section_out, void **view_out, mm_error_t *err) {
  return mm_win32_map_section_at(m, file, os_length, tag, want, 0, section_out, view_out, err);
}

int
mm__map(mm_map_t *m, mm_fd_t fd, const mm_options_t *opts, mm_error_t *err) {
  mm_win_t *w = calloc(1, sizeof(*w));
  if (w == NULL) return mm__fail(err, "mmap", MM_UV_ENOMEM);
  int code;
  w->tag = wide(opts->tagname, &code);
  if (code < 0) {
    free(w);
    return mm__fail(err, "mmap", code);
  }
  int rc = mm_win32_map_section(m, (HANDLE)fd, m->os_length, w->tag, NULL, &w->section, &m->os_base,
                                err);
  if (rc < 0) {
    free(w->tag);
    free(w);
    return rc;
  }
  m->platform = w;
  return 0;
}

// Unmaps the view (leaving a tombstone where m->retire asks for one) and
// closes the section; the state stays for a remap.
static int
drop_view(mm_map_t *m, mm_error_t *err) {
  mm_win_t *w = mm_win32_win(m);
  if (m->os_base != NULL && !mm_win32_unmap_view(m, m->os_base, m->os_length))
    return fail_last(err, "munmap");
  m->os_base = NULL;
  if (w != NULL && w->section != NULL) CloseHandle(w->section);
  if (w != NULL) w->section = NULL;
  return 0;
}

int
mm__unmap(mm_map_t *m, mm_error_t *err) {
  mm_win32_guard_forget(m);
  int rc = drop_view(m, err);
  if (rc < 0) return rc;
  win_free(m);
  return 0;
}

int
mm__sync(mm_map_t *m, size_t offset, size_t length, int flags, mm_error_t *err) {
  // Windows has no msync() flags (the JavaScript layer refuses them, as
  // Python's flush() there has none): a flush is always synchronous.
  (void)flags;
  // Anonymous memory has no file to write to.
  if (m->anonymous || mm_win32_copy_on_write(m)) return 0;
  // FlushViewOfFile rounds the address down to a page itself. It starts the
  // write-back but does not wait for the disk: MS_SYNC's durability needs
  // FlushFileBuffers on the file as well (MSDN, FlushViewOfFile). A map made
  // with trackfd false keeps no handle, so only the first half is possible.
  if (!FlushViewOfFile(m->data + offset, length)) return fail_last(err, "msync");
  if (m->fd != MM_NO_FD && !FlushFileBuffers((HANDLE)m->fd)) return fail_last(err, "msync");
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
set_size(HANDLE file, uint64_t size, mm_error_t *err) {
  LARGE_INTEGER to;
  to.QuadPart = (LONGLONG)size;
  if (!SetFilePointerEx(file, to, NULL, FILE_BEGIN) || !SetEndOfFile(file))
    return fail_last(err, "ftruncate");
  return 0;
}

// Whether a section of this name exists now, held by someone else once this
// map has closed its own.
static int
tag_in_use(const wchar_t *tag) {
  HANDLE h = OpenFileMappingW(FILE_MAP_READ, FALSE, tag);
  if (h == NULL) return 0;
  CloseHandle(h);
  return 1;
}

// Maps the old view back after a failed resize, where it was if possible.
// The file holds the bytes of a file-backed map; anonymous memory comes
// back from keep (a copy of min(old, kept) bytes), when given.
static void
restore(mm_map_t *m, size_t old_os_length, void *old_base, const void *keep, size_t kept) {
  mm_win_t *w = mm_win32_win(m);
  mm_error_t ignored;
  HANDLE section = NULL;
  void *view = NULL;
  if (old_os_length == 0) return;
  // A tombstone left where the view was gives the address back to it.
  int rc = mm_win32_untomb(m, old_base, old_os_length, &section, &view);
  if (rc < 0)
    rc = mm_win32_map_section(m, (HANDLE)m->fd, old_os_length, w->tag, old_base, &section, &view,
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
resize_file(mm_map_t *m, size_t length, size_t os_length, mm_error_t *err) {
  mm_win_t *w = mm_win32_win(m);
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

  rc = drop_view(m, err);
  if (rc < 0) return rc;
  // Another map of the same name (in any process) keeps the section, and
  // with it the file's size, as it is.
  if (w->tag != NULL && tag_in_use(w->tag)) {
    restore(m, old_os_length, old_base, NULL, 0);
    return mm__fail(err, "ftruncate", MM_UV_EBUSY);
  }
  if (new_size != old_size) {
    rc = set_size((HANDLE)m->fd, new_size, err);
    if (rc < 0) {
      restore(m, old_os_length, old_base, NULL, 0);
      return rc;
    }
  }
  if (os_length > 0) {
    rc = mm_win32_map_section(m, (HANDLE)m->fd, os_length, w->tag, old_base, &w->section,
                              &m->os_base, err);
    if (rc < 0) {
      mm_error_t ignored;
      if (new_size != old_size) (void)set_size((HANDLE)m->fd, old_size, &ignored);
      restore(m, old_os_length, old_base, NULL, 0);
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
resize_anonymous(mm_map_t *m, size_t os_length, mm_error_t *err) {
  mm_win_t *w = mm_win32_win(m);
  void *old_base = m->os_base;
  size_t old_os_length = m->os_length;
  size_t kept = old_os_length < os_length ? old_os_length : os_length;
  HANDLE section = NULL;
  void *view = NULL;
  int rc;

  if (w->tag == NULL) {
    // Both maps exist for a moment, so a failure changes nothing.
    if (os_length > 0) {
      rc = mm_win32_map_section(m, NULL, os_length, NULL, NULL, &section, &view, err);
      if (rc < 0) return rc;
      if (kept > 0) memcpy(view, old_base, kept);
    }
    rc = drop_view(m, err);
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
    if (keep == NULL) return fail_last(err, "mmap");
    memcpy(keep, old_base, kept);
  }
  rc = drop_view(m, err);
  if (rc < 0) goto done;
  if (tag_in_use(w->tag)) {
    // Another map holds the name: its section (and the bytes in it) lives
    // on, and this map takes it back.
    restore(m, old_os_length, old_base, NULL, 0);
    rc = mm__fail(err, "mremap", MM_UV_EBUSY);
    goto done;
  }
  if (os_length > 0) {
    rc = mm_win32_map_section(m, NULL, os_length, w->tag, NULL, &section, &view, err);
    if (rc < 0) {
      restore(m, old_os_length, old_base, keep, kept);
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
static uint8_t win32_lost[1];

const int mm__shrinks_in_place = 0;
const int mm__guard_keeps = 0;
// CreateFileMappingW takes a name (tagname) and extends the file to a
// writable map's end; there are no mmap flags, prot or msync flags.
const unsigned mm__features = MM_FEATURE_TAGNAME | MM_FEATURE_EXTENDS_FILE;

int
mm__resize(mm_map_t *m, size_t length, int *moved, mm_error_t *err) {
  void *old_base = m->os_base;
  size_t os_length = length == 0 ? 0 : m->skew + length;
  // An empty map (an empty file) has no state yet.
  if (m->platform == NULL) {
    m->platform = calloc(1, sizeof(mm_win_t));
    if (m->platform == NULL) return mm__fail(err, "mmap", MM_UV_ENOMEM);
  }
  int rc =
      m->anonymous ? resize_anonymous(m, os_length, err) : resize_file(m, length, os_length, err);
  // A failed resize may have had to map the old range back elsewhere, and
  // where even that failed, the map is left empty rather than pointing at
  // memory that is gone.
  *moved = m->os_base != old_base;
  if (m->os_base != NULL) {
    m->data = (uint8_t *)m->os_base + m->skew;
  } else {
    m->data = win32_lost;
    m->os_length = 0;
    if (rc < 0) m->length = 0;
    // Nothing to unmap means mm__unmap is not called again: let go of the
    // state now (a named map that shrinks to nothing loses its name), and
    // the guard's parked record.
    win_free(m);
    mm_win32_guard_forget(m);
  }
  if (rc < 0) return rc;
  m->length = length;
  return 0;
}

// For win32-shm.c: a Windows error as a libuv error number, as above.
int
mm_win32_translate(unsigned long code) {
  return translate((DWORD)code);
}

// Residency: prefetch, residency, lock ------------------------------------------

// PrefetchVirtualMemory (Windows 8) and K32QueryWorkingSetEx (Windows 7) are
// looked up at run time, with their types spelled out here, so neither the
// headers' _WIN32_WINNT nor an import of psapi.dll decides whether we load.
typedef struct range_entry_s {
  PVOID address;
  SIZE_T bytes;
} range_entry_t;
typedef BOOL(WINAPI *prefetch_fn)(HANDLE, ULONG_PTR, range_entry_t *, ULONG);
typedef struct ws_entry_s {
  PVOID address;
  ULONG_PTR attributes; // bit 0: Valid (the page is in the working set)
} ws_entry_t;
typedef BOOL(WINAPI *query_ws_fn)(HANDLE, PVOID, DWORD);

static FARPROC
win32_kernel32(const char *name) {
  HMODULE k32 = GetModuleHandleW(L"kernel32.dll");
  return k32 == NULL ? NULL : GetProcAddress(k32, name);
}

// The page-aligned range holding [start, start + length) of the user's bytes.
static void
win32_pages(mm_map_t *m, size_t start, size_t length, uint8_t **base, size_t *span) {
  size_t page = mm_win32_system_info.dwPageSize;
  uintptr_t addr = (uintptr_t)(m->data + start);
  size_t lead = addr % page;
  *base = (uint8_t *)(addr - lead);
  *span = (length + lead + page - 1) / page * page;
}

void
mm__prefetch_hint(mm_map_t *m, size_t start, size_t length) {
  uint8_t *base;
  size_t span;
  win32_pages(m, start, length, &base, &span);
  // Queues the reads (a hint: the system may skip them).
  prefetch_fn prefetch = (prefetch_fn)(void *)win32_kernel32("PrefetchVirtualMemory");
  if (prefetch != NULL) {
    range_entry_t range = {base, span};
    (void)prefetch(GetCurrentProcess(), 1, &range, 0);
  }
}

int
mm__prefetch(mm_map_t *m, size_t start, size_t length, mm_error_t *err) {
  uint8_t *base;
  size_t span, page = mm_win32_system_info.dwPageSize;
  win32_pages(m, start, length, &base, &span);
  // Touching each page waits for the reads mm__prefetch_hint queued, so the
  // range is resident when this returns. A page the file lost faults in the
  // touch, inside this module, where the guard absorbs it.
  volatile uint8_t sink = 0;
  for (size_t at = 0; at < span; at += page)
    sink ^= ((volatile const uint8_t *)base)[at];
  (void)sink;
  (void)err;
  return 0;
}

int
mm__residency(mm_map_t *m, size_t start, size_t length, uint64_t *resident, uint64_t *total,
              mm_error_t *err) {
  uint8_t *base;
  size_t span, page = mm_win32_system_info.dwPageSize;
  win32_pages(m, start, length, &base, &span);
  query_ws_fn query = (query_ws_fn)(void *)win32_kernel32("K32QueryWorkingSetEx");
  if (query == NULL) return mm__fail(err, "mincore", MM_UV_ENOTSUP);
  ws_entry_t entries[1024];
  uint64_t pages = 0;
  for (size_t at = 0; at < span;) {
    size_t count = (span - at) / page;
    if (count > sizeof(entries) / sizeof(entries[0])) count = sizeof(entries) / sizeof(entries[0]);
    for (size_t i = 0; i < count; i++) {
      entries[i].address = base + at + i * page;
      entries[i].attributes = 0;
    }
    if (!query(GetCurrentProcess(), entries, (DWORD)(count * sizeof(entries[0]))))
      return fail_last(err, "mincore");
    for (size_t i = 0; i < count; i++)
      pages += entries[i].attributes & 1;
    at += count * page;
  }
  *resident = pages * page;
  *total = span;
  return 0;
}

int
mm__lock(mm_map_t *m, size_t start, size_t length, mm_error_t *err) {
  uint8_t *base;
  size_t span;
  win32_pages(m, start, length, &base, &span);
  // ERROR_WORKING_SET_QUOTA (ENOMEM) past the process's minimum working set.
  if (!VirtualLock(base, span)) return fail_last(err, "mlock");
  return 0;
}

int
mm__unlock(mm_map_t *m, size_t start, size_t length, mm_error_t *err) {
  uint8_t *base;
  size_t span;
  win32_pages(m, start, length, &base, &span);
  // munlock() of pages that are not locked succeeds on POSIX; so here.
  if (!VirtualUnlock(base, span) && GetLastError() != ERROR_NOT_LOCKED)
    return fail_last(err, "munlock");
  return 0;
}
