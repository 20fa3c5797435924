'use strict'
// errors.js: the module's errors, each with a `code`, in the shapes Node core uses.
const util = require('util')

let errorMap = null

function coded (Ctor, code, message) {
  const err = new Ctor(message)
  err.code = code
  return err
}

// Describes a received value for a message, as Node's own errors do.
function describe (value) {
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  if (typeof value === 'function') return `function ${value.name || '<anonymous>'}`
  if (typeof value === 'object') {
    const name = value.constructor && value.constructor.name
    return name ? `an instance of ${name}` : 'an object'
  }
  if (typeof value === 'bigint') return `type bigint (${value}n)`
  if (typeof value === 'symbol') return `type symbol (${String(value)})`
  let shown = util.inspect(value)
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`
  return `type ${typeof value} (${shown})`
}

function invalidArgType (name, expected, value) {
  return coded(TypeError, 'ERR_INVALID_ARG_TYPE',
    `The "${name}" argument must be ${expected}. Received ${describe(value)}`)
}

// util.inspect() of a value, or a short description where inspecting throws
// (a DataView over a detached buffer does).
function show (value) {
  try {
    return typeof value === 'symbol' ? String(value) : util.inspect(value)
  } catch {
    return describe(value)
  }
}

function invalidArgValue (name, value, reason) {
  let shown = show(value)
  if (shown.length > 128) shown = `${shown.slice(0, 128)}...`
  return coded(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument '${name}' ${reason}. Received ${shown}`)
}

function outOfRange (name, range, value) {
  const shown = typeof value === 'bigint' ? `${value}n` : String(value)
  return coded(RangeError, 'ERR_OUT_OF_RANGE',
    `The value of "${name}" is out of range. It must be ${range}. Received ${shown}`)
}

function rangeError (message) {
  return coded(RangeError, 'ERR_OUT_OF_RANGE', message)
}

function readonlyError (what) {
  return coded(TypeError, 'ERR_MMAP_READONLY', `mmap can't modify a readonly memory map (${what})`)
}

// A method or getter called on something that is not one of the class's
// objects (`const { find } = m; find(x)`), in Node's own words.
function invalidThis (type) {
  return coded(TypeError, 'ERR_INVALID_THIS', `Value of "this" must be of type ${type}`)
}

function closedError () {
  return coded(Error, 'ERR_MMAP_CLOSED', 'mmap closed or invalid')
}

// An OS failure in node:fs's shape: `EACCES: permission denied, mmap '/path'`
// with code, the negative errno (as libuv reports it) and syscall.
function systemError (errno, syscall, path) {
  if (errorMap === null) errorMap = util.getSystemErrorMap()
  const entry = errorMap.get(errno)
  const code = entry ? entry[0] : `Unknown system error ${errno}`
  const description = entry ? entry[1] : 'unknown error'
  const suffix = path === undefined ? '' : ` '${path}'`
  const err = new Error(`${code}: ${description}, ${syscall}${suffix}`)
  err.errno = errno
  err.code = code
  err.syscall = syscall
  if (path !== undefined) err.path = path
  return err
}

// The errno value node:fs reports for an error name on this platform.
function errnoOf (name) {
  if (errorMap === null) errorMap = util.getSystemErrorMap()
  for (const [errno, [code]] of errorMap) if (code === name) return errno
  throw new Error(`no errno named ${name}`)
}

// Gives an OS error from a call on a path the path, as node:fs errors have it.
function withPath (err, path) {
  if (err && typeof err.syscall === 'string' && typeof err.errno === 'number' && err.path === undefined) {
    err.path = path
    err.message = `${err.message} '${path}'`
  }
  return err
}

module.exports = {
  coded,
  invalidArgType,
  invalidArgValue,
  outOfRange,
  rangeError,
  readonlyError,
  closedError,
  invalidThis,
  systemError,
  errnoOf,
  withPath
}
