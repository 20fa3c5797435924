// posix-guard.h: what posix.c and posix-guard.c share (POSIX only).
#ifndef MM_POSIX_GUARD_H
#define MM_POSIX_GUARD_H

#include "mmap.h"

// The page size.
size_t mm__page(void);
// The flags and protection the OS gets for m (see posix.c).
void mm__os_mode(const mm_map_t *m, int *flags, int *prot);
// Keeps [base, base + length), a tombstone of a file mapping, guarded until
// mm__guard_tombstone_gone(base).
void mm__guard_tombstone(void *base, size_t length);
void mm__guard_tombstone_gone(void *base);

#endif
