// binding-bytes.c: the bindings of the byte operations (get/set, copy and write with or without
// a step, move, find/rfind/count, readline and its fast path, line ends, latin1): each unpacks its
// arguments, makes one call to the core (bytes.c) and throws what it reports.
#include <node_api.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "binding.h"

// Copies of at least this many bytes go to a block of their own (see
// buffer_sink).
#define MM_BIG_COPY ((size_t)8 << 20)

// get(handle, index) -> byte
napi_value
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
napi_value
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
  if (length >= MM_BIG_COPY) sink->buf = mm_napi_big_buffer(sink->env, length, lead, &dst);
  if (sink->buf == NULL) sink->buf = new_buffer(sink->env, length, &dst);
  // A Buffer of length 0 may have no memory; the core copies nothing then.
  if (sink->buf != NULL && dst == NULL) dst = (uint8_t *)sink;
  return sink->buf == NULL ? NULL : dst;
}

// copy(handle, start, length) -> Buffer holding a copy of [start, start + length)
napi_value
mm_napi_copy(napi_env env, napi_callback_info info) {
  size_t start, length;
  mm_handle_t *h = mm_napi_handle_sizes(env, info, &start, &length);
  if (h == NULL) return NULL;
  buffer_sink_t sink = {env, NULL};
  mm_error_t err;
  if (mm_map_copy(&h->map, start, length, buffer_sink, &sink, &err) < 0)
    return mm_napi_throw(env, &err);
  return sink.buf;
}

// copyStep(handle, start, step, count) -> Buffer of data[start + i * step]
napi_value
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
napi_value
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
napi_value
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

napi_value
mm_napi_find(napi_env env, napi_callback_info info) {
  return search(env, info, SEARCH_FIND);
}

napi_value
mm_napi_rfind(napi_env env, napi_callback_info info) {
  return search(env, info, SEARCH_RFIND);
}

napi_value
mm_napi_count(napi_env env, napi_callback_info info) {
  return search(env, info, SEARCH_COUNT);
}

// readline(handle, position) -> Buffer up to and including the next '\n'
napi_value
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
napi_value
mm_napi_readline_into(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  size_t pos, at, length, room;
  void *slab;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) return mm_napi_throw_type(env, "readlineInto() takes 4 arguments");
  mm_handle_t *h = mm_napi_handle(env, argv[0]);
  if (h == NULL || !mm_napi_size(env, argv[1], &pos) ||
      !mm_napi_typed(env, argv[2], napi_uint8_array, &slab, &room) ||
      !mm_napi_size(env, argv[3], &at))
    return NULL;
  mm_error_t err;
  int rc = mm_map_readline_into(&h->map, pos, slab, room, at, &length, &err);
  return line_answer(env, rc, length, &err);
}

// lineEnds(handle, start, end, out, at) -> how many offsets it wrote to
// out[at...] (a Float64Array): the offset just past each '\n' in [start,
// end), in order, until out is full (the last one written is then where the
// next call resumes).
napi_value
mm_napi_line_ends(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], result;
  size_t start, end, at, room, count;
  void *out;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) return mm_napi_throw_type(env, "lineEnds() takes 5 arguments");
  mm_handle_t *h = mm_napi_handle(env, argv[0]);
  if (h == NULL || !mm_napi_size(env, argv[1], &start) || !mm_napi_size(env, argv[2], &end) ||
      !mm_napi_typed(env, argv[3], napi_float64_array, &out, &room) ||
      !mm_napi_size(env, argv[4], &at))
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
napi_value
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
      if (slots == NULL) return mm_napi_throw_nomem(env, "malloc");
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

// setSlab(bytes, io?): the Uint8Array readlineFast() copies lines into;
// io, a Float64Array of 4, is where readlineNext() takes its arguments.
napi_value
mm_napi_set_slab(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  void *data, *io = NULL;
  size_t length, io_length = 0;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !mm_napi_typed(env, argv[0], napi_uint8_array, &data, &length)) return NULL;
  napi_valuetype io_type = napi_undefined;
  if (argc >= 2) MM_NAPI_CALL(env, napi_typeof(env, argv[1], &io_type));
  if (io_type != napi_undefined &&
      !mm_napi_typed(env, argv[1], napi_float64_array, &io, &io_length))
    return NULL;
  if (io_type != napi_undefined && io_length < 4)
    return mm_napi_throw_range(env, "the call block needs 4 elements");
  mm_instance_t *inst = NULL;
  MM_NAPI_CALL(env, napi_get_instance_data(env, (void **)&inst));
  if (inst == NULL) return mm_napi_throw_code(env, "ERR_MMAP_INTERNAL", "no instance data");
  napi_ref ref, io_ref = NULL;
  MM_NAPI_CALL(env, napi_create_reference(env, argv[0], 1, &ref));
  if (io != NULL && napi_create_reference(env, argv[1], 1, &io_ref) != napi_ok) {
    napi_delete_reference(env, ref);
    mm_napi_rethrow(env);
    return NULL;
  }
  if (io != NULL) {
    // The reference keeps the array, so its memory, alive (a typed array's
    // memory never moves once its address was taken).
    if (inst->io_ref != NULL) napi_delete_reference(env, inst->io_ref);
    inst->io_ref = io_ref;
    inst->io = io;
  }
  if (inst->slab_ref != NULL) napi_delete_reference(env, inst->slab_ref);
  inst->slab_ref = ref;
  inst->slab = data;
  inst->slab_length = length;
  return NULL;
}

