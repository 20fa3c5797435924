'use strict'
// map-args.js: the Mmap constructor's arguments in Python's order: the descriptor, the length,
// the options (access, flags, prot, offset, trackfd, tagname), checked against the file.
const binding = require('./binding')
const constants = require('./constants')
const errors = require('./errors')
const args = require('./args')

const {
  ACCESS_DEFAULT, ACCESS_READ, ACCESS_WRITE, ACCESS_COPY,
  PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1, MAP_PRIVATE = 2
} = constants
const { features } = binding

// The descriptor in an fd argument: an integer, or an object (a FileHandle)
// with a numeric fd.
function toFd (value) {
  if (value !== null && typeof value === 'object' && 'fd' in value) {
    const fd = value.fd
    if (typeof fd !== 'number') throw errors.invalidArgType('fd.fd', 'of type number', fd)
    if (!Number.isInteger(fd)) throw errors.outOfRange('fd.fd', 'an integer', fd)
    // A closed FileHandle reports fd -1: that must not become anonymous memory.
    if (fd < 0) throw errors.systemError(errors.errnoOf('EBADF'), 'fstat')
    return fd
  }
  const fd = args.toInteger('fd', value)
  if (fd > 2 ** 31 - 1 || fd < -(2 ** 31)) throw errors.outOfRange('fd', 'a 32-bit integer', value)
  return fd
}

// Python's access normalisation: the effective access and the flags and
// protection the map is made with.
function resolveAccess (access, flags, prot) {
  const defaults = flags === MAP_SHARED && prot === (PROT_READ | PROT_WRITE)
  if (access !== ACCESS_DEFAULT && !defaults) {
    throw errors.invalidArgValue('options', { access, flags, prot }, "can't specify both access and flags, prot")
  }
  switch (access) {
    case ACCESS_READ: return { access, flags: MAP_SHARED, prot: PROT_READ }
    case ACCESS_WRITE: return { access, flags: MAP_SHARED, prot: PROT_READ | PROT_WRITE }
    case ACCESS_COPY: return { access, flags: MAP_PRIVATE, prot: PROT_READ | PROT_WRITE }
    case ACCESS_DEFAULT: {
      // Python derives the access of a default map from prot: without
      // PROT_WRITE it is a read-only map.
      let effective = ACCESS_READ
      if ((prot & PROT_READ) && (prot & PROT_WRITE)) effective = ACCESS_DEFAULT
      else if (prot & PROT_WRITE) effective = ACCESS_WRITE
      return { access: effective, flags, prot }
    }
    default:
      throw errors.invalidArgValue('options.access', access, 'must be one of ACCESS_DEFAULT, ACCESS_READ, ACCESS_WRITE, ACCESS_COPY')
  }
}

// The map to make for new Mmap(fd, length, options): { mapLength, offset,
// mode: { access, flags, prot }, trackfd, tagname }; throws what Python would.
function mapArguments (fd, length, options) {
  fd = toFd(fd)
  length = args.toInteger('length', length)
  const opts = args.optionsObject('options', options)
  // access is a C int in Python: past 32 bits an OverflowError, before any other check.
  const access = opts.access === undefined ? ACCESS_DEFAULT : args.toInt32('options.access', opts.access)
  const offset = args.optionalInteger('options.offset', opts.offset, 0)
  const trackfd = args.optionalBoolean('options.trackfd', opts.trackfd, true)
  let flags = MAP_SHARED
  let prot = PROT_READ | PROT_WRITE
  if (!features.mapFlags) {
    // Types first, as everywhere. Windows has no flags or prot at all
    // (Python's signature there has neither): refused below, where
    // Python checks access.
    args.optionalInteger('options.flags', opts.flags, MAP_SHARED)
    args.optionalInteger('options.prot', opts.prot, PROT_READ | PROT_WRITE)
  } else {
    flags = args.optionalInteger('options.flags', opts.flags, MAP_SHARED)
    prot = args.optionalInteger('options.prot', opts.prot, PROT_READ | PROT_WRITE)
  }
  const tagname = opts.tagname
  if (tagname !== undefined && tagname !== null) {
    if (typeof tagname !== 'string') throw errors.invalidArgType('options.tagname', 'of type string', tagname)
    if (tagname.includes('\0')) throw errors.invalidArgValue('options.tagname', tagname, 'must not contain null bytes')
    if (!features.tagname) throw errors.invalidArgValue('options.tagname', tagname, 'is only supported on Windows')
  }
  // Python's order: negative length, negative offset, then access.
  // Lengths and offsets are exact up to 2^53 - 1, far beyond any address
  // space; Python's OverflowError for larger ones is ERR_OUT_OF_RANGE here.
  if (length < 0 || length > Number.MAX_SAFE_INTEGER) {
    throw errors.outOfRange('length', `>= 0 and <= ${Number.MAX_SAFE_INTEGER}`, length)
  }
  if (offset < 0 || offset > Number.MAX_SAFE_INTEGER) {
    throw errors.outOfRange('options.offset', `>= 0 and <= ${Number.MAX_SAFE_INTEGER}`, offset)
  }
  for (const [name, value] of [['options.flags', flags], ['options.prot', prot]]) {
    if (value > 2 ** 31 - 1 || value < -(2 ** 31)) throw errors.outOfRange(name, 'a 32-bit integer', value)
  }
  if (!features.mapFlags && (opts.flags !== undefined || opts.prot !== undefined)) {
    throw errors.invalidArgValue('options', opts, 'cannot have flags or prot on Windows (use access)')
  }
  const mode = resolveAccess(access, flags, prot)

  let mapLength = length
  if (fd === -1) {
    // Anonymous memory: Python refuses length 0 (mmap(2) says EINVAL).
    if (length === 0) throw errors.systemError(errors.errnoOf('EINVAL'), 'mmap')
  } else {
    const [size, regular] = binding.fileInfo(fd)
    if (regular) {
      if (offset > size) {
        throw errors.rangeError(`offset ${offset} is past the end of the ${size}-byte file`)
      }
      if (length === 0) {
        mapLength = size - offset
      } else if (length > size - offset && !features.extendsFile) {
        throw errors.rangeError(`length ${length} at offset ${offset} is past the end of the ${size}-byte file ` +
            '(a map never extends a file on POSIX; resize() does)')
      } else if (length > size - offset && (mode.access === ACCESS_READ || mode.access === ACCESS_COPY)) {
        // Windows extends the file to a writable map's end (as Python
        // there); a read-only or copy-on-write map cannot, and the OS
        // would only say ERROR_NOT_ENOUGH_MEMORY.
        throw errors.rangeError(`length ${length} at offset ${offset} is past the end of the ${size}-byte file ` +
            '(only a writable map extends the file on Windows)')
      }
    } else if (length === 0) {
      // Not a regular file: there is no size to map up to.
      throw errors.systemError(errors.errnoOf('EINVAL'), 'mmap')
    }
  }

  return { fd, mapLength, offset, mode, trackfd, tagname }
}

module.exports = { toFd, mapArguments, resolveAccess }
