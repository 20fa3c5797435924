// napi.c: the Node-API side's helpers: throwing (the module's codes, OS errors in node:fs's
// shape), unpacking arguments, and finding the handle behind a value.
#include <node_api.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "binding.h"

const napi_type_tag mm_handle_tag = {0x6d6d61702d6e6174ULL, 0x6976652d68616e64ULL};

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

// Out of memory where the JS factory cannot help (before init(), or calling
// it failed): the same shape as systemError() in lib/errors.js, built here.
static bool
throw_nomem(napi_env env, const char *syscall) {
  char text[96];
  napi_value msg, code, errno_value, call, error;
  snprintf(text, sizeof(text), "ENOMEM: not enough memory, %s", syscall);
  if (napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg) != napi_ok ||
      napi_create_string_utf8(env, "ENOMEM", NAPI_AUTO_LENGTH, &code) != napi_ok ||
      napi_create_error(env, NULL, msg, &error) != napi_ok ||
      napi_create_int32(env, MM_ENOMEM, &errno_value) != napi_ok ||
      napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &call) != napi_ok ||
      napi_set_named_property(env, error, "errno", errno_value) != napi_ok ||
      napi_set_named_property(env, error, "code", code) != napi_ok ||
      napi_set_named_property(env, error, "syscall", call) != napi_ok)
    return false;
  return napi_throw(env, error) == napi_ok;
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
  bool pending = false;
  if (err->code == MM_ENOMEM && napi_is_exception_pending(env, &pending) == napi_ok && !pending &&
      throw_nomem(env, err->syscall))
    return NULL;
  mm_napi_rethrow(env);
  return NULL;
}

napi_value
mm_napi_throw_nomem(napi_env env, const char *syscall) {
  mm_error_t err = {MM_ENOMEM, syscall};
  return mm_napi_throw(env, &err);
}

// Arguments -----------------------------------------------------------------

bool
mm_napi_is_number(napi_env env, napi_value v) {
  napi_valuetype type;
  return napi_typeof(env, v, &type) == napi_ok && type == napi_number;
}

// A non-negative integer that fits in size_t. The JS layer has validated and
// normalised every argument; these checks keep memory safety independent of it.
// Where size_t has 32 bits, a length or index past 4 GiB - 1 cannot be held,
// let alone mapped: it is refused, never cut to its low 32 bits.
bool
mm_napi_size(napi_env env, napi_value v, size_t *out) {
  int64_t n;
  if (!mm_napi_is_number(env, v) || napi_get_value_int64(env, v, &n) != napi_ok) {
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

bool
mm_napi_int64(napi_env env, napi_value v, int64_t *out) {
  if (!mm_napi_is_number(env, v) || napi_get_value_int64(env, v, out) != napi_ok) {
    mm_napi_throw_type(env, "expected a number");
    return false;
  }
  return true;
}

bool
mm_napi_int32(napi_env env, napi_value v, int32_t *out) {
  if (!mm_napi_is_number(env, v) || napi_get_value_int32(env, v, out) != napi_ok) {
    mm_napi_throw_type(env, "expected a number");
    return false;
  }
  return true;
}

bool
mm_napi_uint32(napi_env env, napi_value v, uint32_t *out) {
  if (!mm_napi_is_number(env, v) || napi_get_value_uint32(env, v, out) != napi_ok) {
    mm_napi_throw_type(env, "expected a number");
    return false;
  }
  return true;
}

mm_handle_t *
mm_napi_handle_sizes(napi_env env, napi_callback_info info, size_t *a, size_t *b) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    mm_napi_rethrow(env);
    return NULL;
  }
  mm_handle_t *h = mm_napi_handle(env, argv[0]);
  if (h == NULL || !mm_napi_size(env, argv[1], a) || !mm_napi_size(env, argv[2], b)) return NULL;
  return h;
}

// The bytes of a TypedArray (any element type) or DataView argument.
bool
mm_napi_bytes(napi_env env, napi_value v, const uint8_t **data, size_t *length) {
  bool is_typedarray = false, is_dataview = false;
  void *p = NULL;
  size_t n = 0;
  if (napi_is_typedarray(env, v, &is_typedarray) != napi_ok) {
    mm_napi_rethrow(env);
    return false;
  }
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
mm_handle_t *
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

// The longest external buffer this Node makes; 0 when unknown (then the
// conservative 4 GiB of Node 20, or all of a 32-bit address space).
size_t
mm_napi_max_buffer(napi_env env) {
  mm_instance_t *inst = NULL;
  if (napi_get_instance_data(env, (void **)&inst) == napi_ok && inst != NULL &&
      inst->max_buffer > 0)
    return inst->max_buffer;
  return SIZE_MAX > UINT32_MAX ? (size_t)UINT32_MAX + 1 : SIZE_MAX;
}

// Bindings ------------------------------------------------------------------

// The memory of a Uint8Array or Float64Array argument (per want); throws
// (false) for anything else.
bool
mm_napi_typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *count) {
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
