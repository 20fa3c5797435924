// binding.c: Node-API glue only: unpack arguments, call the core (mmap.h), hand out views, throw.
#include <node_api.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "binding.h"
#include "scan.h"
#ifndef _WIN32
#include <pthread.h>
#include <signal.h>
#include <uv.h>

#include "posix-guard.h"
#endif

// Memory that left a map while views that reached into it were not done: a
// tombstone of zero-filled private memory (mm_map_t.retire), given back to
// the OS when the last of those views is done.
typedef struct mm_relic_s {
  mm_span_t span;
  size_t users; // views not yet done that reach into it
} mm_relic_t;

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
} mm_instance_t;

// The finalizer hint of an external ArrayBuffer or Buffer the module makes.
// Node may run the finalizer inside napi_create_external_* when that call
// fails, or later (the buffer was made but not its wrapper). While the
// record says MM_EXT_CREATING the finalizer only notes that it ran, and the
// caller, which sees the failure, cleans up; when it has not run yet, the
// caller marks the record MM_EXT_ORPHAN and the finalizer frees it.
enum { MM_EXT_CREATING, MM_EXT_LIVE, MM_EXT_DROPPED, MM_EXT_ORPHAN };

// In a finalizer: whether it goes on to release the record; false when it
// ran inside napi_create_external_* (the caller, seeing the failure, does).
static bool
mm_external_finalizing(int *state) {
  if (*state != MM_EXT_CREATING) return true;
  *state = MM_EXT_DROPPED;
  return false;
}

// After a failed napi_create_external_*: whether the caller frees the record
// now (the finalizer ran, or never will); otherwise it is left to the finalizer.
static bool
mm_external_failed(int *state, napi_status status) {
  if (*state == MM_EXT_DROPPED || status == napi_no_external_buffers_allowed) return true;
  *state = MM_EXT_ORPHAN;
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
  int lives;           // 2 while the object and its memory live; done at 0
  napi_ref ref;        // weak: the object, to detach it; NULL once detached
  mm_relic_t **relics; // tombstones this view reaches into
  size_t relic_count;
  struct mm_external_s *prev, *next; // in h->views
} mm_external_t;

static const napi_type_tag mm_handle_tag = {0x6d6d61702d6e6174ULL, 0x6976652d68616e64ULL};

#define MM_NAPI_CALL(env, call) \
  do { \
    if ((call) != napi_ok) { \
      mm_napi_rethrow(env); \
      return NULL; \
    } \
  } while (0)

// Turns a failed Node-API call into a JS exception unless one is pending.
void
mm_napi_rethrow(napi_env env) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return;
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  const char *msg =
      info != NULL && info->error_message != NULL ? info->error_message : "Node-API call failed";
  napi_throw_error(env, "ERR_MMAP_INTERNAL", msg);
}

napi_value
mm_napi_throw_code(napi_env env, const char *code, const char *msg) {
  napi_throw_error(env, code, msg);
  return NULL;
}

napi_value
mm_napi_throw_range(napi_env env, const char *msg) {
  napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
  return NULL;
}

napi_value
mm_napi_throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return NULL;
}

// Throws the error a core call reported: the module's own codes directly,
// OS codes through the JS factory, which gives them node:fs's shape.
napi_value
mm_napi_throw(napi_env env, const mm_error_t *err) {
  if (err->code == MM_ERANGE) return mm_napi_throw_range(env, "range outside the map");
  if (err->code == MM_ETRUNCATED)
    return mm_napi_throw_code(
        env, "ERR_MMAP_TRUNCATED",
        "the file behind this map shrank: the call touches bytes past its end");
  if (err->code == MM_ECALLER) {
    // The binding's own callback failed and threw (or will: see rethrow).
    mm_napi_rethrow(env);
    return NULL;
  }
  if (err->code == MM_ENOFD)
    return mm_napi_throw_code(env, "ERR_MMAP_NO_FD", "the map keeps no file descriptor");
  mm_instance_t *inst = NULL;
  napi_value factory = NULL, argv[2], error;
  if (napi_get_instance_data(env, (void **)&inst) == napi_ok && inst != NULL &&
      napi_get_reference_value(env, inst->make_error, &factory) == napi_ok && factory != NULL &&
      napi_create_int32(env, err->code, &argv[0]) == napi_ok &&
      napi_create_string_utf8(env, err->syscall, NAPI_AUTO_LENGTH, &argv[1]) == napi_ok &&
      napi_call_function(env, factory, factory, 2, argv, &error) == napi_ok) {
    napi_throw(env, error);
    return NULL;
  }
  mm_napi_rethrow(env);
  return NULL;
}

// Arguments -----------------------------------------------------------------

// A non-negative integer that fits in size_t. The JS layer has validated and
// normalised every argument; these checks keep memory safety independent of it.
// Where size_t has 32 bits, a length or index past 4 GiB - 1 cannot be held,
// let alone mapped: it is refused, never cut to its low 32 bits.
bool
mm_napi_size(napi_env env, napi_value v, size_t *out) {
  int64_t n;
  if (napi_get_value_int64(env, v, &n) != napi_ok) {
    mm_napi_throw_type(env, "expected a number");
    return false;
  }
  if (n < 0) {
    mm_napi_throw_range(env, "expected a non-negative integer");
    return false;
  }
  if ((uint64_t)n > (uint64_t)SIZE_MAX) {
    mm_napi_throw_range(env, "too large for this process's address space");
    return false;
  }
  *out = (size_t)n;
  return true;
}

static bool
mm_napi_int64(napi_env env, napi_value v, int64_t *out) {
  if (napi_get_value_int64(env, v, out) != napi_ok) {
    mm_napi_throw_type(env, "expected a number");
    return false;
  }
  return true;
}

static bool
mm_napi_int32(napi_env env, napi_value v, int32_t *out) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    mm_napi_throw_type(env, "expected a number");
    return false;
  }
  return true;
}

// The bytes of a TypedArray (any element type) or DataView argument.
bool
mm_napi_bytes(napi_env env, napi_value v, const uint8_t **data, size_t *length) {
  bool is_typedarray = false, is_dataview = false;
  void *p = NULL;
  size_t n = 0;
  if (napi_is_typedarray(env, v, &is_typedarray) != napi_ok) return false;
  if (is_typedarray) {
    napi_typedarray_type type;
    size_t elements;
    if (napi_get_typedarray_info(env, v, &type, &elements, &p, NULL, NULL) != napi_ok) {
      mm_napi_rethrow(env);
      return false;
    }
    size_t width = 1;
    switch (type) {
    case napi_int16_array:
    case napi_uint16_array:
      width = 2;
      break;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array:
      width = 4;
      break;
    case napi_float64_array:
    case napi_bigint64_array:
    case napi_biguint64_array:
      width = 8;
      break;
    case napi_int8_array:
    case napi_uint8_array:
    case napi_uint8_clamped_array:
      width = 1;
      break;
    default:
      // An element type this header does not know (Float16Array on newer
      // Node): its byte length cannot be told here.
      mm_napi_throw_type(env, "expected a TypedArray of a known element type");
      return false;
    }
    n = elements * width;
  } else if (napi_is_dataview(env, v, &is_dataview) == napi_ok && is_dataview) {
    if (napi_get_dataview_info(env, v, &n, &p, NULL, NULL) != napi_ok) {
      mm_napi_rethrow(env);
      return false;
    }
  } else {
    mm_napi_throw_type(env, "expected a TypedArray or DataView");
    return false;
  }
  *data = n == 0 ? NULL : p;
  *length = p == NULL ? 0 : n;
  return true;
}

