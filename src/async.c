// async.c: Node-API glue for work on the libuv thread pool (findAsync, rfindAsync, countAsync:
// one work item per thread, each taking chunks of the range; prefetch), and its synchronous
// companions residency, lock and unlock.
#include <stdlib.h>
#include <string.h>

#include "binding.h"
#include "scan.h"

// Fewest match starts worth a thread of its own, and how many match starts a
// chunk holds (abort and close are checked between chunks). Tests make them
// tiny (scanTuning) to put chunk ends everywhere.
static size_t async_min_part = 256 * 1024;
static size_t async_chunk = 1024 * 1024;
// prefetch() brings in this many bytes between two checks of the stop flags,
// with the reads of this many more already started.
#define MM_PREFETCH_CHUNK ((size_t)8 << 20)
#define MM_PREFETCH_AHEAD ((size_t)32 << 20)

// The fault guard's bracket, on the thread that touches the map --------------
//
// The only calls to the guard in this file: every touch of the map from a
// pool thread runs between async_enter and async_leave on that thread.
// A file truncated under the work makes the touch of a lost page fault; the
// guard absorbs it and async_leave reports MM_ETRUNCATED (or the OS's
// reason), and the answer computed meanwhile is thrown away.

typedef struct mm_bracket_s {
  mm_call_t call;
} mm_bracket_t;

static int
async_enter(mm_map_t *m, size_t start, size_t length, mm_bracket_t *b, mm_error_t *err) {
  return mm_map_enter(m, start, length, &b->call, err);
}

static int
async_leave(mm_map_t *m, mm_bracket_t *b, mm_error_t *err) {
  return mm_map_leave(m, &b->call, err);
}

// Jobs -------------------------------------------------------------------------

enum { MM_JOB_PREFETCH = 3 }; // after MM_SCAN_FIND, MM_SCAN_RFIND, MM_SCAN_COUNT

struct mm_job_s;

// One work item: a worker of a scan, or a whole prefetch.
typedef struct mm_work_s {
  struct mm_job_s *job;
  size_t index;
  napi_async_work work;
  int rc;
  mm_error_t err;
} mm_work_t;

typedef struct mm_job_s {
  mm_handle_t *h;
  int kind;             // MM_SCAN_* or MM_JOB_PREFETCH
  size_t start, length; // the range of the map
  mm_scan_t scan;
  uint8_t *needle; // a copy: the caller's may change or go away meanwhile
  napi_ref abort_ref;
  napi_deferred deferred;
  mm_work_t *works;
  size_t work_count;       // work items queued
  size_t settled;          // main thread: completions seen
  volatile size_t running; // work items whose execute has not ended
  int cancelled;           // main thread: a work item never ran
  // Written by the thread whose execute ends last, read once all have settled.
  int merge_rc;
  mm_error_t merge_err;
  int stopped;
  int64_t found;
  uint64_t count;
} mm_job_t;

static void
job_free(napi_env env, mm_job_t *job) {
  if (job->abort_ref != NULL) napi_delete_reference(env, job->abort_ref);
  mm_scan_free(&job->scan);
  free(job->scan.parts);
  free(job->works);
  free(job->needle);
  free(job);
}

// On the thread whose work item ends last: merges what the workers found
// (count walks the seams again, inside the guard's bracket over the range).
static void
job_merge(mm_job_t *job) {
  for (size_t i = 0; i < job->work_count; i++)
    if (job->works[i].rc != 0) return;
  mm_map_t *m = &job->h->map;
  mm_bracket_t b;
  if (job->kind == MM_SCAN_COUNT && job->scan.chunk_count > 1) {
    job->merge_rc = async_enter(m, job->start, job->length, &b, &job->merge_err);
    if (job->merge_rc != 0) return;
    job->stopped = mm_scan_merge(&job->scan, &job->found, &job->count);
    job->merge_rc = async_leave(m, &b, &job->merge_err);
  } else {
    job->stopped = mm_scan_merge(&job->scan, &job->found, &job->count);
  }
}

