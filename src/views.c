// views.c: the view-lifetime registry (Node-API side): the external ArrayBuffers handed out over
// a map (views) and over huge-page copies, when each is done, and the tombstones (memory that left
// a map while a view not yet done reached into it) they keep until then.
#include <node_api.h>

#include <stdbool.h>
#include <stdlib.h>

#include "binding.h"

// Memory that left a map while views that reached into it were not done: a
// tombstone of zero-filled private memory (mm_map_t.retire), given back to
// the OS when the last of those views is done.
typedef struct tombstone_s {
  mm_span_t span;
  size_t users; // views not yet done that reach into it
} tombstone_t;

// The finalizer hint of an external ArrayBuffer or Buffer the module makes.
// Node may run the finalizer inside napi_create_external_* when that call
// fails, or later (the buffer was made but not its wrapper). While the
// record says EXT_CREATING the finalizer only notes that it ran, and the
// caller, which sees the failure, cleans up; when it has not run yet, the
// caller marks the record EXT_ORPHAN and the finalizer frees it.
enum { EXT_CREATING, EXT_LIVE, EXT_DROPPED, EXT_ORPHAN };

// In a finalizer: whether it goes on to release the record; false when it
// ran inside napi_create_external_* (the caller, seeing the failure, does).
static bool
external_finalizing(int *state) {
  if (*state != EXT_CREATING) return true;
  *state = EXT_DROPPED;
  return false;
}

// After a failed napi_create_external_*: whether the caller frees the record
// now (the finalizer ran, or never will); otherwise it is left to the finalizer.
static bool
external_failed(int *state, napi_status status) {
  if (*state == EXT_DROPPED || status == napi_no_external_buffers_allowed) return true;
  *state = EXT_ORPHAN;
  return false;
}

// A view is done when both its ArrayBuffer object and the memory it was
// made over (V8's backing store) are gone. Detaching the object lets go of
// the memory, but a raw pointer taken from the object before that (I/O in
// flight on the thread pool, a native addon) lives as long as the object;
// and the memory can outlive the object, moved into another ArrayBuffer by
// a transfer() the module could not refuse. Until a view is done, memory it
// reached is never handed back to the OS: it is retired to a tombstone.
typedef struct mm_external_s {
  int state;
  struct mm_handle_s *h; // a view: the map it keeps alive
  void *base;            // a view: its first byte; a copy: its huge-page block
  size_t size;
  // A view only:
  int lives;                // 2 while the object and its memory live; done at 0
  napi_ref ref;             // weak: the object, to detach it; NULL once detached
  tombstone_t **tombstones; // tombstones this view reaches into
  size_t tombstone_count;
  struct mm_external_s *prev, *next; // in h->views
} mm_external_t;

// Detaches every ArrayBuffer handed out so far (their byteLength becomes 0):
// no JavaScript code can reach the old memory through them afterwards. The
// views stay listed until done, for the tombstones (see mm_external_t).
void
mm_handle_detach_views(napi_env env, mm_handle_t *h) {
  for (mm_external_t *ext = h->views; ext != NULL; ext = ext->next) {
    if (ext->ref == NULL) continue;
    napi_value ab = NULL;
    if (napi_get_reference_value(env, ext->ref, &ab) == napi_ok && ab != NULL)
      napi_detach_arraybuffer(env, ab);
    napi_delete_reference(env, ext->ref);
    ext->ref = NULL;
  }
}

// Whether a view not yet done reaches into [base, base + length).
static bool
views_reach(const mm_handle_t *h, const void *base, size_t length) {
  uintptr_t lo = (uintptr_t)base, hi = lo + length;
  for (const mm_external_t *ext = h->views; ext != NULL; ext = ext->next) {
    uintptr_t start = (uintptr_t)ext->base;
    if (start < hi && lo < start + ext->size) return true;
  }
  return false;
}

// Before an operation that may take memory from the map: retire what a view
// not yet done reaches (the whole OS mapping counts: views are inside it).
void
mm_handle_retire_begin(mm_handle_t *h) {
  mm_span_t os = mm_map_os_span(&h->map);
  mm_map_retire(&h->map, os.base != NULL && views_reach(h, os.base, os.length));
}

