'use strict'
// args.js: argument checks and Python's index arithmetic, done before C sees anything.
const { invalidArgType, invalidArgValue, outOfRange } = require('./errors')

// Python converts every integer argument to a C Py_ssize_t (or long long)
// first, and an integer outside the signed 64-bit range is an OverflowError
// before anything else is checked: here ERR_OUT_OF_RANGE, for every integer
// argument of every method. Inside the range, Python's clamping holds.
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const INT64_LIMIT = 2 ** 63 // as a Number: exact, the first integer past INT64_MAX

// An integer argument as a Number. Numbers must be integers (RangeError
// otherwise, as Node core does); numbers and bigints must fit in a signed
// 64-bit integer. Past 2^53 a bigint rounds to the nearest double: the
// checks that are exact at the 2^63 edge (int64SumExceeds) take the raw value.
function toInteger (name, value) {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value)
    if (value >= INT64_LIMIT || value < -INT64_LIMIT) throw outOfRange(name, 'a signed 64-bit integer', value)
    return value + 0 // -0 becomes 0
  }
  if (typeof value === 'bigint') {
    if (value > INT64_MAX || value < INT64_MIN) throw outOfRange(name, 'a signed 64-bit integer', value)
    return Number(value)
  }
  throw invalidArgType(name, 'of type number or bigint', value)
}

// A C int argument (Python's "i": whence, madvise's option, flush's flags):
// an integer as above that must also fit in 32 bits (Python: OverflowError).
function toInt32 (name, value) {
  const n = toInteger(name, value)
  if (n > 2 ** 31 - 1 || n < -(2 ** 31)) throw outOfRange(name, 'a 32-bit integer', value)
  return n
}

// A C unsigned char argument (Python's "b": write_byte): 0..255 is part of
// the conversion, so it is checked before the map's state.
function toByte (name, value) {
  const n = toInteger(name, value)
  if (n < 0 || n > 255) throw outOfRange(name, '>= 0 and <= 255', value)
  return n
}

// Python's `PY_SSIZE_T_MAX - a < b` for two integer arguments already
// converted (so each is inside the signed 64-bit range), computed exactly
// from the values the caller passed.
function int64SumExceeds (a, b) {
  return BigInt(a) + BigInt(b) > INT64_MAX
}

// Like toInteger, with undefined (and, where allowNull, null) giving fallback.
function optionalInteger (name, value, fallback, allowNull = false) {
  if (value === undefined || (allowNull && value === null)) return fallback
  return toInteger(name, value)
}

function nonNegative (name, value) {
  const n = toInteger(name, value)
  if (n < 0) throw outOfRange(name, '>= 0', value)
  return n
}

// The bytes of a bytes-like argument as a Uint8Array over the same memory.
// Strings are accepted (as UTF-8) only where allowString is set.
// String needles are encoded once: the last few short ones are kept (their
// bytes only ever reach native searches, which never write to them).
const NEEDLES = 32
const needleCache = new Map()
function encoded (value) {
  let bytes = needleCache.get(value)
  if (bytes === undefined) {
    bytes = Buffer.from(value, 'utf8')
    if (value.length <= 256) {
      if (needleCache.size >= NEEDLES) needleCache.delete(needleCache.keys().next().value)
      needleCache.set(value, bytes)
    }
  }
  return bytes
}

function toBytes (name, value, allowString = false) {
  if (value instanceof Uint8Array) return checkAttached(name, value)
  if (ArrayBuffer.isView(value)) {
    // A DataView's getters throw once its buffer is detached; so does
    // constructing a view on a detached buffer.
    try {
      return new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
    } catch {
      throw invalidArgValue(name, value, 'must not be a view of a detached ArrayBuffer')
    }
  }
  if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && value instanceof SharedArrayBuffer)) {
    try {
      return new Uint8Array(value)
    } catch {
      throw invalidArgValue(name, value, 'must not be a detached ArrayBuffer')
    }
  }
  if (allowString && typeof value === 'string') return encoded(value)
  const expected = allowString
    ? 'of type string or an instance of Buffer, TypedArray, DataView or ArrayBuffer'
    : 'an instance of Buffer, TypedArray, DataView or ArrayBuffer'
  throw invalidArgType(name, expected, value)
}

// A view of length 0 may sit on a detached buffer: say so instead of
// treating it as empty data.
function checkAttached (name, view) {
  if (view.byteLength === 0) {
    try {
      // eslint-disable-next-line no-new
      new Uint8Array(view.buffer, 0, 0)
    } catch {
      throw invalidArgValue(name, view, 'must not be a view of a detached ArrayBuffer')
    }
  }
  return view
}

function optionsObject (name, value) {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object') throw invalidArgType(name, 'of type object', value)
  return value
}

function optionalBoolean (name, value, fallback) {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value)
  return value
}

// Python's PySlice_AdjustIndices: clamps start and end for a sequence of
// `length` items and the given step, and counts the items selected.
function adjustSlice (length, start, end, step) {
  if (start === undefined || start === null) {
    start = step < 0 ? length - 1 : 0
  } else if (start < 0) {
    start += length
    if (start < 0) start = step < 0 ? -1 : 0
  } else if (start >= length) {
    start = step < 0 ? length - 1 : length
  }
  if (end === undefined || end === null) {
    end = step < 0 ? -1 : length
  } else if (end < 0) {
    end += length
    if (end < 0) end = step < 0 ? -1 : 0
  } else if (end >= length) {
    end = step < 0 ? length - 1 : length
  }
  let count = 0
  if (step < 0) {
    if (end < start) count = Math.floor((start - end - 1) / -step) + 1
  } else if (start < end) {
    count = Math.floor((end - start - 1) / step) + 1
  }
  return { start, end, count }
}

// Python's ADJUST_INDICES for one search bound: negatives count from the
// end, then the result is clamped to [0, length].
function adjustIndex (index, length) {
  if (index < 0) {
    index += length
    return index < 0 ? 0 : index
  }
  return index > length ? length : index
}

module.exports = {
  toInteger,
  toInt32,
  toByte,
  int64SumExceeds,
  optionalInteger,
  nonNegative,
  toBytes,
  optionsObject,
  optionalBoolean,
  adjustSlice,
  adjustIndex
}