// Handles -------------------------------------------------------------------

// The handle behind a JS value; throws (and returns NULL) for anything else
// and for a closed map.
static mm_handle_t *
mm_napi_handle_any(napi_env env, napi_value v) {
  napi_valuetype type;
  bool tagged = false;
  void *h = NULL;
  if (napi_typeof(env, v, &type) != napi_ok || type != napi_object ||
      napi_check_object_type_tag(env, v, &mm_handle_tag, &tagged) != napi_ok || !tagged ||
      napi_unwrap(env, v, &h) != napi_ok || h == NULL) {
    mm_napi_throw_type(env, "expected an mmap handle");
    return NULL;
  }
  return h;
}

mm_handle_t *
mm_napi_handle(napi_env env, napi_value v) {
  mm_handle_t *h = mm_napi_handle_any(env, v);
  if (h != NULL && h->closed) {
    mm_napi_throw_code(env, "ERR_MMAP_CLOSED", "mmap closed or invalid");
    return NULL;
  }
  return h;
}

// Detaches every ArrayBuffer handed out so far (their byteLength becomes 0):
// no JavaScript code can reach the old memory through them afterwards. The
// views stay listed until done, for the tombstones (see mm_external_t).
static void
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
mm_handle_reached(const mm_handle_t *h, const void *base, size_t length) {
  uintptr_t lo = (uintptr_t)base, hi = lo + length;
  for (const mm_external_t *ext = h->views; ext != NULL; ext = ext->next) {
    uintptr_t start = (uintptr_t)ext->base;
    if (start < hi && lo < start + ext->size) return true;
  }
  return false;
}

// Before an operation that may take memory from the map: retire what a view
// not yet done reaches (the whole OS mapping counts: views are inside it).
static void
mm_handle_retire_begin(mm_handle_t *h) {
  h->map.retired_count = 0;
  h->map.retire = h->map.os_base != NULL && mm_handle_reached(h, h->map.os_base, h->map.os_length);
}

// After it: each tombstone left becomes a relic of the views that reach
// into it, or goes straight back to the OS when none does. A relic whose
// users cannot all be recorded (out of memory) is kept for good: leaking
// address space is better than unmapping memory a pointer may still use.
static void
mm_handle_retire_end(mm_handle_t *h) {
  for (int i = 0; i < h->map.retired_count; i++) {
    mm_span_t span = h->map.retired[i];
    uintptr_t lo = (uintptr_t)span.base, hi = lo + span.length;
    mm_relic_t *relic = calloc(1, sizeof(*relic));
    if (relic == NULL) continue;
    relic->span = span;
    bool pinned = false;
    for (mm_external_t *ext = h->views; ext != NULL; ext = ext->next) {
      uintptr_t start = (uintptr_t)ext->base;
      if (!(start < hi && lo < start + ext->size)) continue;
      mm_relic_t **relics = realloc(ext->relics, (ext->relic_count + 1) * sizeof(*relics));
      if (relics == NULL) {
        pinned = true;
        continue;
      }
      ext->relics = relics;
      ext->relics[ext->relic_count++] = relic;
      relic->users++;
    }
    if (pinned) {
      relic->users++; // never reaches 0
    } else if (relic->users == 0) {
      mm_tombstone_free(span);
      free(relic);
    }
  }
  h->map.retire = 0;
  h->map.retired_count = 0;
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

static void
mm_handle_finalize(napi_env env, void *data, void *hint) {
  mm_handle_release(env, data);
}

// A view is done: forget it, give back the tombstones only it still
// reached, and let go of the map.
static void
mm_view_done(napi_env env, mm_external_t *ext) {
  mm_handle_t *h = ext->h;
  if (ext->prev != NULL)
    ext->prev->next = ext->next;
  else
    h->views = ext->next;
  if (ext->next != NULL) ext->next->prev = ext->prev;
  if (ext->ref != NULL) napi_delete_reference(env, ext->ref);
  for (size_t i = 0; i < ext->relic_count; i++) {
    mm_relic_t *relic = ext->relics[i];
    if (--relic->users == 0) {
      mm_tombstone_free(relic->span);
      free(relic);
    }
  }
  free(ext->relics);
  free(ext);
  mm_handle_release(env, h);
}

// The memory of a view is gone (V8 freed its backing store).
static void
mm_view_finalize(napi_env env, void *data, void *hint) {
  mm_external_t *ext = hint;
  if (!mm_external_finalizing(&ext->state)) return;
  if (ext->state == MM_EXT_ORPHAN) {
    free(ext);
    return;
  }
  if (--ext->lives == 0) mm_view_done(env, ext);
}

// The ArrayBuffer object of a view is gone.
static void
mm_view_object_finalize(napi_env env, void *data, void *hint) {
  mm_external_t *ext = data;
  if (--ext->lives == 0) mm_view_done(env, ext);
}

// The longest external buffer this Node makes; 0 when unknown (then the
// conservative 4 GiB of Node 20, or all of a 32-bit address space).
static size_t
mm_napi_max_buffer(napi_env env) {
  mm_instance_t *inst = NULL;
  if (napi_get_instance_data(env, (void **)&inst) == napi_ok && inst != NULL &&
      inst->max_buffer > 0)
    return inst->max_buffer;
  return SIZE_MAX > UINT32_MAX ? (size_t)UINT32_MAX + 1 : SIZE_MAX;
}

// Bindings ------------------------------------------------------------------

// init(makeError): stores the factory that shapes OS errors.
static napi_value
mm_napi_init(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_valuetype type;
  size_t max_buffer;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || napi_typeof(env, argv[0], &type) != napi_ok || type != napi_function)
    return mm_napi_throw_type(env, "expected a function and a length");
  if (!mm_napi_size(env, argv[1], &max_buffer)) return NULL;
  mm_instance_t *inst = NULL;
  MM_NAPI_CALL(env, napi_get_instance_data(env, (void **)&inst));
  if (inst == NULL) return mm_napi_throw_code(env, "ERR_MMAP_INTERNAL", "no instance data");
  if (inst->make_error != NULL) napi_delete_reference(env, inst->make_error);
  inst->make_error = NULL;
  inst->max_buffer = max_buffer;
  MM_NAPI_CALL(env, napi_create_reference(env, argv[0], 1, &inst->make_error));
  return NULL;
}

// fileInfo(fd) -> [size, isRegularFile]
static napi_value
mm_napi_file_info(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result, size, regular;
  int32_t fd;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !mm_napi_int32(env, argv[0], &fd)) return NULL;
  uint64_t bytes;
  int is_regular;
  mm_error_t err;
  mm_fd_t handle;
  if (mm_fd_from_int(fd, &handle, &err) < 0 || mm_file_info(handle, &bytes, &is_regular, &err) < 0)
    return mm_napi_throw(env, &err);
  MM_NAPI_CALL(env, napi_create_array_with_length(env, 2, &result));
  MM_NAPI_CALL(env, napi_create_double(env, (double)bytes, &size));
  MM_NAPI_CALL(env, napi_get_boolean(env, is_regular, &regular));
  MM_NAPI_CALL(env, napi_set_element(env, result, 0, size));
  MM_NAPI_CALL(env, napi_set_element(env, result, 1, regular));
  return result;
}

