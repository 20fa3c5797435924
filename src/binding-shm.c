// binding-shm.c: the bindings of named shared memory (SharedMemory): shmOpen, shmRelease,
// shmUnlink.
#include <node_api.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "binding.h"

// A block's name, whole and without NUL bytes (malloc'ed; NULL with an
// exception pending).
static char *
shm_name(napi_env env, napi_value v) {
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
    mm_napi_throw_nomem(env, "malloc");
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
napi_value
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
  char *name = shm_name(env, argv[0]);
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
napi_value
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
napi_value
mm_napi_shm_unlink(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  MM_NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) return mm_napi_throw_type(env, "shmUnlink() takes 1 argument");
  char *name = shm_name(env, argv[0]);
  if (name == NULL) return NULL;
  mm_error_t err;
  int rc = mm_shm_unlink(name, &err);
  free(name);
  if (rc < 0) return mm_napi_throw(env, &err);
  return NULL;
}