static void
work_execute(napi_env env, void *data) {
  mm_work_t *w = data;
  mm_job_t *job = w->job;
  mm_map_t *m = &job->h->map;
  mm_bracket_t b;
  if (job->kind == MM_JOB_PREFETCH) {
    w->rc = async_enter(m, job->start, job->length, &b, &w->err);
    // The reads run MM_PREFETCH_AHEAD bytes ahead of the chunk waited for.
    size_t hinted = job->length > MM_PREFETCH_AHEAD ? MM_PREFETCH_AHEAD : job->length;
    if (w->rc == 0) mm_map_prefetch_hint(m, job->start, hinted);
    for (size_t at = 0; w->rc == 0 && at < job->length;) {
      if (mm_scan_stopping(&job->scan)) {
        job->stopped = 1;
        break;
      }
      size_t step = job->length - at > MM_PREFETCH_CHUNK ? MM_PREFETCH_CHUNK : job->length - at;
      if (hinted < job->length) {
        size_t more = job->length - hinted > step ? step : job->length - hinted;
        mm_map_prefetch_hint(m, job->start + hinted, more);
        hinted += more;
      }
      w->rc = mm_map_prefetch(m, job->start + at, step, &w->err);
      at += step;
    }
    if (w->rc == 0) w->rc = async_leave(m, &b, &w->err);
  } else {
    // A worker may take any chunk of the range.
    w->rc = async_enter(m, job->start, job->length, &b, &w->err);
    if (w->rc == 0) {
      (void)mm_scan_part(&job->scan, w->index);
      w->rc = async_leave(m, &b, &w->err);
    }
  }
  if (mm_count_down(&job->running) == 0 && job->kind != MM_JOB_PREFETCH) job_merge(job);
}

// The error a job rejects with: a truncation anywhere wins over what other
// workers saw (with a guard that counts faults per map, a worker may see the
// fault of another worker and call it EIO), then the first error.
static const mm_error_t *
job_error(const mm_job_t *job) {
  const mm_error_t *first = NULL;
  for (size_t i = 0; i < job->work_count; i++) {
    const mm_work_t *w = &job->works[i];
    if (w->rc == 0) continue;
    if (w->err.code == MM_ETRUNCATED) return &w->err;
    if (first == NULL) first = &w->err;
  }
  if (first == NULL && job->merge_rc != 0) first = &job->merge_err;
  return first;
}

static void
work_complete(napi_env env, napi_status status, void *data) {
  mm_work_t *w = data;
  mm_job_t *job = w->job;
  if (status != napi_ok) job->cancelled = 1;
  napi_delete_async_work(env, w->work);
  w->work = NULL;
  if (++job->settled < job->work_count) return;

  // Every work item has ended: the map may be unmapped (after close()) or
  // resized from here on.
  mm_handle_t *h = job->h;
  int closed = h->closed;
  mm_handle_idle(env, h);
  napi_value value = NULL;
  const mm_error_t *err = job_error(job);
  if (job->cancelled) {
    napi_throw_error(env, "ERR_MMAP_CANCELLED", "the work was cancelled");
  } else if (closed) {
    napi_throw_error(env, "ERR_MMAP_CLOSED", "mmap closed while the work was in flight");
  } else if (mm_flag_get(job->scan.abort)) {
    napi_throw_error(env, "ABORT_ERR", "The operation was aborted");
  } else if (err != NULL) {
    mm_napi_throw(env, err);
  } else if (job->kind == MM_JOB_PREFETCH) {
    napi_get_undefined(env, &value);
  } else if (job->kind == MM_SCAN_COUNT) {
    napi_create_double(env, (double)job->count, &value);
  } else {
    double at = job->found < 0 ? -1.0 : (double)((uint64_t)job->found + job->start);
    napi_create_double(env, at, &value);
  }
  if (value != NULL) {
    napi_resolve_deferred(env, job->deferred, value);
  } else {
    if (napi_get_and_clear_last_exception(env, &value) == napi_ok)
      napi_reject_deferred(env, job->deferred, value);
  }
  job_free(env, job);
}

// The stop flag JavaScript sets on abort: an Int32Array over a
// SharedArrayBuffer (or undefined). The job keeps a reference to it.
static bool
abort_flag(napi_env env, napi_value v, mm_job_t *job) {
  napi_valuetype type;
  if (napi_typeof(env, v, &type) != napi_ok) return false;
  if (type == napi_undefined) return true;
  bool is_typedarray = false;
  napi_typedarray_type kind;
  size_t elements = 0;
  void *p = NULL;
  if (napi_is_typedarray(env, v, &is_typedarray) != napi_ok || !is_typedarray ||
      napi_get_typedarray_info(env, v, &kind, &elements, &p, NULL, NULL) != napi_ok ||
      kind != napi_int32_array || elements < 1 || p == NULL) {
    mm_napi_throw_type(env, "expected an Int32Array stop flag");
    return false;
  }
  if (napi_create_reference(env, v, 1, &job->abort_ref) != napi_ok) {
    mm_napi_rethrow(env);
    return false;
  }
  job->scan.abort = p;
  return true;
}