// The handle in a live slot, or NULL.
static mm_handle_t *
slot_handle(const mm_instance_t *inst, uint32_t slot) {
  if (inst == NULL || slot == 0 || slot >= inst->slot_count || inst->slots[slot] == NULL ||
      inst->slots[slot]->closed || inst->slots[slot]->released)
    return NULL;
  return inst->slots[slot];
}

// readlineFast(slot, position, at) -> as readlineInto(), into the slab
// setSlab() gave.
napi_value
mm_napi_readline_fast(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  uint32_t slot;
  size_t pos, at, length;
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  mm_instance_t *inst = NULL;
  MM_NAPI_CALL(env, napi_get_instance_data(env, (void **)&inst));
  if (argc < 3 || !mm_napi_is_number(env, argv[0]) ||
      napi_get_value_uint32(env, argv[0], &slot) != napi_ok)
    return mm_napi_throw_type(env, "expected a slot number");
  mm_handle_t *h = slot_handle(inst, slot);
  if (h == NULL) return mm_napi_throw_code(env, "ERR_MMAP_CLOSED", "mmap closed or invalid");
  if (!mm_napi_size(env, argv[1], &pos) || !mm_napi_size(env, argv[2], &at)) return NULL;
  mm_error_t err;
  int rc = mm_map_readline_into(&h->map, pos, inst->slab, inst->slab_length, at, &length, &err);
  return line_answer(env, rc, length, &err);
}

// Whether x is an integer from 0 to 2^53 - 1 that fits a size_t (NaN fails
// every comparison).
static int
io_size(double x) {
  return x >= 0 && x <= 9007199254740991.0 && x == (double)(uint64_t)x &&
         (uint64_t)x <= (uint64_t)SIZE_MAX;
}

// readlineNext() -> undefined: readlineFast(io[0], io[1], io[2]) with its
// arguments and its result (io[3]) in setSlab()'s io, so that the call
// converts no value: a readline() loop is mostly call overhead.
napi_value
mm_napi_readline_next(napi_env env, napi_callback_info info) {
  (void)info;
  mm_instance_t *inst = NULL;
  MM_NAPI_CALL(env, napi_get_instance_data(env, (void **)&inst));
  if (inst == NULL || inst->io == NULL)
    return mm_napi_throw_code(env, "ERR_MMAP_INTERNAL", "no call block");
  double *io = inst->io;
  double slot = io[0], pos = io[1], at = io[2];
  io[3] = 0;
  mm_handle_t *h = slot >= 1 && slot < (double)UINT32_MAX && slot == (double)(uint32_t)slot
                       ? slot_handle(inst, (uint32_t)slot)
                       : NULL;
  if (h == NULL) return mm_napi_throw_code(env, "ERR_MMAP_CLOSED", "mmap closed or invalid");
  if (!io_size(pos) || !io_size(at))
    return mm_napi_throw_range(env, "expected a non-negative integer");
  size_t length;
  mm_error_t err;
  int rc = mm_map_readline_into(&h->map, (size_t)pos, inst->slab, inst->slab_length, (size_t)at,
                                &length, &err);
  if (rc < 0) return mm_napi_throw(env, &err);
  io[3] = rc == 1 || length == 0 ? (double)length : -(double)length;
  return NULL;
}

// move(handle, dest, src, count): memmove within the map
napi_value
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
napi_value
mm_napi_latin1(napi_env env, napi_callback_info info) {
  size_t start, end;
  mm_handle_t *h = mm_napi_handle_sizes(env, info, &start, &end);
  if (h == NULL) return NULL;
  latin1_visit_t visit = {env, NULL};
  mm_error_t err;
  if (mm_map_visit(&h->map, start, end, latin1_visit, &visit, &err) < 0)
    return mm_napi_throw(env, &err);
  return visit.result;
}