// map(fd, length, offset, access, flags, prot, trackfd, tagname) -> handle
static napi_value
mm_napi_map(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8], handle;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 7) return mm_napi_throw_type(env, "map() takes 7 arguments");
  int32_t fd, access, flags, prot;
  size_t length;
  bool keep_fd;
  int64_t offset;
  if (!mm_napi_int32(env, argv[0], &fd) || !mm_napi_size(env, argv[1], &length) ||
      !mm_napi_int64(env, argv[2], &offset) || !mm_napi_int32(env, argv[3], &access) ||
      !mm_napi_int32(env, argv[4], &flags) || !mm_napi_int32(env, argv[5], &prot))
    return NULL;
  if (napi_get_value_bool(env, argv[6], &keep_fd) != napi_ok)
    return mm_napi_throw_type(env, "expected a boolean");
  if (access < MM_ACCESS_DEFAULT || access > MM_ACCESS_COPY)
    return mm_napi_throw_range(env, "access out of range");
  // A file offset is 64-bit even where size_t is not.
  if (offset < 0) return mm_napi_throw_range(env, "expected a non-negative offset");

  // The tag name, whole: a fixed buffer would cut long names short and make
  // two names that differ only past its end one mapping.
  char *tagname = NULL;
  napi_valuetype tag_type = napi_undefined;
  if (argc > 7) MM_NAPI_CALL(env, napi_typeof(env, argv[7], &tag_type));
  if (tag_type == napi_string) {
    size_t bytes, copied;
    MM_NAPI_CALL(env, napi_get_value_string_utf8(env, argv[7], NULL, 0, &bytes));
    tagname = malloc(bytes + 1);
    if (tagname == NULL) return mm_napi_throw_code(env, "ENOMEM", "out of memory");
    if (napi_get_value_string_utf8(env, argv[7], tagname, bytes + 1, &copied) != napi_ok) {
      free(tagname);
      mm_napi_rethrow(env);
      return NULL;
    }
  }

  mm_error_t err;
  mm_fd_t fd_handle;
  if (mm_fd_from_int(fd, &fd_handle, &err) < 0) {
    free(tagname);
    return mm_napi_throw(env, &err);
  }
  mm_handle_t *h = calloc(1, sizeof(*h));
  if (h == NULL) {
    free(tagname);
    return mm_napi_throw_code(env, "ENOMEM", "out of memory");
  }
  mm_options_t opts = {
      .fd = fd_handle,
      .offset = (uint64_t)offset,
      .length = length,
      .access = access,
      .flags = flags,
      .prot = prot,
      .keep_fd = keep_fd,
      .tagname = tagname,
  };
  int rc = mm_map_open(&h->map, &opts, &err);
  free(tagname);
  if (rc < 0) {
    free(h);
    return mm_napi_throw(env, &err);
  }
  h->refs = 1;
  if (napi_create_object(env, &handle) != napi_ok ||
      napi_type_tag_object(env, handle, &mm_handle_tag) != napi_ok ||
      napi_wrap(env, handle, h, mm_handle_finalize, NULL, NULL) != napi_ok) {
    mm_handle_unmap(h);
    free(h);
    mm_napi_rethrow(env);
    return NULL;
  }
  return handle;
}

// Named shared memory --------------------------------------------------------

// A block's name, whole and without NUL bytes (malloc'ed; NULL with an
// exception pending).
static char *
mm_napi_shm_name(napi_env env, napi_value v) {
  napi_valuetype type;
  if (napi_typeof(env, v, &type) != napi_ok) {
    mm_napi_rethrow(env);
    return NULL;
  }
  if (type != napi_string) {
    mm_napi_throw_type(env, "the name must be a string");
    return NULL;
  }
  size_t bytes, copied;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &bytes) != napi_ok) {
    mm_napi_rethrow(env);
    return NULL;
  }
  char *name = malloc(bytes + 1);
  if (name == NULL) {
    mm_napi_throw_code(env, "ENOMEM", "out of memory");
    return NULL;
  }
  if (napi_get_value_string_utf8(env, v, name, bytes + 1, &copied) != napi_ok) {
    free(name);
    mm_napi_rethrow(env);
    return NULL;
  }
  // An empty name would be "/" on POSIX and an unnamed section on Windows;
  // a NUL byte would cut the name short.
  if (copied == 0 || strlen(name) != copied) {
    free(name);
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "the name must be non-empty, without NUL");
    return NULL;
  }
  return name;
}

// shmOpen(name, create, size, mode) -> [holder, size]: the holder (a
// descriptor on POSIX, a section handle on Windows) must go back to
// shmRelease once the block is mapped.
static napi_value
mm_napi_shm_open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], result, v;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) return mm_napi_throw_type(env, "shmOpen() takes 4 arguments");
  bool create;
  int64_t size;
  int32_t mode;
  if (napi_get_value_bool(env, argv[1], &create) != napi_ok)
    return mm_napi_throw_type(env, "expected a boolean");
  if (!mm_napi_int64(env, argv[2], &size) || !mm_napi_int32(env, argv[3], &mode)) return NULL;
  if (size < 0) return mm_napi_throw_range(env, "expected a non-negative size");
  if (mode < 0 || mode > 07777) return mm_napi_throw_range(env, "mode out of range");
  char *name = mm_napi_shm_name(env, argv[0]);
  if (name == NULL) return NULL;
  mm_fd_t holder;
  uint64_t bytes;
  mm_error_t err;
  int rc = mm_shm_open(name, create, (uint64_t)size, mode, &holder, &bytes, &err);
  free(name);
  if (rc < 0) return mm_napi_throw(env, &err);
  if (napi_create_array_with_length(env, 2, &result) != napi_ok ||
      napi_create_int64(env, (int64_t)holder, &v) != napi_ok ||
      napi_set_element(env, result, 0, v) != napi_ok ||
      napi_create_double(env, (double)bytes, &v) != napi_ok ||
      napi_set_element(env, result, 1, v) != napi_ok) {
    mm_close_fd(holder);
    mm_napi_rethrow(env);
    return NULL;
  }
  return result;
}

// shmRelease(holder): closes what shmOpen returned.
static napi_value
mm_napi_shm_release(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t holder;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !mm_napi_int64(env, argv[0], &holder)) return NULL;
  if (holder < 0) return mm_napi_throw_range(env, "expected a holder from shmOpen()");
  mm_close_fd((mm_fd_t)holder);
  return NULL;
}

// shmUnlink(name)
static napi_value
mm_napi_shm_unlink(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) return mm_napi_throw_type(env, "shmUnlink() takes 1 argument");
  char *name = mm_napi_shm_name(env, argv[0]);
  if (name == NULL) return NULL;
  mm_error_t err;
  int rc = mm_shm_unlink(name, &err);
  free(name);
  if (rc < 0) return mm_napi_throw(env, &err);
  return NULL;
}

// close(handle): detaches every view, unmaps (once no flush is in flight)
// and closes the descriptor. Idempotent.
static napi_value
mm_napi_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  mm_handle_t *h = mm_napi_handle_any(env, argv[0]);
  if (h == NULL || h->closed) return NULL;
  mm_flag_set(&h->closed);
  mm_handle_detach_views(env, h);
  // A flushAsync in flight still reads the memory on a worker thread; its
  // completion unmaps instead.
  if (h->pending == 0) mm_handle_unmap(h);
  return NULL;
}

