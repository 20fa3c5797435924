// binding.h: what the Node-API files share (binding.c, binding-bytes.c, binding-shm.c, async.c,
// views.c, napi.c): the handle, the per-environment state and the helpers that unpack and throw.
#ifndef MM_BINDING_H
#define MM_BINDING_H

#include <node_api.h>

#include <stdbool.h>

#include "mmap.h"

struct mm_external_s;

// A map as JavaScript holds it: a type-tagged object wrapping this struct.
// Each external ArrayBuffer handed out holds a reference too, so the mapping
// outlives the Mmap object while views of it are reachable.
typedef struct mm_handle_s {
  mm_map_t map;
  uint32_t refs;    // the wrap, each view not yet done, each job in flight
  uint32_t pending; // jobs in flight on the thread pool (flushAsync, scans, prefetch)
  // close() was called: every call now throws ERR_MMAP_CLOSED. Written by the
  // main thread (mm_flag_set), read by pool threads (scans stop on it).
  volatile int closed;
  struct mm_external_s *views; // every view not yet done (see mm_external_t)
  uint32_t slot;               // its index in the instance's slots (see mm_napi_slot), 0: none
  int released;                // unmapped, every reference gone; only its slot holds it
} mm_handle_t;

// Per-environment state (the addon loads in any number of worker threads).
typedef struct mm_instance_s {
  napi_ref make_error; // JS function (errno, syscall) -> Error shaped like node:fs errors
  size_t
      max_buffer; // the longest Buffer or ArrayBuffer this Node makes (buffer.constants.MAX_LENGTH)
  // The per-call fast path (readlineFast): handles by a small number, so a
  // call skips unwrapping an object, and readline()'s current slab.
  mm_handle_t **slots; // slots[0] unused; NULL: free
  uint32_t slot_count, slot_free;
  napi_ref slab_ref;
  uint8_t *slab;
  size_t slab_length;
  bool sigbus_watched; // guardWatch() started this environment's SIGBUS watcher (POSIX)
  napi_ref io_ref;     // readlineNext()'s arguments and result (setSlab's io)
  double *io;
} mm_instance_t;

#define MM_NAPI_CALL(env, call) \
  do { \
    if ((call) != napi_ok) { \
      mm_napi_rethrow(env); \
      return NULL; \
    } \
  } while (0)

// A handle is a type-tagged object (napi.c).
extern const napi_type_tag mm_handle_tag;

// napi.c ----------------------------------------------------------------------
void mm_napi_rethrow(napi_env env);
napi_value mm_napi_throw_code(napi_env env, const char *code, const char *msg);
napi_value mm_napi_throw_range(napi_env env, const char *msg);
napi_value mm_napi_throw_type(napi_env env, const char *msg);
// Throws the error a core call reported: the module's codes (MM_E*) as
// ERR_MMAP_* or ERR_OUT_OF_RANGE, OS codes in node:fs's shape (code, negative
// errno, syscall, message).
napi_value mm_napi_throw(napi_env env, const mm_error_t *err);
// Throws ENOMEM in node:fs's shape (syscall names the allocation).
napi_value mm_napi_throw_nomem(napi_env env, const char *syscall);
// Whether v is a number. The getters below check it first: Deno's napi_get_value_int32 and
// _uint32 coerce any value (a string gives napi_ok and 0) where Node says napi_number_expected.
bool mm_napi_is_number(napi_env env, napi_value v);
bool mm_napi_size(napi_env env, napi_value v, size_t *out);
bool mm_napi_int64(napi_env env, napi_value v, int64_t *out);
bool mm_napi_int32(napi_env env, napi_value v, int32_t *out);
bool mm_napi_uint32(napi_env env, napi_value v, uint32_t *out);
// The arguments (handle, a, b) of a binding: a live handle and two sizes;
// NULL with an exception pending.
mm_handle_t *mm_napi_handle_sizes(napi_env env, napi_callback_info info, size_t *a, size_t *b);
// The bytes of a TypedArray (any element type) or DataView; false with an exception pending.
bool mm_napi_bytes(napi_env env, napi_value v, const uint8_t **data, size_t *length);
// The memory of a Uint8Array or Float64Array argument (per want); throws (false) for anything else.
bool mm_napi_typed(napi_env env, napi_value v, napi_typedarray_type want, void **data,
                   size_t *count);
