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
    if (tagname == NULL) return mm_napi_throw_nomem(env, "malloc");
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
    return mm_napi_throw_nomem(env, "malloc");
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
  mm_posix_guard_listeners(count < 0 ? 0 : count);
  return NULL;
}

// A libuv watcher of SIGBUS per environment that loaded the addon under Node,
// started at load (guardWatch(), from lib/signals.js) and closed when the
// environment goes. libuv resets SIGBUS to the
// default action when the last watcher of it stops (process.on('SIGBUS')
// listeners are watchers too): while ours runs, that never happens, so the
// guard, in front of libuv's handler, is never left out while the program
// adds and removes listeners. The callback does nothing: a SIGBUS reaches
// libuv only when the program listens (see guard_chain).
typedef struct {
  uv_signal_t signal;
  napi_async_cleanup_hook_handle hook;
} sigbus_watch_t;

static void
sigbus_noop(uv_signal_t *handle, int signum) {}

static void
sigbus_closed_early(uv_handle_t *handle) {
  free(handle->data);
  mm_guard_reinstall();
}

static void
sigbus_closed(uv_handle_t *handle) {
  sigbus_watch_t *w = handle->data;
  napi_async_cleanup_hook_handle hook = w->hook;
  free(w);
  // libuv may have just restored the default action (ours was the last
  // watcher): the guard goes back in front.
  mm_guard_reinstall();
  napi_remove_async_cleanup_hook(hook);
}

static void
sigbus_cleanup(napi_async_cleanup_hook_handle hook, void *arg) {
  sigbus_watch_t *w = arg;
  w->hook = hook;
  uv_close((uv_handle_t *)&w->signal, sigbus_closed);
}

// And one watcher for the whole process, on a loop of the addon's own that
// never runs and is never closed (a few descriptors for the process's life):
// the environments' watchers close when theirs go, and when the addon was
// loaded in worker threads only, the last one to go would have libuv reset
// SIGBUS to the default action while pool threads may still fault in that
// worker's maps, until the guard went back in. With this one libuv never
// resets SIGBUS once the addon is loaded. libuv's handler, reached only when
// the program listens (guard_chain), writes to this loop's pipe, which
// nobody reads; libuv ignores a full pipe.
static uv_loop_t sigbus_loop;
static uv_signal_t sigbus_forever;
static pthread_once_t sigbus_once = PTHREAD_ONCE_INIT;

static void
sigbus_forever_start(void) {
  if (uv_loop_init(&sigbus_loop) != 0) return;
  if (uv_signal_init(&sigbus_loop, &sigbus_forever) == 0)
    (void)uv_signal_start(&sigbus_forever, sigbus_noop, SIGBUS);
}

static void
sigbus_watch(napi_env env) {
  pthread_once(&sigbus_once, sigbus_forever_start);
  uv_loop_t *loop = NULL;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == NULL) return;
  sigbus_watch_t *w = calloc(1, sizeof(*w));
  if (w == NULL) return;
  if (uv_signal_init(loop, &w->signal) != 0) {
    free(w);
    return;
  }
  w->signal.data = w;
  if (uv_signal_start(&w->signal, sigbus_noop, SIGBUS) != 0 ||
      napi_add_async_cleanup_hook(env, sigbus_cleanup, w, NULL) != napi_ok) {
    uv_close((uv_handle_t *)&w->signal, sigbus_closed_early);
    return;
  }
  uv_unref((uv_handle_t *)&w->signal);
  (void)mm_posix_guard_hold();
}

// guardWatch(): starts the libuv watchers of SIGBUS above (this environment's, and the
// process's once). lib/signals.js calls it at load under Node only: Bun has
// uv_signal_init as a stub that ends the process ("unsupported uv function"), and Deno has
// no libuv at all (the symbol is missing), so there they are left out. Once per environment.
static napi_value
mm_napi_guard_watch(napi_env env, napi_callback_info info) {
  mm_instance_t *inst = NULL;
  MM_NAPI_CALL(env, napi_get_instance_data(env, (void **)&inst));
  if (inst == NULL || inst->sigbus_watched) return NULL;
  inst->sigbus_watched = true;
  sigbus_watch(env);
  return NULL;
}

// guardHold(): as the watcher does, takes the SIGBUS handler now in place (under Bun, the
// one Bun installed for lib/signals.js's own listener) as the one chained to only while
// the program listens, and puts the guard in front.
static napi_value
mm_napi_guard_hold(napi_env env, napi_callback_info info) {
  (void)mm_posix_guard_hold();
  return NULL;
}
#endif