// After it: each tombstone left is recorded with the views that reach
// into it, or goes straight back to the OS when none does. A tombstone whose
// users cannot all be recorded (out of memory) is kept for good: leaking
// address space is better than unmapping memory a pointer may still use.
void
mm_handle_retire_end(mm_handle_t *h) {
  mm_span_t left[MM_TOMBSTONES_MAX];
  int count = mm_map_tombstones(&h->map, left);
  for (int i = 0; i < count; i++) {
    mm_span_t span = left[i];
    uintptr_t lo = (uintptr_t)span.base, hi = lo + span.length;
    tombstone_t *tombstone = calloc(1, sizeof(*tombstone));
    if (tombstone == NULL) continue;
    tombstone->span = span;
    bool pinned = false;
    for (mm_external_t *ext = h->views; ext != NULL; ext = ext->next) {
      uintptr_t start = (uintptr_t)ext->base;
      if (!(start < hi && lo < start + ext->size)) continue;
      tombstone_t **tombstones =
          realloc(ext->tombstones, (ext->tombstone_count + 1) * sizeof(*tombstones));
      if (tombstones == NULL) {
        pinned = true;
        continue;
      }
      ext->tombstones = tombstones;
      ext->tombstones[ext->tombstone_count++] = tombstone;
      tombstone->users++;
    }
    if (pinned) {
      tombstone->users++; // never reaches 0
    } else if (tombstone->users == 0) {
      mm_tombstone_free(span);
      free(tombstone);
    }
  }
}

void
mm_handle_unmap(mm_handle_t *h) {
  mm_error_t ignored;
  mm_handle_retire_begin(h);
  mm_map_close(&h->map, &ignored);
  mm_handle_retire_end(h);
}

void
mm_handle_release(napi_env env, mm_handle_t *h) {
  if (--h->refs > 0) return;
  if (h->slot != 0) {
    // The slot table frees it (see mm_napi_slot): a finalizer may run after
    // the environment's instance data is gone, so it is not touched here.
    mm_handle_unmap(h);
    h->released = 1;
    return;
  }
  // Every view is done by now (each holds a reference).
  mm_handle_unmap(h);
  free(h);
}

void
mm_handle_busy(mm_handle_t *h) {
  h->refs++;
  h->pending++;
}

void
mm_handle_idle(napi_env env, mm_handle_t *h) {
  h->pending--;
  if (h->closed && h->pending == 0) mm_handle_unmap(h);
  mm_handle_release(env, h);
}

void
mm_handle_finalize(napi_env env, void *data, void *hint) {
  mm_handle_release(env, data);
}

// A view is done: forget it, give back the tombstones only it still
// reached, and let go of the map.
static void
view_done(napi_env env, mm_external_t *ext) {
  mm_handle_t *h = ext->h;
  if (ext->prev != NULL)
    ext->prev->next = ext->next;
  else
    h->views = ext->next;
  if (ext->next != NULL) ext->next->prev = ext->prev;
  if (ext->ref != NULL) napi_delete_reference(env, ext->ref);
  for (size_t i = 0; i < ext->tombstone_count; i++) {
    tombstone_t *tombstone = ext->tombstones[i];
    if (--tombstone->users == 0) {
      mm_tombstone_free(tombstone->span);
      free(tombstone);
    }
  }
  free(ext->tombstones);
  free(ext);
  mm_handle_release(env, h);
}

// The memory of a view is gone (V8 freed its backing store).
static void
view_finalize(napi_env env, void *data, void *hint) {
  mm_external_t *ext = hint;
  if (!external_finalizing(&ext->state)) return;
  if (ext->state == EXT_ORPHAN) {
    free(ext);
    return;
  }
  if (--ext->lives == 0) view_done(env, ext);
}

// The ArrayBuffer object of a view is gone.
static void
view_object_finalize(napi_env env, void *data, void *hint) {
  mm_external_t *ext = data;
  if (--ext->lives == 0) view_done(env, ext);
}