// The handle behind a JS value; throws (NULL) for anything else and for a closed map.
mm_handle_t *mm_napi_handle(napi_env env, napi_value v);
// The same, closed maps included.
mm_handle_t *mm_napi_handle_any(napi_env env, napi_value v);
// The longest Buffer or ArrayBuffer this Node makes.
size_t mm_napi_max_buffer(napi_env env);

// views.c: the view-lifetime registry ------------------------------------------
// view(handle, start, length) -> an external ArrayBuffer over the mapped bytes.
napi_value mm_napi_view(napi_env env, napi_callback_info info);
// Detaches every view handed out so far (their byteLength becomes 0).
void mm_handle_detach_views(napi_env env, mm_handle_t *h);
// Around an operation that may take memory from the map (resize, close):
// memory a view not yet done reaches becomes a tombstone kept until the view is done.
void mm_handle_retire_begin(mm_handle_t *h);
void mm_handle_retire_end(mm_handle_t *h);
void mm_handle_unmap(mm_handle_t *h);
void mm_handle_release(napi_env env, mm_handle_t *h);
// The wrap's finalizer.
void mm_handle_finalize(napi_env env, void *data, void *hint);
// A Buffer of length bytes in a huge-page block whose first byte has the
// offset lead within a page; NULL (nothing pending) when it cannot be had.
napi_value mm_napi_big_buffer(napi_env env, size_t length, size_t lead, uint8_t **data);
// bigArrayBuffer(length) -> a zero-filled ArrayBuffer in a huge-page block of
// its own, or null.
napi_value mm_napi_big_array_buffer(napi_env env, napi_callback_info info);

// A job on the thread pool holds the map (it is neither unmapped, moved nor
// shrunk meanwhile: close() defers the unmap, resize() refuses) ...
void mm_handle_busy(mm_handle_t *h);
// ... until it settles, on the main thread.
void mm_handle_idle(napi_env env, mm_handle_t *h);

// binding-bytes.c: the byte operations' bindings.
napi_value mm_napi_get(napi_env env, napi_callback_info info);
napi_value mm_napi_set(napi_env env, napi_callback_info info);
napi_value mm_napi_copy(napi_env env, napi_callback_info info);
napi_value mm_napi_copy_step(napi_env env, napi_callback_info info);
napi_value mm_napi_write(napi_env env, napi_callback_info info);
napi_value mm_napi_write_step(napi_env env, napi_callback_info info);
napi_value mm_napi_move(napi_env env, napi_callback_info info);
napi_value mm_napi_find(napi_env env, napi_callback_info info);
napi_value mm_napi_rfind(napi_env env, napi_callback_info info);
napi_value mm_napi_count(napi_env env, napi_callback_info info);
napi_value mm_napi_readline(napi_env env, napi_callback_info info);
napi_value mm_napi_readline_into(napi_env env, napi_callback_info info);
napi_value mm_napi_line_ends(napi_env env, napi_callback_info info);
napi_value mm_napi_slot(napi_env env, napi_callback_info info);
napi_value mm_napi_set_slab(napi_env env, napi_callback_info info);
napi_value mm_napi_readline_fast(napi_env env, napi_callback_info info);
napi_value mm_napi_readline_next(napi_env env, napi_callback_info info);
napi_value mm_napi_latin1(napi_env env, napi_callback_info info);

// binding-shm.c: named shared memory.
napi_value mm_napi_shm_open(napi_env env, napi_callback_info info);
napi_value mm_napi_shm_release(napi_env env, napi_callback_info info);
napi_value mm_napi_shm_unlink(napi_env env, napi_callback_info info);

// async.c: findAsync / rfindAsync / countAsync, prefetch, residency, lock, unlock.
napi_value mm_napi_scan_async(napi_env env, napi_callback_info info);
napi_value mm_napi_prefetch(napi_env env, napi_callback_info info);
napi_value mm_napi_residency(napi_env env, napi_callback_info info);
napi_value mm_napi_lock(napi_env env, napi_callback_info info);
napi_value mm_napi_unlock(napi_env env, napi_callback_info info);
napi_value mm_napi_scan_tuning(napi_env env, napi_callback_info info);

#endif
