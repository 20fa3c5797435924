// posix-guard.h: what posix.c and posix-guard.c share (POSIX only).
#ifndef MM_POSIX_GUARD_H
#define MM_POSIX_GUARD_H

#include "mmap.h"

// The page size.
size_t mm__page(void);
// The flags and protection the OS gets for m (see posix.c).
void mm__os_mode(const mm_map_t *m, int *flags, int *prot);
// Keeps [base, base + length), a tombstone of m's file mapping, guarded until
// mm__guard_tombstone_gone(base). Takes a record m reserved (mm__guard_add,
// mm__guard_reserve), so it cannot fail while m has one; 0 or -ENOMEM.
int mm__guard_tombstone(mm_map_t *m, void *base, size_t length);
// Reserves records for the tombstones a resize of m may leave (up to
// MM_RETIRED_MAX besides the one for its close); -ENOMEM when they cannot be
// had (nothing changed). mm__guard_unreserve gives back the unused ones.
int mm__guard_reserve(mm_map_t *m, mm_error_t *err);
void mm__guard_unreserve(mm_map_t *m);
void mm__guard_tombstone_gone(void *base);
// Guards [base, base + length), a region of m's file that m is moving to
// (see mm__grow), until mm__guard_span_gone; NULL when no record could be
// had. The handler treats it as m's own range.
void *mm__guard_span(mm_map_t *m, void *base, size_t length);
void mm__guard_span_gone(void *span);
// The binding keeps a libuv watcher of SIGBUS started for as long as the
// addon is loaded (so libuv never resets SIGBUS to its default when the
// program's last process.on('SIGBUS') listener goes) and calls this once it
// started: the guard goes in front of libuv's handler and chains to it.
int mm__guard_hold(void);
// How many process.on('SIGBUS') listeners the main thread has.
void mm__guard_listeners(int count);

#endif
