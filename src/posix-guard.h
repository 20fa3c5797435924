// posix-guard.h: what posix.c and posix-guard.c share (POSIX only).
#ifndef MM_POSIX_GUARD_H
#define MM_POSIX_GUARD_H

#include "mmap.h"

// The page size.
size_t mm_posix_page(void);
// The flags and protection the OS gets for m (see posix.c).
void mm_posix_os_mode(const mm_map_t *m, int *flags, int *prot);
// Keeps [base, base + length), a tombstone of m's file mapping, guarded until
// mm_posix_guard_tombstone_gone(base). Takes a record m reserved (mm__guard_add,
// mm_posix_guard_reserve), so it cannot fail while m has one; 0 or -ENOMEM.
int mm_posix_guard_tombstone(mm_map_t *m, void *base, size_t length);
// Reserves records for the tombstones a resize of m may leave (up to
// MM_TOMBSTONES_MAX besides the one for its close); -ENOMEM when they cannot be
// had (nothing changed). mm_posix_guard_unreserve gives back the unused ones.
int mm_posix_guard_reserve(mm_map_t *m, mm_error_t *err);
void mm_posix_guard_unreserve(mm_map_t *m);
void mm_posix_guard_tombstone_gone(void *base);
// Guards [base, base + length), a region of m's file that m is moving to
// (see posix_grow in posix.c), until mm_posix_guard_span_gone; NULL when no record could be
// had. The handler treats it as m's own range.
void *mm_posix_guard_span(mm_map_t *m, void *base, size_t length);
void mm_posix_guard_span_gone(void *span);
// The binding keeps a libuv watcher of SIGBUS started for as long as the
// addon is loaded (so libuv never resets SIGBUS to its default when the
// program's last process.on('SIGBUS') listener goes) and calls this once it
// started: the guard goes in front of libuv's handler and chains to it.
int mm_posix_guard_hold(void);
// How many process.on('SIGBUS') listeners the main thread has.
void mm_posix_guard_listeners(int count);

#endif