// settle(handle): once the guard replaced lost pages of a file that has since
// grown back, gives the file's pages back to them, so a view made or read now
// shows the file's bytes. Nothing to do (and no system call) until a fault.
static napi_value
mm_napi_settle(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  mm_handle_t *h = mm_napi_handle(env, argv[0]);
  if (h == NULL) return NULL;
  size_t backed;
  mm_error_t ignored;
  (void)mm_map_backed(&h->map, &backed, &ignored);
  return NULL;
}

// guardReinstall(): puts the fault guard back in front of SIGBUS after a
// process.on('SIGBUS') listener came or went (libuv replaces the handler).
static napi_value
mm_napi_guard_reinstall(napi_env env, napi_callback_info info) {
  mm_guard_reinstall();
  return NULL;
}

#ifndef _WIN32
// guardListeners(count): how many process.on('SIGBUS') listeners the main
// thread has (a SIGBUS that is not the guard's goes to libuv only then).
static napi_value
mm_napi_guard_listeners(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t count = 0;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_int32(env, argv[0], &count) != napi_ok) count = 0;
  mm__guard_listeners(count < 0 ? 0 : count);
  return NULL;
}

// A libuv watcher of SIGBUS per environment that loaded the addon, started
// at load and closed when the environment goes. libuv resets SIGBUS to the
// default action when the last watcher of it stops (process.on('SIGBUS')
// listeners are watchers too): while ours runs, that never happens, so the
// guard, in front of libuv's handler, is never left out while the program
// adds and removes listeners. The callback does nothing: a SIGBUS reaches
// libuv only when the program listens (see mm__guard_chain).
typedef struct {
  uv_signal_t signal;
  napi_async_cleanup_hook_handle hook;
} mm_sigbus_watch_t;

static void
mm_sigbus_noop(uv_signal_t *handle, int signum) {}

static void
mm_sigbus_closed_early(uv_handle_t *handle) {
  free(handle->data);
  mm_guard_reinstall();
}

static void
mm_sigbus_closed(uv_handle_t *handle) {
  mm_sigbus_watch_t *w = handle->data;
  napi_async_cleanup_hook_handle hook = w->hook;
  free(w);
  // libuv may have just restored the default action (ours was the last
  // watcher): the guard goes back in front.
  mm_guard_reinstall();
  napi_remove_async_cleanup_hook(hook);
}

static void
mm_sigbus_cleanup(napi_async_cleanup_hook_handle hook, void *arg) {
  mm_sigbus_watch_t *w = arg;
  w->hook = hook;
  uv_close((uv_handle_t *)&w->signal, mm_sigbus_closed);
}

// And one watcher for the whole process, on a loop of the addon's own that
// never runs and is never closed (a few descriptors for the process's life):
// the environments' watchers close when theirs go, and when the addon was
// loaded in worker threads only, the last one to go would have libuv reset
// SIGBUS to the default action while pool threads may still fault in that
// worker's maps, until the guard went back in. With this one libuv never
// resets SIGBUS once the addon is loaded. libuv's handler, reached only when
// the program listens (mm__guard_chain), writes to this loop's pipe, which
// nobody reads; libuv ignores a full pipe.
static uv_loop_t mm_sigbus_loop;
static uv_signal_t mm_sigbus_forever;
static pthread_once_t mm_sigbus_once = PTHREAD_ONCE_INIT;

static void
mm_sigbus_forever_start(void) {
  if (uv_loop_init(&mm_sigbus_loop) != 0) return;
  if (uv_signal_init(&mm_sigbus_loop, &mm_sigbus_forever) == 0)
    (void)uv_signal_start(&mm_sigbus_forever, mm_sigbus_noop, SIGBUS);
}

static void
mm_sigbus_watch(napi_env env) {
  pthread_once(&mm_sigbus_once, mm_sigbus_forever_start);
  uv_loop_t *loop = NULL;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == NULL) return;
  mm_sigbus_watch_t *w = calloc(1, sizeof(*w));
  if (w == NULL) return;
  if (uv_signal_init(loop, &w->signal) != 0) {
    free(w);
    return;
  }
  w->signal.data = w;
  if (uv_signal_start(&w->signal, mm_sigbus_noop, SIGBUS) != 0 ||
      napi_add_async_cleanup_hook(env, mm_sigbus_cleanup, w, NULL) != napi_ok) {
    uv_close((uv_handle_t *)&w->signal, mm_sigbus_closed_early);
    return;
  }
  uv_unref((uv_handle_t *)&w->signal);
  (void)mm__guard_hold();
}
#endif

// view(handle, start, length) -> an external ArrayBuffer over the mapped bytes
static napi_value
mm_napi_view(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], ab;
  size_t start, length;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  mm_handle_t *h = mm_napi_handle(env, argv[0]);
  if (h == NULL || !mm_napi_size(env, argv[1], &start) || !mm_napi_size(env, argv[2], &length))
    return NULL;
  uint8_t *base;
  mm_error_t err;
  if (mm_map_view(&h->map, start, length, &base, &err) < 0) return mm_napi_throw(env, &err);
  if (length > mm_napi_max_buffer(env))
    return mm_napi_throw_range(env, "a view longer than the longest ArrayBuffer this Node makes");
  mm_external_t *ext = calloc(1, sizeof(*ext));
  if (ext == NULL) return mm_napi_throw_code(env, "ENOMEM", "out of memory");
  ext->state = MM_EXT_CREATING;
  ext->h = h;
  ext->base = base;
  ext->size = length;
  ext->lives = 2;
  napi_status status =
      napi_create_external_arraybuffer(env, base, length, mm_view_finalize, ext, &ab);
  if (status != napi_ok) {
    if (mm_external_failed(&ext->state, status)) free(ext);
    if (status == napi_no_external_buffers_allowed)
      return mm_napi_throw_code(env, "ERR_MMAP_EXTERNAL_BUFFERS",
                                "this runtime does not allow external buffers, so zero-copy views "
                                "are unavailable; the other methods keep working");
    mm_napi_rethrow(env);
    return NULL;
  }
  ext->state = MM_EXT_LIVE;
  h->refs++;
  ext->next = h->views;
  if (h->views != NULL) h->views->prev = ext;
  h->views = ext;
  // Without an object finalizer only the memory's can end the view; without
  // the reference close() cannot detach it: either way the buffer is not
  // handed out, and the collector ends the view.
  if (napi_add_finalizer(env, ab, ext, mm_view_object_finalize, NULL, NULL) != napi_ok) {
    ext->lives--;
    mm_napi_rethrow(env);
    return NULL;
  }
  MM_NAPI_CALL(env, napi_create_reference(env, ab, 0, &ext->ref));
  return ab;
}

// fileSize(handle) -> the size of the file behind the map (an anonymous map's length)
static napi_value
mm_napi_file_size(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  mm_handle_t *h = mm_napi_handle(env, argv[0]);
  if (h == NULL) return NULL;
  uint64_t size;
  mm_error_t err;
  if (mm_map_file_size(&h->map, &size, &err) < 0) return mm_napi_throw(env, &err);
  MM_NAPI_CALL(env, napi_create_double(env, (double)size, &result));
  return result;
}

// get(handle, index) -> byte
static napi_value
mm_napi_get(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  size_t i;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  mm_handle_t *h = mm_napi_handle(env, argv[0]);
  if (h == NULL || !mm_napi_size(env, argv[1], &i)) return NULL;
  uint8_t byte;
  mm_error_t err;
  if (mm_map_get(&h->map, i, &byte, &err) < 0) return mm_napi_throw(env, &err);
  MM_NAPI_CALL(env, napi_create_uint32(env, byte, &result));
  return result;
}

