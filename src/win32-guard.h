// win32-guard.h: what win32.c and win32-guard.c share (Windows only).
#ifndef MM_WIN32_GUARD_H
#define MM_WIN32_GUARD_H

#include <windows.h>

#include "mmap.h"

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

// Per-map state: the section (file-mapping object) behind the view, and the
// name it was created with. The section handle stays open while the view is
// mapped, as in Python: a named section then stays visible to other
// processes for as long as this map holds it.
typedef struct mm_win_s {
  HANDLE section;
  wchar_t *tag;        // NULL for an unnamed section
  volatile LONG cause; // the last in-page error's NTSTATUS (see mm__guard_cause)
} mm_win_t;

mm_win_t *mm_win32_win(mm_map_t *m);
// Whether the view is copy-on-write (see win32.c).
int mm_win32_copy_on_write(const mm_map_t *m);
// Looks up what the host executable exports (see win32.c); fills mm_win32_system_info.
void mm_win32_host(void);
extern SYSTEM_INFO mm_win32_system_info;
// Creates the section behind a view and maps it (see win32.c).
int mm_win32_map_section_at(const mm_map_t *m, HANDLE file, size_t os_length, const wchar_t *tag,
                            void *want, int exact, HANDLE *section_out, void **view_out,
                            mm_error_t *err);
int mm_win32_map_section(const mm_map_t *m, HANDLE file, size_t os_length, const wchar_t *tag,
                         void *want, HANDLE *section_out, void **view_out, mm_error_t *err);
// Unmaps [base, base + length) of m's view, leaving a tombstone where m->retire
// asks for one (win32-guard.c).
BOOL mm_win32_unmap_view(mm_map_t *m, void *base, size_t length);
// Frees m's guard record (parked by mm__guard_remove) once the map is unmapped.
void mm_win32_guard_forget(mm_map_t *m);
// Takes back a tombstone left at base and maps the view there (win32-guard.c).
int mm_win32_untomb(mm_map_t *m, void *base, size_t os_length, HANDLE *section, void **view);

#endif