// Queues one work item per worker; returns the promise, or NULL (thrown) with
// the job freed.
static napi_value
job_queue(napi_env env, mm_job_t *job, size_t count) {
  napi_value promise, name;
  job->works = calloc(count, sizeof(*job->works));
  if (job->works == NULL) {
    job_free(env, job);
    return mm_napi_throw_nomem(env, "malloc");
  }
  const char *label = job->kind == MM_JOB_PREFETCH ? "mmap-native:prefetch" : "mmap-native:scan";
  if (napi_create_string_utf8(env, label, NAPI_AUTO_LENGTH, &name) != napi_ok) goto fail;
  for (size_t i = 0; i < count; i++) {
    job->works[i].job = job;
    job->works[i].index = i;
    if (napi_create_async_work(env, NULL, name, work_execute, work_complete, &job->works[i],
                               &job->works[i].work) != napi_ok)
      goto fail;
  }
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok) goto fail;
  job->work_count = count;
  job->running = count;
  mm_handle_busy(job->h);
  for (size_t i = 0; i < count; i++) {
    if (napi_queue_async_work(env, job->works[i].work) == napi_ok) continue;
    // Never seen in practice (only bad arguments fail it). Nothing queued:
    // undo. Otherwise the items not queued count as settled and the job
    // rejects as cancelled once the queued ones have.
    if (i == 0) {
      for (size_t j = 0; j < count; j++)
        napi_delete_async_work(env, job->works[j].work);
      mm_handle_idle(env, job->h);
      job_free(env, job);
      mm_napi_rethrow(env);
      return NULL;
    }
    job->cancelled = 1;
    for (size_t j = i; j < count; j++) {
      napi_delete_async_work(env, job->works[j].work);
      job->works[j].work = NULL;
      job->settled++;
      (void)mm_count_down(&job->running);
    }
    break;
  }
  return promise;
fail:
  for (size_t i = 0; i < count; i++)
    if (job->works[i].work != NULL) napi_delete_async_work(env, job->works[i].work);
  job_free(env, job);
  mm_napi_rethrow(env);
  return NULL;
}

// scanAsync(handle, kind, needle, start, end, threads, abortFlag?) -> Promise of
// find (kind 0), rfind (1) or count (2) over [start, end), as the sync bindings.
napi_value
mm_napi_scan_async(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  uint32_t kind, threads;
  size_t start, end, k;
  const uint8_t *needle;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    mm_napi_rethrow(env);
    return NULL;
  }
  if (argc < 6) return mm_napi_throw_type(env, "scanAsync() takes 6 or 7 arguments");
  mm_handle_t *h = mm_napi_handle(env, argv[0]);
  if (h == NULL || !mm_napi_uint32(env, argv[1], &kind) ||
      !mm_napi_bytes(env, argv[2], &needle, &k) || !mm_napi_size(env, argv[3], &start) ||
      !mm_napi_size(env, argv[4], &end) || !mm_napi_uint32(env, argv[5], &threads))
    return NULL;
  if (kind > MM_SCAN_COUNT) return mm_napi_throw_range(env, "unknown scan");
  if (end > h->map.length || start > end) return mm_napi_throw_range(env, "range outside the map");
  if (threads < 1 || threads > 1024) return mm_napi_throw_range(env, "threads out of range");
  mm_job_t *job = calloc(1, sizeof(*job));
  if (job == NULL) return mm_napi_throw_nomem(env, "malloc");
  job->h = h;
  job->kind = (int)kind;
  job->start = start;
  job->length = end - start;
  job->needle = malloc(k > 0 ? k : 1);
  job->scan.parts = calloc(threads, sizeof(*job->scan.parts));
  if (job->needle == NULL || job->scan.parts == NULL) {
    job_free(env, job);
    return mm_napi_throw_nomem(env, "malloc");
  }
  if (k > 0) memcpy(job->needle, needle, k);
  if (argc > 6 && !abort_flag(env, argv[6], job)) {
    job_free(env, job);
    return NULL;
  }
  job->scan.kind = (int)kind;
  job->scan.hay = h->map.data + start;
  job->scan.n = end - start;
  job->scan.needle = job->needle;
  job->scan.k = k;
  job->scan.chunk = async_chunk;
  job->scan.closed = &h->closed;
  if (mm_scan_plan(&job->scan, threads, async_min_part) < 0) {
    job_free(env, job);
    return mm_napi_throw_nomem(env, "malloc");
  }
  return job_queue(env, job, job->scan.part_count);
}