// view(handle, start, length) -> an external ArrayBuffer over the mapped bytes
napi_value
mm_napi_view(napi_env env, napi_callback_info info) {
  napi_value ab;
  size_t start, length;
  mm_handle_t *h = mm_napi_handle_sizes(env, info, &start, &length);
  if (h == NULL) return NULL;
  uint8_t *base;
  mm_error_t err;
  if (mm_map_view(&h->map, start, length, &base, &err) < 0) return mm_napi_throw(env, &err);
  if (length > mm_napi_max_buffer(env))
    return mm_napi_throw_range(env, "a view longer than the longest ArrayBuffer this Node makes");
  mm_external_t *ext = calloc(1, sizeof(*ext));
  if (ext == NULL) return mm_napi_throw_nomem(env, "malloc");
  ext->state = EXT_CREATING;
  ext->h = h;
  ext->base = base;
  ext->size = length;
  ext->lives = 2;
  napi_status status = napi_create_external_arraybuffer(env, base, length, view_finalize, ext, &ab);
  if (status != napi_ok) {
    if (external_failed(&ext->state, status)) free(ext);
    if (status == napi_no_external_buffers_allowed)
      return mm_napi_throw_code(env, "ERR_MMAP_EXTERNAL_BUFFERS",
                                "this runtime does not allow external buffers, so zero-copy views "
                                "are unavailable; the other methods keep working");
    mm_napi_rethrow(env);
    return NULL;
  }
  ext->state = EXT_LIVE;
  h->refs++;
  ext->next = h->views;
  if (h->views != NULL) h->views->prev = ext;
  h->views = ext;
  // Without an object finalizer only the memory's can end the view; without
  // the reference close() cannot detach it: either way the buffer is not
  // handed out, and the collector ends the view.
  if (napi_add_finalizer(env, ab, ext, view_object_finalize, NULL, NULL) != napi_ok) {
    ext->lives--;
    mm_napi_rethrow(env);
    return NULL;
  }
  MM_NAPI_CALL(env, napi_create_reference(env, ab, 0, &ext->ref));
  return ab;
}

static void
big_block_finalize(napi_env env, void *data, void *hint) {
  mm_external_t *block = hint;
  if (!external_finalizing(&block->state)) return;
  int64_t ignored;
  if (block->state == EXT_LIVE) napi_adjust_external_memory(env, -(int64_t)block->size, &ignored);
  mm_big_free(block->base, block->size);
  free(block);
}

// A huge-page Buffer of length bytes whose first byte has the offset lead
// within a page; NULL (nothing pending) when it cannot be had.
napi_value
mm_napi_big_buffer(napi_env env, size_t length, size_t lead, uint8_t **data) {
  size_t page = mm_page_size();
  mm_external_t *block = calloc(1, sizeof(*block));
  if (block == NULL || length > SIZE_MAX - page - lead) {
    free(block);
    return NULL;
  }
  block->state = EXT_CREATING;
  block->size = lead + length;
  block->base = mm_big_alloc(block->size);
  if (block->base == NULL) {
    free(block);
    return NULL;
  }
  napi_value buf;
  uint8_t *dst = (uint8_t *)block->base + lead;
  napi_status status =
      napi_create_external_buffer(env, length, dst, big_block_finalize, block, &buf);
  if (status == napi_ok) {
    block->state = EXT_LIVE;
    int64_t ignored;
    // The garbage collector cannot see this memory otherwise.
    napi_adjust_external_memory(env, (int64_t)block->size, &ignored);
    *data = dst;
    return buf;
  }
  // External buffers refused (Electron) or too large: the heap path.
  napi_value ignored;
  napi_get_and_clear_last_exception(env, &ignored);
  if (external_failed(&block->state, status)) {
    mm_big_free(block->base, block->size);
    free(block);
  }
  return NULL;
}

// bigArrayBuffer(length) -> a zero-filled ArrayBuffer of length bytes in a
// block of its own with huge pages asked for (lineOffsets() fills one in a
// single pass: faulting a fresh heap array in 4 KiB at a time costs more
// than the scan), or null where the process has no such block (see
// mm__big_alloc) or Node refuses external memory.
napi_value
mm_napi_big_array_buffer(napi_env env, napi_callback_info info) {
  size_t argc = 1, length;
  napi_value argv[1], result;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !mm_napi_size(env, argv[0], &length)) return NULL;
  if (length == 0 || length > mm_napi_max_buffer(env))
    return mm_napi_throw_range(env, "expected a length from 1 to the longest ArrayBuffer");
  MM_NAPI_CALL(env, napi_get_null(env, &result));
  mm_external_t *block = calloc(1, sizeof(*block));
  if (block == NULL) return result;
  block->state = EXT_CREATING;
  block->size = length;
  block->base = mm_big_alloc(length);
  if (block->base == NULL) {
    free(block);
    return result;
  }
  napi_value ab;
  napi_status status =
      napi_create_external_arraybuffer(env, block->base, length, big_block_finalize, block, &ab);
  if (status == napi_ok) {
    block->state = EXT_LIVE;
    int64_t ignored;
    napi_adjust_external_memory(env, (int64_t)length, &ignored);
    return ab;
  }
  napi_value ignored;
  napi_get_and_clear_last_exception(env, &ignored);
  if (external_failed(&block->state, status)) {
    mm_big_free(block->base, block->size);
    free(block);
  }
  return result;
}
