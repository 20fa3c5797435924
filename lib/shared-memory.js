'use strict'
// shared-memory.js: SharedMemory, Python's multiprocessing.shared_memory.SharedMemory: named blocks
// of shared memory that Node and Python processes open by the same names.
const crypto = require('crypto')
const util = require('util')
const binding = require('./binding')
const errors = require('./errors')
const args = require('./args')
const { Mmap } = require('./mmap')
const { ACCESS_WRITE } = require('./constants')

const isWindows = process.platform === 'win32'

// Python's random names: a prefix and 4 random bytes in hex, 13 characters
// with POSIX's leading '/' (FreeBSD allows 14), e.g. psm_1b2c3d4e.
const PREFIX = isWindows ? 'wnsm_' : 'psm_'
function randomName () {
  return PREFIX + crypto.randomBytes(4).toString('hex')
}

// Opens the block by name (or creates it) and maps all of it. On POSIX the
// block's descriptor is mapped (the map keeps a duplicate); on Windows the
// section is mapped again by name, as Python does, while the handle that
// shmOpen returned keeps it alive.
function attach (name, create, size, mode) {
  let holder, bytes
  try {
    [holder, bytes] = binding.shmOpen(name, create, size, mode)
  } catch (err) {
    throw errors.withPath(err, name)
  }
  try {
    return isWindows
      ? new Mmap(-1, bytes, { tagname: name, access: ACCESS_WRITE })
      : new Mmap(holder, bytes, { access: ACCESS_WRITE })
  } catch (err) {
    // A block created here that cannot be mapped leaves no name behind.
    if (create) {
      try {
        binding.shmUnlink(name)
      } catch {}
    }
    throw err
  } finally {
    binding.shmRelease(holder)
  }
}

// Node's ERR_INVALID_THIS for a method or getter called on another object
// (set by the class below: a private-field brand check, as Mmap has).
let isSharedMemory = null
function checkThis (self) {
  if (!isSharedMemory(self)) throw errors.invalidThis('SharedMemory')
}

class SharedMemory {
  #name
  #size
  #map

  constructor (options) {
    const opts = args.optionsObject('options', options)
    // Every argument's type first, then Python's order of value checks.
    let name = opts.name ?? null
    if (name !== null && typeof name !== 'string') throw errors.invalidArgType('options.name', 'of type string', name)
    const create = args.optionalBoolean('options.create', opts.create, false)
    const size = args.optionalInteger('options.size', opts.size, 0)
    const mode = args.optionalInteger('options.mode', opts.mode, 0o600)
    if (size < 0 || size > Number.MAX_SAFE_INTEGER) {
      throw errors.outOfRange('options.size', `>= 0 and <= ${Number.MAX_SAFE_INTEGER}`, opts.size)
    }
    if (create && size === 0) throw errors.outOfRange('options.size', '> 0 when create is true', size)
    if (name === null && !create) {
      throw errors.invalidArgValue('options.name', name, 'can only be omitted with create: true')
    }
    if (name !== null) {
      // Python passes '' on ("/" on POSIX, EINVAL; an unnamed section on
      // Windows): refused here on every platform.
      if (name === '') throw errors.invalidArgValue('options.name', name, 'must not be empty')
      if (name.includes('\0')) throw errors.invalidArgValue('options.name', name, 'must not contain null bytes')
    }
    if (mode < 0 || mode > 0o7777) throw errors.outOfRange('options.mode', '>= 0 and <= 0o7777', mode)

    if (name === null) {
      // A fresh random name; a name in use is tried again with another.
      for (;;) {
        const candidate = randomName()
        try {
          this.#map = attach(candidate, true, size, mode)
        } catch (err) {
          if (err.code === 'EEXIST') continue
          throw err
        }
        name = candidate
        break
      }
    } else {
      this.#map = attach(name, create, size, mode)
    }
    this.#name = name
    // The size the OS reports (Python's st_size on POSIX, the view's size in
    // whole pages on Windows), which may exceed the size asked for.
    this.#size = this.#map.length
  }

  // The name without POSIX's leading '/', as Python reports it: what another
  // process passes to attach.
  get name () {
    checkThis(this)
    return this.#name
  }

  get size () {
    checkThis(this)
    return this.#size
  }

  get closed () {
    checkThis(this)
    return this.#map.closed
  }

  // The Mmap over the whole block.
  get map () {
    checkThis(this)
    if (this.#map.closed) throw errors.closedError()
    return this.#map
  }

  // The whole block as one zero-copy ArrayBuffer (detached by close()).
  get buffer () {
    checkThis(this)
    return this.map.buffer
  }

  // This process lets go of the block: views detach; the name stays.
  close () {
    checkThis(this)
    this.#map.close()
  }

  // Removes the name; processes that have the block mapped keep it until
  // they close it. Windows has no unlink: the block goes with its last
  // handle, and this does nothing there (as in Python).
  unlink () {
    checkThis(this)
    if (isWindows) return
    try {
      binding.shmUnlink(this.#name)
    } catch (err) {
      throw errors.withPath(err, this.#name)
    }
  }

  [Symbol.dispose] () {
    checkThis(this)
    this.close()
  }

  // util.inspect() of SharedMemory.prototype itself must work: no ERR_INVALID_THIS here.
  [util.inspect.custom] (depth, options, inspect) {
    if (!isSharedMemory(this)) return 'SharedMemory <not a block>'
    const state = this.#map.closed ? ', closed' : ''
    return `SharedMemory(${inspect(this.#name, options)}, size=${this.#size}${state})`
  }

  static {
    isSharedMemory = (value) => typeof value === 'object' && value !== null && #map in value
  }
}

module.exports = { SharedMemory }