// prefetch(handle, start, length, abortFlag?) -> Promise, resolved once the
// range is in memory.
napi_value
mm_napi_prefetch(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  size_t start, length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    mm_napi_rethrow(env);
    return NULL;
  }
  if (argc < 3) return mm_napi_throw_type(env, "prefetch() takes 3 or 4 arguments");
  mm_handle_t *h = mm_napi_handle(env, argv[0]);
  if (h == NULL || !mm_napi_size(env, argv[1], &start) || !mm_napi_size(env, argv[2], &length))
    return NULL;
  if (!mm_range_ok(start, length, h->map.length))
    return mm_napi_throw_range(env, "range outside the map");
  mm_job_t *job = calloc(1, sizeof(*job));
  if (job == NULL) return mm_napi_throw_nomem(env, "malloc");
  job->h = h;
  job->kind = MM_JOB_PREFETCH;
  job->start = start;
  job->length = length;
  job->scan.closed = &h->closed;
  if (argc > 3 && !abort_flag(env, argv[3], job)) {
    job_free(env, job);
    return NULL;
  }
  return job_queue(env, job, 1);
}

// scanTuning(minPart?, chunk?) -> [minPart, chunk]: for tests, which put
// split points and chunk ends everywhere.
napi_value
mm_napi_scan_tuning(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result, v;
  size_t min_part, chunk;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    mm_napi_rethrow(env);
    return NULL;
  }
  if (argc >= 2) {
    if (!mm_napi_size(env, argv[0], &min_part) || !mm_napi_size(env, argv[1], &chunk)) return NULL;
    if (min_part < 1 || chunk < 1) return mm_napi_throw_range(env, "expected positive sizes");
    async_min_part = min_part;
    async_chunk = chunk;
  }
  if (napi_create_array_with_length(env, 2, &result) != napi_ok ||
      napi_create_double(env, (double)async_min_part, &v) != napi_ok ||
      napi_set_element(env, result, 0, v) != napi_ok ||
      napi_create_double(env, (double)async_chunk, &v) != napi_ok ||
      napi_set_element(env, result, 1, v) != napi_ok) {
    mm_napi_rethrow(env);
    return NULL;
  }
  return result;
}

// Residency, lock, unlock (synchronous; the core checks each range) -------------

// residency(handle, start, length) -> { resident, total } in bytes of whole pages
napi_value
mm_napi_residency(napi_env env, napi_callback_info info) {
  size_t start, length;
  mm_handle_t *h = mm_napi_handle_sizes(env, info, &start, &length);
  if (h == NULL) return NULL;
  uint64_t resident, total;
  mm_error_t err;
  if (mm_map_residency(&h->map, start, length, &resident, &total, &err) < 0)
    return mm_napi_throw(env, &err);
  napi_value result, v;
  if (napi_create_object(env, &result) != napi_ok ||
      napi_create_double(env, (double)resident, &v) != napi_ok ||
      napi_set_named_property(env, result, "resident", v) != napi_ok ||
      napi_create_double(env, (double)total, &v) != napi_ok ||
      napi_set_named_property(env, result, "total", v) != napi_ok) {
    mm_napi_rethrow(env);
    return NULL;
  }
  return result;
}

// lock(handle, start, length)
napi_value
mm_napi_lock(napi_env env, napi_callback_info info) {
  size_t start, length;
  mm_handle_t *h = mm_napi_handle_sizes(env, info, &start, &length);
  if (h == NULL) return NULL;
  mm_error_t err;
  if (mm_map_lock(&h->map, start, length, &err) < 0) return mm_napi_throw(env, &err);
  return NULL;
}

// unlock(handle, start, length)
napi_value
mm_napi_unlock(napi_env env, napi_callback_info info) {
  size_t start, length;
  mm_handle_t *h = mm_napi_handle_sizes(env, info, &start, &length);
  if (h == NULL) return NULL;
  mm_error_t err;
  if (mm_map_unlock(&h->map, start, length, &err) < 0) return mm_napi_throw(env, &err);
  return NULL;
}