// guardStepAside(): hands SIGBUS back to the handler the guard replaced, until
// guardReinstall() (Bun's process.kill() of its own process, see lib/signals.js).
static napi_value
mm_napi_guard_step_aside(napi_env env, napi_callback_info info) {
  mm_guard_step_aside();
  return NULL;
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

typedef struct flush_job_s {
  mm_handle_t *h;
  size_t offset, length;
  int flags;
  mm_error_t err;
  int rc;
  napi_deferred deferred;
  napi_async_work work;
} flush_job_t;

static void
flush_execute(napi_env env, void *data) {
  // Runs on the libuv thread pool. The map cannot be unmapped, moved or
  // shrunk meanwhile: close() defers the unmap and resize() refuses while
  // h->pending is non-zero, so the range checked at queue time still holds.
  flush_job_t *job = data;
  job->rc = mm_map_sync(&job->h->map, job->offset, job->length, job->flags, &job->err);
}

static void
flush_complete(napi_env env, napi_status status, void *data) {
  flush_job_t *job = data;
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
  flush_job_t *job = calloc(1, sizeof(*job));
  if (job == NULL) return mm_napi_throw_nomem(env, "malloc");
  job->h = h;
  job->offset = offset;
  job->length = length;
  job->flags = flags;
  if (napi_create_string_utf8(env, "mmap-native:flush", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_async_work(env, NULL, name, flush_execute, flush_complete, job, &job->work) !=
          napi_ok) {
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
instance_finalize(napi_env env, void *data, void *hint) {
  mm_instance_t *inst = data;
  if (inst->make_error != NULL) napi_delete_reference(env, inst->make_error);
  if (inst->slab_ref != NULL) napi_delete_reference(env, inst->slab_ref);
  if (inst->io_ref != NULL) napi_delete_reference(env, inst->io_ref);
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
constants_object(napi_env env) {
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

// { mapFlags, syncFlags, tagname, extendsFile }: what the platform can do (see mm_features).
static napi_value
features_object(napi_env env) {
  static const struct {
    const char *name;
    unsigned bit;
  } table[] = {{"mapFlags", MM_FEATURE_MAP_FLAGS},
               {"syncFlags", MM_FEATURE_SYNC_FLAGS},
               {"tagname", MM_FEATURE_TAGNAME},
               {"extendsFile", MM_FEATURE_EXTENDS_FILE}};
  napi_value obj, v;
  unsigned features = mm_features();
  MM_NAPI_CALL(env, napi_create_object(env, &obj));
  for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
    MM_NAPI_CALL(env, napi_get_boolean(env, (features & table[i].bit) != 0, &v));
    MM_NAPI_CALL(env, napi_set_named_property(env, obj, table[i].name, v));
  }
  return obj;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  mm_instance_t *inst = calloc(1, sizeof(*inst));
  if (inst == NULL) return mm_napi_throw_nomem(env, "malloc");
  if (napi_set_instance_data(env, inst, instance_finalize, NULL) != napi_ok) {
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
      {"guardWatch", NULL, mm_napi_guard_watch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"guardHold", NULL, mm_napi_guard_hold, NULL, NULL, NULL, napi_enumerable, NULL},
#endif
      {"guardStepAside", NULL, mm_napi_guard_step_aside, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fileSize", NULL, mm_napi_file_size, NULL, NULL, NULL, napi_enumerable, NULL},
      {"get", NULL, mm_napi_get, NULL, NULL, NULL, napi_enumerable, NULL},
      {"set", NULL, mm_napi_set, NULL, NULL, NULL, napi_enumerable, NULL},
      {"copy", NULL, mm_napi_copy, NULL, NULL, NULL, napi_enumerable, NULL},
      {"bigArrayBuffer", NULL, mm_napi_big_array_buffer, NULL, NULL, NULL, napi_enumerable, NULL},
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
      {"readlineNext", NULL, mm_napi_readline_next, NULL, NULL, NULL, napi_enumerable, NULL},
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
  napi_value constants = constants_object(env);
  if (constants == NULL) return NULL;
  napi_value features = features_object(env);
  if (features == NULL) return NULL;
  MM_NAPI_CALL(env, napi_set_named_property(env, exports, "features", features));
  MM_NAPI_CALL(env, napi_set_named_property(env, exports, "constants", constants));
  return exports;
}