// set(handle, index, byte)
static napi_value
mm_napi_set(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  size_t i;
  int32_t v;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  mm_handle_t *h = mm_napi_handle(env, argv[0]);
  if (h == NULL || !mm_napi_size(env, argv[1], &i) || !mm_napi_int32(env, argv[2], &v)) return NULL;
  mm_error_t err;
  if (mm_map_set(&h->map, i, v, &err) < 0) return mm_napi_throw(env, &err);
  return NULL;
}

// A new Buffer of length bytes; *data receives its memory.
static napi_value
new_buffer(napi_env env, size_t length, uint8_t **data) {
  napi_value buf;
  void *p = NULL;
  if (napi_create_buffer(env, length, &p, &buf) != napi_ok) {
    // Node's own error (ERR_BUFFER_TOO_LARGE, an allocation failure) would
    // escape without this module's code: replace it.
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "cannot allocate a Buffer that large");
    return NULL;
  }
  *data = p;
  return buf;
}

// Copies of at least this many bytes go to a block of their own (see
// buffer_sink).
#define MM_BIG_COPY ((size_t)8 << 20)

static void
big_block_finalize(napi_env env, void *data, void *hint) {
  mm_external_t *block = hint;
  if (!mm_external_finalizing(&block->state)) return;
  int64_t ignored;
  if (block->state == MM_EXT_LIVE)
    napi_adjust_external_memory(env, -(int64_t)block->size, &ignored);
  mm_big_free(block->base, block->size);
  free(block);
}

// A huge-page Buffer of length bytes whose first byte has the offset lead
// within a page; NULL (nothing pending) when it cannot be had.
static napi_value
big_buffer(napi_env env, size_t length, size_t lead, uint8_t **data) {
  size_t page = mm_page_size();
  mm_external_t *block = calloc(1, sizeof(*block));
  if (block == NULL || length > SIZE_MAX - page - lead) {
    free(block);
    return NULL;
  }
  block->state = MM_EXT_CREATING;
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
    block->state = MM_EXT_LIVE;
    int64_t ignored;
    // The garbage collector cannot see this memory otherwise.
    napi_adjust_external_memory(env, (int64_t)block->size, &ignored);
    *data = dst;
    return buf;
  }
  // External buffers refused (Electron) or too large: the heap path.
  napi_value ignored;
  napi_get_and_clear_last_exception(env, &ignored);
  if (mm_external_failed(&block->state, status)) {
    mm_big_free(block->base, block->size);
    free(block);
  }
  return NULL;
}

// The sink of a copy out of a map into a new Buffer (see mm_sink_t).
typedef struct buffer_sink_s {
  napi_env env;
  napi_value buf; // the Buffer made, NULL until then
} buffer_sink_t;

// A large copy goes to a huge-page block whose start has the same offset
// within a page as the source: glibc's memcpy runs at a third of its speed
// when the two differ, and faulting in a fresh heap buffer page by page
// costs more than the copy.
static uint8_t *
buffer_sink(void *ctx, size_t length, size_t lead) {
  buffer_sink_t *sink = ctx;
  uint8_t *dst = NULL;
  if (length > mm_napi_max_buffer(sink->env)) {
    mm_napi_throw_range(sink->env, "a copy longer than the longest Buffer this Node makes");
    return NULL;
  }
  if (length >= MM_BIG_COPY) sink->buf = big_buffer(sink->env, length, lead, &dst);
  if (sink->buf == NULL) sink->buf = new_buffer(sink->env, length, &dst);
  // A Buffer of length 0 may have no memory; the core copies nothing then.
  if (sink->buf != NULL && dst == NULL) dst = (uint8_t *)sink;
  return sink->buf == NULL ? NULL : dst;
}

// copy(handle, start, length) -> Buffer holding a copy of [start, start + length)
static napi_value
mm_napi_copy(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  size_t start, length;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  mm_handle_t *h = mm_napi_handle(env, argv[0]);
  if (h == NULL || !mm_napi_size(env, argv[1], &start) || !mm_napi_size(env, argv[2], &length))
    return NULL;
  buffer_sink_t sink = {env, NULL};
  mm_error_t err;
  if (mm_map_copy(&h->map, start, length, buffer_sink, &sink, &err) < 0)
    return mm_napi_throw(env, &err);
  return sink.buf;
}

// copyStep(handle, start, step, count) -> Buffer of data[start + i * step]
static napi_value
mm_napi_copy_step(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  size_t start, count;
  int64_t step;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  mm_handle_t *h = mm_napi_handle(env, argv[0]);
  if (h == NULL || !mm_napi_size(env, argv[1], &start) || !mm_napi_int64(env, argv[2], &step) ||
      !mm_napi_size(env, argv[3], &count))
    return NULL;
  buffer_sink_t sink = {env, NULL};
  mm_error_t err;
  if (mm_map_copy_step(&h->map, start, step, count, buffer_sink, &sink, &err) < 0)
    return mm_napi_throw(env, &err);
  return sink.buf;
}

// write(handle, position, bytes): copies all of bytes to the map at position.
static napi_value
mm_napi_write(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  size_t pos, n;
  const uint8_t *src;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  mm_handle_t *h = mm_napi_handle(env, argv[0]);
  if (h == NULL || !mm_napi_size(env, argv[1], &pos) || !mm_napi_bytes(env, argv[2], &src, &n))
    return NULL;
  mm_error_t err;
  if (mm_map_write(&h->map, pos, src, n, &err) < 0) return mm_napi_throw(env, &err);
  return NULL;
}

// writeStep(handle, start, step, count, bytes): data[start + i * step] = bytes[i]
static napi_value
mm_napi_write_step(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  size_t start, count, n;
  int64_t step;
  const uint8_t *src;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  mm_handle_t *h = mm_napi_handle(env, argv[0]);
  if (h == NULL || !mm_napi_size(env, argv[1], &start) || !mm_napi_int64(env, argv[2], &step) ||
      !mm_napi_size(env, argv[3], &count) || !mm_napi_bytes(env, argv[4], &src, &n))
    return NULL;
  mm_error_t err;
  if (mm_map_write_step(&h->map, start, step, count, src, n, &err) < 0)
    return mm_napi_throw(env, &err);
  return NULL;
}

typedef enum { SEARCH_FIND, SEARCH_RFIND, SEARCH_COUNT } search_kind_t;

// find/rfind/count(handle, needle, start, end): searches [start, end).
static napi_value
search(napi_env env, napi_callback_info info, search_kind_t kind) {
  size_t argc = 4;
  napi_value argv[4], result;
  size_t start, end, k;
  const uint8_t *needle;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  mm_handle_t *h = mm_napi_handle(env, argv[0]);
  if (h == NULL || !mm_napi_bytes(env, argv[1], &needle, &k) ||
      !mm_napi_size(env, argv[2], &start) || !mm_napi_size(env, argv[3], &end))
    return NULL;
  mm_error_t err;
  int64_t at = -1;
  uint64_t count = 0;
  int rc = kind == SEARCH_COUNT  ? mm_map_count(&h->map, start, end, needle, k, &count, &err)
           : kind == SEARCH_FIND ? mm_map_find(&h->map, start, end, needle, k, &at, &err)
                                 : mm_map_rfind(&h->map, start, end, needle, k, &at, &err);
  if (rc < 0) return mm_napi_throw(env, &err);
  MM_NAPI_CALL(env,
               napi_create_double(env, kind == SEARCH_COUNT ? (double)count : (double)at, &result));
  return result;
}

