'use strict'
// async.js: what the methods that run on the libuv thread pool share: their options, the stop
// flag an AbortSignal sets, and Node's AbortError.
const os = require('os')
const errors = require('./errors')
const args = require('./args')

// libuv's own ceiling for UV_THREADPOOL_SIZE.
const MAX_THREADS = 1024

// The threads a scan uses unless told: as many as the pool has (libuv reads
// UV_THREADPOOL_SIZE once, default 4) and the machine can run at once.
function defaultThreads () {
  const pool = Number.parseInt(process.env.UV_THREADPOOL_SIZE, 10)
  const size = Number.isInteger(pool) && pool > 0 ? Math.min(pool, MAX_THREADS) : 4
  const cpus = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length
  return Math.max(1, Math.min(size, cpus))
}
const DEFAULT_THREADS = defaultThreads()

// Node's AbortError (not exported by Node): the same name, code, message and cause.
class AbortError extends Error {
  constructor (message = 'The operation was aborted', options = undefined) {
    super(message, options)
    this.code = 'ABORT_ERR'
    this.name = 'AbortError'
  }
}

function abortError (signal) {
  return new AbortError(undefined, { cause: signal.reason })
}

// { signal, threads } (threads only where allowThreads), checked as Node checks them.
function options (name, value, allowThreads) {
  const opts = args.optionsObject(name, value)
  const signal = opts.signal
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || !('aborted' in signal))) {
    throw errors.invalidArgType(`${name}.signal`, 'an instance of AbortSignal', signal)
  }
  let threads = DEFAULT_THREADS
  if (allowThreads && opts.threads !== undefined) threads = args.toInteger(`${name}.threads`, opts.threads)
  return { signal, threads }
}

// The range of threads (a value: checked after the closed state, as Python orders its checks).
function checkThreads (name, threads) {
  if (threads < 1 || threads > MAX_THREADS) throw errors.outOfRange(`${name}.threads`, `>= 1 and <= ${MAX_THREADS}`, threads)
}

// Runs start(flag), which queues native work and returns its promise; flag
// is an Int32Array the native side reads between chunks (undefined without a
// signal). An abort sets it: the work stops at its next chunk, and the
// promise rejects with an AbortError once the work has settled (so the map
// can be closed or resized right after). An abort after it settled changes
// nothing.
function run (signal, start) {
  if (signal === undefined) return start(undefined)
  if (signal.aborted) return Promise.reject(abortError(signal))
  const flag = new Int32Array(new SharedArrayBuffer(4))
  const promise = start(flag)
  let aborted = false
  const onAbort = () => {
    aborted = true
    Atomics.store(flag, 0, 1)
  }
  signal.addEventListener('abort', onAbort, { once: true })
  return promise.then((value) => {
    signal.removeEventListener('abort', onAbort)
    if (aborted) throw abortError(signal)
    return value
  }, (err) => {
    signal.removeEventListener('abort', onAbort)
    if (aborted) throw abortError(signal)
    throw err
  })
}

module.exports = { options, checkThreads, run, abortError, AbortError, DEFAULT_THREADS, MAX_THREADS }
