'use strict'
// mmap-async.js: the Mmap methods that run on the libuv thread pool (findAsync, rfindAsync,
// countAsync, prefetch) and the page methods (residency, lock, unlock), installed on
// Mmap.prototype by mmap.js, which lends them its private state (`inner`).
const binding = require('./binding')
const errors = require('./errors')
const args = require('./args')
const async = require('./async')

// inner: { check(map), live(map), length(map), searchRange(map, start, end),
// countRange(map, start, end) }, the class's own checks and state.
function install (proto, inner) {
  // find, rfind and count on the libuv thread pool (kind 0, 1, 2): the same
  // arguments, checks (in the same order) and results; errors reject.
  function scanAsync (self, kind, sub, start, end, options) {
    const needle = args.toBytes('sub', sub, true)
    start = args.optionalInteger('start', start, kind === 2 ? 0 : undefined, true)
    end = args.optionalInteger('end', end, undefined, true)
    const { signal, threads } = async.options('options', options, true)
    return async.run(signal, (flag) => {
      const handle = inner.live(self)
      async.checkThreads('options', threads)
      const range = kind === 2 ? inner.countRange(self, start, end) : inner.searchRange(self, start, end)
      if (range === null) return Promise.resolve(kind === 2 ? 0 : -1)
      return binding.scanAsync(handle, kind, needle, range[0], range[1], threads, flag)
    })
  }

  // The range prefetch, residency, lock and unlock cover, from converted
  // arguments: start in [0, length], length (default: to the end) clamped
  // to the map, as madvise clamps it.
  function pageRange (self, start, length) {
    const handle = inner.live(self)
    const size = inner.length(self)
    if (start < 0 || start > size) throw errors.outOfRange('start', `>= 0 and <= ${size}`, start)
    if (length === undefined) length = size - start
    if (length < 0) throw errors.outOfRange('length', '>= 0', length)
    if (length > size - start) length = size - start
    return [handle, start, length]
  }

  const methods = {
    findAsync (sub, start, end, options) {
      try {
        inner.check(this)
        return scanAsync(this, 0, sub, start, end, options)
      } catch (err) {
        return Promise.reject(err)
      }
    },

    rfindAsync (sub, start, end, options) {
      try {
        inner.check(this)
        return scanAsync(this, 1, sub, start, end, options)
      } catch (err) {
        return Promise.reject(err)
      }
    },

    countAsync (sub, start, end, options) {
      try {
        inner.check(this)
        return scanAsync(this, 2, sub, start, end, options)
      } catch (err) {
        return Promise.reject(err)
      }
    },

    prefetch (start, length, options) {
      try {
        inner.check(this)
        start = args.optionalInteger('start', start, 0)
        length = args.optionalInteger('length', length, undefined, true)
        const { signal } = async.options('options', options, false)
        return async.run(signal, (flag) => {
          const [handle, s, n] = pageRange(this, start, length)
          return binding.prefetch(handle, s, n, flag)
        })
      } catch (err) {
        return Promise.reject(err)
      }
    },

    residency (start, length) {
      inner.check(this)
      const [handle, s, n] = pageRange(this, args.optionalInteger('start', start, 0), args.optionalInteger('length', length, undefined, true))
      return binding.residency(handle, s, n)
    },

    lock (start, length) {
      inner.check(this)
      const [handle, s, n] = pageRange(this, args.optionalInteger('start', start, 0), args.optionalInteger('length', length, undefined, true))
      binding.lock(handle, s, n)
    },

    unlock (start, length) {
      inner.check(this)
      const [handle, s, n] = pageRange(this, args.optionalInteger('start', start, 0), args.optionalInteger('length', length, undefined, true))
      binding.unlock(handle, s, n)
    }
  }
  // As a class's methods are: writable, configurable, not enumerable.
  for (const [name, value] of Object.entries(methods)) {
    Object.defineProperty(proto, name, { value, writable: true, configurable: true, enumerable: false })
  }
}

module.exports = { install }