static napi_value
mm_napi_find(napi_env env, napi_callback_info info) {
  return search(env, info, SEARCH_FIND);
}

static napi_value
mm_napi_rfind(napi_env env, napi_callback_info info) {
  return search(env, info, SEARCH_RFIND);
}

static napi_value
mm_napi_count(napi_env env, napi_callback_info info) {
  return search(env, info, SEARCH_COUNT);
}

// readline(handle, position) -> Buffer up to and including the next '\n'
static napi_value
mm_napi_readline(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  size_t pos;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  mm_handle_t *h = mm_napi_handle(env, argv[0]);
  if (h == NULL || !mm_napi_size(env, argv[1], &pos)) return NULL;
  buffer_sink_t sink = {env, NULL};
  mm_error_t err;
  if (mm_map_readline(&h->map, pos, buffer_sink, &sink, &err) < 0) return mm_napi_throw(env, &err);
  return sink.buf;
}

// The memory of a Uint8Array or Float64Array argument (per want); throws
// (false) for anything else.
static bool
typed_arg(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *count) {
  bool is_typed = false;
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, v, &type, count, data, &ab, &offset) != napi_ok ||
      type != want) {
    mm_napi_throw_type(env, want == napi_float64_array ? "expected a Float64Array"
                                                       : "expected a Uint8Array");
    return false;
  }
  return true;
}

// The answer of readlineInto() and readlineFast(): the line's length when it
// was copied, minus it when not.
static napi_value
line_answer(napi_env env, int rc, size_t length, const mm_error_t *err) {
  napi_value result;
  if (rc < 0) return mm_napi_throw(env, err);
  MM_NAPI_CALL(env, napi_create_double(env, rc == 1 ? (double)length : -(double)length, &result));
  return result;
}

// readlineInto(handle, position, slab, at) -> the length of the line at
// position, copied to slab[at...] when it fits there; when it does not,
// nothing is copied and the result is minus the length (readline() then
// takes another slab or a Buffer of its own). Small lines share slabs the
// way Buffer.allocUnsafe() shares Node's pool.
static napi_value
mm_napi_readline_into(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  size_t pos, at, length, room;
  void *slab;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) return mm_napi_throw_type(env, "readlineInto() takes 4 arguments");
  mm_handle_t *h = mm_napi_handle(env, argv[0]);
  if (h == NULL || !mm_napi_size(env, argv[1], &pos) ||
      !typed_arg(env, argv[2], napi_uint8_array, &slab, &room) || !mm_napi_size(env, argv[3], &at))
    return NULL;
  mm_error_t err;
  int rc = mm_map_readline_into(&h->map, pos, slab, room, at, &length, &err);
  return line_answer(env, rc, length, &err);
}

// lineEnds(handle, start, end, out, at) -> how many offsets it wrote to
// out[at...] (a Float64Array): the offset just past each '\n' in [start,
// end), in order, until out is full (the last one written is then where the
// next call resumes).
static napi_value
mm_napi_line_ends(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], result;
  size_t start, end, at, room, count;
  void *out;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) return mm_napi_throw_type(env, "lineEnds() takes 5 arguments");
  mm_handle_t *h = mm_napi_handle(env, argv[0]);
  if (h == NULL || !mm_napi_size(env, argv[1], &start) || !mm_napi_size(env, argv[2], &end) ||
      !typed_arg(env, argv[3], napi_float64_array, &out, &room) || !mm_napi_size(env, argv[4], &at))
    return NULL;
  mm_error_t err;
  if (mm_map_line_ends(&h->map, start, end, out, room, at, &count, &err) < 0)
    return mm_napi_throw(env, &err);
  MM_NAPI_CALL(env, napi_create_double(env, (double)count, &result));
  return result;
}

// The fast path --------------------------------------------------------------
//
// Unwrapping a type-tagged object costs more than a short line's whole work,
// so readline() names its map by a slot number: slots hold handles until
// they are released, a slot number is only ever looked up in its own
// environment's table, and a stale or made-up number finds no map (or
// another live map of the same environment), never freed memory.

// slot(handle) -> the map's slot number, made on first use.
static napi_value
mm_napi_slot(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  mm_handle_t *h = mm_napi_handle(env, argv[0]);
  if (h == NULL) return NULL;
  mm_instance_t *inst = NULL;
  MM_NAPI_CALL(env, napi_get_instance_data(env, (void **)&inst));
  if (inst == NULL) return mm_napi_throw_code(env, "ERR_MMAP_INTERNAL", "no instance data");
  if (h->slot == 0) {
    uint32_t i = inst->slot_free > 0 ? inst->slot_free : 1;
    while (i < inst->slot_count && inst->slots[i] != NULL && !inst->slots[i]->released)
      i++;
    if (i >= inst->slot_count) {
      // Wrapped around: look from the start for a free or released slot.
      for (i = 1; i < inst->slot_count; i++)
        if (inst->slots[i] == NULL || inst->slots[i]->released) break;
    }
    if (i < inst->slot_count && inst->slots[i] != NULL) free(inst->slots[i]);
    if (i >= inst->slot_count) {
      uint32_t grown = inst->slot_count < 16 ? 16 : inst->slot_count * 2;
      mm_handle_t **slots = grown > inst->slot_count && grown < (1u << 30)
                                ? realloc(inst->slots, grown * sizeof(*slots))
                                : NULL;
      if (slots == NULL) return mm_napi_throw_code(env, "ENOMEM", "out of memory");
      memset(slots + inst->slot_count, 0, (grown - inst->slot_count) * sizeof(*slots));
      inst->slots = slots;
      inst->slot_count = grown;
    }
    inst->slots[i] = h;
    inst->slot_free = i + 1;
    h->slot = i;
  }
  MM_NAPI_CALL(env, napi_create_uint32(env, h->slot, &result));
  return result;
}

// setSlab(bytes): the Uint8Array readlineFast() copies lines into.
static napi_value
mm_napi_set_slab(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data;
  size_t length;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !typed_arg(env, argv[0], napi_uint8_array, &data, &length)) return NULL;
  mm_instance_t *inst = NULL;
  MM_NAPI_CALL(env, napi_get_instance_data(env, (void **)&inst));
  if (inst == NULL) return mm_napi_throw_code(env, "ERR_MMAP_INTERNAL", "no instance data");
  napi_ref ref;
  MM_NAPI_CALL(env, napi_create_reference(env, argv[0], 1, &ref));
  if (inst->slab_ref != NULL) napi_delete_reference(env, inst->slab_ref);
  inst->slab_ref = ref;
  inst->slab = data;
  inst->slab_length = length;
  return NULL;
}

// readlineFast(slot, position, at) -> as readlineInto(), into the slab
// setSlab() gave.
static napi_value
mm_napi_readline_fast(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  uint32_t slot;
  size_t pos, at, length;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  mm_instance_t *inst = NULL;
  MM_NAPI_CALL(env, napi_get_instance_data(env, (void **)&inst));
  if (argc < 3 || napi_get_value_uint32(env, argv[0], &slot) != napi_ok)
    return mm_napi_throw_type(env, "expected a slot number");
  if (inst == NULL || slot == 0 || slot >= inst->slot_count || inst->slots[slot] == NULL ||
      inst->slots[slot]->closed || inst->slots[slot]->released)
    return mm_napi_throw_code(env, "ERR_MMAP_CLOSED", "mmap closed or invalid");
  mm_handle_t *h = inst->slots[slot];
  if (!mm_napi_size(env, argv[1], &pos) || !mm_napi_size(env, argv[2], &at)) return NULL;
  mm_error_t err;
  int rc = mm_map_readline_into(&h->map, pos, inst->slab, inst->slab_length, at, &length, &err);
  return line_answer(env, rc, length, &err);
}

