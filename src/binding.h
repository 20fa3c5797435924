// binding.h: what the Node-API files (binding.c, async.c) share: the handle and the helpers that
// throw.
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

void mm_napi_rethrow(napi_env env);
napi_value mm_napi_throw_code(napi_env env, const char *code, const char *msg);
napi_value mm_napi_throw_range(napi_env env, const char *msg);
napi_value mm_napi_throw_type(napi_env env, const char *msg);
// Throws the error a core call reported.
napi_value mm_napi_throw(napi_env env, const mm_error_t *err);
bool mm_napi_size(napi_env env, napi_value v, size_t *out);
bool mm_napi_bytes(napi_env env, napi_value v, const uint8_t **data, size_t *length);
// The handle behind a JS value; throws (NULL) for anything else and for a closed map.
mm_handle_t *mm_napi_handle(napi_env env, napi_value v);
void mm_handle_unmap(mm_handle_t *h);
void mm_handle_release(napi_env env, mm_handle_t *h);

// A job on the thread pool holds the map (it is neither unmapped, moved nor
// shrunk meanwhile: close() defers the unmap, resize() refuses) ...
void mm_handle_busy(mm_handle_t *h);
// ... until it settles, on the main thread.
void mm_handle_idle(napi_env env, mm_handle_t *h);

// async.c: findAsync / rfindAsync / countAsync, prefetch, residency, lock, unlock.
napi_value mm_napi_scan_async(napi_env env, napi_callback_info info);
napi_value mm_napi_prefetch(napi_env env, napi_callback_info info);
napi_value mm_napi_residency(napi_env env, napi_callback_info info);
napi_value mm_napi_lock(napi_env env, napi_callback_info info);
napi_value mm_napi_unlock(napi_env env, napi_callback_info info);
napi_value mm_napi_scan_tuning(napi_env env, napi_callback_info info);

#endif