// move(handle, dest, src, count): memmove within the map
static napi_value
mm_napi_move(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  size_t dest, src, count;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  mm_handle_t *h = mm_napi_handle(env, argv[0]);
  if (h == NULL || !mm_napi_size(env, argv[1], &dest) || !mm_napi_size(env, argv[2], &src) ||
      !mm_napi_size(env, argv[3], &count))
    return NULL;
  mm_error_t err;
  if (mm_map_move(&h->map, dest, src, count, &err) < 0) return mm_napi_throw(env, &err);
  return NULL;
}

// sync(handle, offset, length, flags): msync with the flags (MS_SYNC: durable on return)
static napi_value
mm_napi_sync(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  size_t offset, length;
  int32_t flags;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  mm_handle_t *h = mm_napi_handle(env, argv[0]);
  if (h == NULL || !mm_napi_size(env, argv[1], &offset) || !mm_napi_size(env, argv[2], &length) ||
      !mm_napi_int32(env, argv[3], &flags))
    return NULL;
  mm_error_t err;
  if (mm_map_sync(&h->map, offset, length, flags, &err) < 0) return mm_napi_throw(env, &err);
  return NULL;
}

typedef struct mm_flush_job_s {
  mm_handle_t *h;
  size_t offset, length;
  int flags;
  mm_error_t err;
  int rc;
  napi_deferred deferred;
  napi_async_work work;
} mm_flush_job_t;

static void
mm_flush_execute(napi_env env, void *data) {
  // Runs on the libuv thread pool. The map cannot be unmapped, moved or
  // shrunk meanwhile: close() defers the unmap and resize() refuses while
  // h->pending is non-zero, so the range checked at queue time still holds.
  mm_flush_job_t *job = data;
  job->rc = mm_map_sync(&job->h->map, job->offset, job->length, job->flags, &job->err);
}

static void
mm_flush_complete(napi_env env, napi_status status, void *data) {
  mm_flush_job_t *job = data;
  mm_handle_t *h = job->h;
  napi_value value = NULL;
  if (status == napi_ok && job->rc == 0) {
    napi_get_undefined(env, &value);
    napi_resolve_deferred(env, job->deferred, value);
  } else {
    if (status != napi_ok)
      napi_throw_error(env, "ERR_MMAP_CANCELLED", "the flush was cancelled");
    else
      mm_napi_throw(env, &job->err);
    if (napi_get_and_clear_last_exception(env, &value) == napi_ok)
      napi_reject_deferred(env, job->deferred, value);
  }
  napi_delete_async_work(env, job->work);
  mm_handle_idle(env, h);
  free(job);
}

// syncAsync(handle, offset, length, flags) -> Promise: msync on the libuv thread pool
static napi_value
mm_napi_sync_async(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], promise, name;
  size_t offset, length;
  int32_t flags;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  mm_handle_t *h = mm_napi_handle(env, argv[0]);
  if (h == NULL || !mm_napi_size(env, argv[1], &offset) || !mm_napi_size(env, argv[2], &length) ||
      !mm_napi_int32(env, argv[3], &flags))
    return NULL;
  mm_error_t err;
  if (mm_map_range(&h->map, offset, length, &err) < 0) return mm_napi_throw(env, &err);
  mm_flush_job_t *job = calloc(1, sizeof(*job));
  if (job == NULL) return mm_napi_throw_code(env, "ENOMEM", "out of memory");
  job->h = h;
  job->offset = offset;
  job->length = length;
  job->flags = flags;
  if (napi_create_string_utf8(env, "mmap-native:flush", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_async_work(env, NULL, name, mm_flush_execute, mm_flush_complete, job,
                             &job->work) != napi_ok) {
    free(job);
    mm_napi_rethrow(env);
    return NULL;
  }
  if (napi_queue_async_work(env, job->work) != napi_ok) {
    napi_delete_async_work(env, job->work);
    free(job);
    mm_napi_rethrow(env);
    return NULL;
  }
  mm_handle_busy(h);
  return promise;
}

// resize(handle, length) -> whether the memory moved (old views are then detached)
static napi_value
mm_napi_resize(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  size_t length;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  mm_handle_t *h = mm_napi_handle(env, argv[0]);
  if (h == NULL || !mm_napi_size(env, argv[1], &length)) return NULL;
  if (h->pending > 0)
    return mm_napi_throw_code(
        env, "ERR_MMAP_BUSY",
        "resize() cannot run while a flushAsync(), findAsync(), rfindAsync(), countAsync() or "
        "prefetch() is in flight; await it first");
  size_t old_length = h->map.length;
  int moved = 0;
  mm_error_t err;
  mm_handle_retire_begin(h);
  int rc = mm_map_resize(&h->map, length, &moved, &err);
  mm_handle_retire_end(h);
  // Views of memory that moved or was cut off must not reach it any more,
  // even when a failed resize had to move the map to restore it.
  if (moved || h->map.length < old_length) mm_handle_detach_views(env, h);
  if (rc < 0) return mm_napi_throw(env, &err);
  MM_NAPI_CALL(env, napi_get_boolean(env, moved || length < old_length, &result));
  return result;
}

// advise(handle, advice, start, length)
static napi_value
mm_napi_advise(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t advice;
  size_t start, length;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  mm_handle_t *h = mm_napi_handle(env, argv[0]);
  if (h == NULL || !mm_napi_int32(env, argv[1], &advice) || !mm_napi_size(env, argv[2], &start) ||
      !mm_napi_size(env, argv[3], &length))
    return NULL;
  mm_error_t err;
  if (mm_map_advise(&h->map, advice, start, length, &err) < 0) return mm_napi_throw(env, &err);
  return NULL;
}

// setName(handle, name)
static napi_value
mm_napi_set_name(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char name[256];
  size_t copied;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  mm_handle_t *h = mm_napi_handle(env, argv[0]);
  if (h == NULL) return NULL;
  if (napi_get_value_string_utf8(env, argv[1], name, sizeof(name), &copied) != napi_ok)
    return mm_napi_throw_type(env, "expected a string");
  mm_error_t err;
  if (mm_map_set_name(&h->map, name, &err) < 0) return mm_napi_throw(env, &err);
  return NULL;
}

// Makes the string of a latin1() call from the bytes in place.
typedef struct latin1_visit_s {
  napi_env env;
  napi_value result;
} latin1_visit_t;

static int
latin1_visit(void *ctx, const uint8_t *bytes, size_t length) {
  latin1_visit_t *v = ctx;
  if (napi_create_string_latin1(v->env, (const char *)bytes, length, &v->result) == napi_ok)
    return 0;
  mm_napi_rethrow(v->env);
  return -1;
}

// latin1(handle, start, end) -> string of the bytes, one character each
static napi_value
mm_napi_latin1(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  size_t start, end;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  mm_handle_t *h = mm_napi_handle(env, argv[0]);
  if (h == NULL || !mm_napi_size(env, argv[1], &start) || !mm_napi_size(env, argv[2], &end))
    return NULL;
  latin1_visit_t visit = {env, NULL};
  mm_error_t err;
  if (mm_map_visit(&h->map, start, end, latin1_visit, &visit, &err) < 0)
    return mm_napi_throw(env, &err);
  return visit.result;
}

// searchKernel(level?) -> the kernel level in use after setting level (0 auto,
// 1 scalar, 2 SSE2, 3 AVX2, 4 NEON); a level the CPU lacks is ERR_OUT_OF_RANGE. For
// tests and benchmarks, which force each kernel in turn.
static napi_value
mm_napi_search_kernel(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  napi_valuetype type = napi_undefined;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc > 0) MM_NAPI_CALL(env, napi_typeof(env, argv[0], &type));
  if (type != napi_undefined) {
    int32_t level;
    if (!mm_napi_int32(env, argv[0], &level)) return NULL;
    if (mm_search_set_kernel(level) < 0)
      return mm_napi_throw_range(env, "that search kernel is not available on this CPU");
  }
  MM_NAPI_CALL(env, napi_create_int32(env, mm_search_kernel(), &result));
  return result;
}

// Module ----------------------------------------------------------------------

static void
mm_instance_finalize(napi_env env, void *data, void *hint) {
  mm_instance_t *inst = data;
  if (inst->make_error != NULL) napi_delete_reference(env, inst->make_error);
  if (inst->slab_ref != NULL) napi_delete_reference(env, inst->slab_ref);
  // Handles still in use keep themselves once their slot is gone (a leak at
  // exit only); released ones are freed here.
  for (uint32_t i = 1; i < inst->slot_count; i++) {
    if (inst->slots[i] == NULL) continue;
    if (inst->slots[i]->released)
      free(inst->slots[i]);
    else
      inst->slots[i]->slot = 0;
  }
  free(inst->slots);
  free(inst);
}

static napi_value
mm_napi_constants(napi_env env) {
  napi_value obj, v;
  MM_NAPI_CALL(env, napi_create_object(env, &obj));
  size_t count;
  const mm_constant_t *table = mm_constants(&count);
  for (size_t i = 0; i < count; i++) {
    MM_NAPI_CALL(env, napi_create_int32(env, table[i].value, &v));
    MM_NAPI_CALL(env, napi_set_named_property(env, obj, table[i].name, v));
  }
  MM_NAPI_CALL(env, napi_create_double(env, (double)mm_page_size(), &v));
  MM_NAPI_CALL(env, napi_set_named_property(env, obj, "PAGESIZE", v));
  MM_NAPI_CALL(env, napi_create_double(env, (double)mm_granularity(), &v));
  MM_NAPI_CALL(env, napi_set_named_property(env, obj, "ALLOCATIONGRANULARITY", v));
  return obj;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  mm_instance_t *inst = calloc(1, sizeof(*inst));
  if (inst == NULL) return mm_napi_throw_code(env, "ENOMEM", "out of memory");
  if (napi_set_instance_data(env, inst, mm_instance_finalize, NULL) != napi_ok) {
    free(inst);
    mm_napi_rethrow(env);
    return NULL;
  }
  napi_property_descriptor methods[] = {
      {"init", NULL, mm_napi_init, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fileInfo", NULL, mm_napi_file_info, NULL, NULL, NULL, napi_enumerable, NULL},
      {"map", NULL, mm_napi_map, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, mm_napi_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"view", NULL, mm_napi_view, NULL, NULL, NULL, napi_enumerable, NULL},
      {"settle", NULL, mm_napi_settle, NULL, NULL, NULL, napi_enumerable, NULL},
      {"guardReinstall", NULL, mm_napi_guard_reinstall, NULL, NULL, NULL, napi_enumerable, NULL},
#ifndef _WIN32
      {"guardListeners", NULL, mm_napi_guard_listeners, NULL, NULL, NULL, napi_enumerable, NULL},
#endif
      {"fileSize", NULL, mm_napi_file_size, NULL, NULL, NULL, napi_enumerable, NULL},
      {"get", NULL, mm_napi_get, NULL, NULL, NULL, napi_enumerable, NULL},
      {"set", NULL, mm_napi_set, NULL, NULL, NULL, napi_enumerable, NULL},
      {"copy", NULL, mm_napi_copy, NULL, NULL, NULL, napi_enumerable, NULL},
      {"copyStep", NULL, mm_napi_copy_step, NULL, NULL, NULL, napi_enumerable, NULL},
      {"write", NULL, mm_napi_write, NULL, NULL, NULL, napi_enumerable, NULL},
      {"writeStep", NULL, mm_napi_write_step, NULL, NULL, NULL, napi_enumerable, NULL},
      {"find", NULL, mm_napi_find, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rfind", NULL, mm_napi_rfind, NULL, NULL, NULL, napi_enumerable, NULL},
      {"count", NULL, mm_napi_count, NULL, NULL, NULL, napi_enumerable, NULL},
      {"readline", NULL, mm_napi_readline, NULL, NULL, NULL, napi_enumerable, NULL},
      {"readlineInto", NULL, mm_napi_readline_into, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lineEnds", NULL, mm_napi_line_ends, NULL, NULL, NULL, napi_enumerable, NULL},
      {"slot", NULL, mm_napi_slot, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setSlab", NULL, mm_napi_set_slab, NULL, NULL, NULL, napi_enumerable, NULL},
      {"readlineFast", NULL, mm_napi_readline_fast, NULL, NULL, NULL, napi_enumerable, NULL},
      {"move", NULL, mm_napi_move, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sync", NULL, mm_napi_sync, NULL, NULL, NULL, napi_enumerable, NULL},
      {"syncAsync", NULL, mm_napi_sync_async, NULL, NULL, NULL, napi_enumerable, NULL},
      {"resize", NULL, mm_napi_resize, NULL, NULL, NULL, napi_enumerable, NULL},
      {"advise", NULL, mm_napi_advise, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setName", NULL, mm_napi_set_name, NULL, NULL, NULL, napi_enumerable, NULL},
      {"latin1", NULL, mm_napi_latin1, NULL, NULL, NULL, napi_enumerable, NULL},
      {"searchKernel", NULL, mm_napi_search_kernel, NULL, NULL, NULL, napi_enumerable, NULL},
      {"shmOpen", NULL, mm_napi_shm_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"shmRelease", NULL, mm_napi_shm_release, NULL, NULL, NULL, napi_enumerable, NULL},
      {"shmUnlink", NULL, mm_napi_shm_unlink, NULL, NULL, NULL, napi_enumerable, NULL},
      {"scanAsync", NULL, mm_napi_scan_async, NULL, NULL, NULL, napi_enumerable, NULL},
      {"scanTuning", NULL, mm_napi_scan_tuning, NULL, NULL, NULL, napi_enumerable, NULL},
      {"prefetch", NULL, mm_napi_prefetch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"residency", NULL, mm_napi_residency, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lock", NULL, mm_napi_lock, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unlock", NULL, mm_napi_unlock, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  MM_NAPI_CALL(env,
               napi_define_properties(env, exports, sizeof(methods) / sizeof(methods[0]), methods));
  napi_value constants = mm_napi_constants(env);
  if (constants == NULL) return NULL;
  MM_NAPI_CALL(env, napi_set_named_property(env, exports, "constants", constants));
#ifndef _WIN32
  mm_sigbus_watch(env);
#endif
  return exports;
}
