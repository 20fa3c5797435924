'use strict'
// open.js: open(path, options): opens the file itself and maps it (the map keeps its own descriptor).
const fs = require('fs')
const constants = require('./constants')
const errors = require('./errors')
const args = require('./args')
const binding = require('./binding')
const { Mmap } = require('./mmap')

const { ACCESS_DEFAULT, ACCESS_READ, ACCESS_COPY, PROT_READ = 1, PROT_WRITE = 2 } = constants
const { features } = binding

// Opens path with the mode the access needs and maps it; options.create
// (with size) creates or extends the file first. The map keeps its own
// duplicate of the descriptor and the one opened here is closed through fs:
// in a worker thread, Node tracks descriptors fs opened and closes those
// still open when the worker exits, so one closed behind its back could be
// closed again after another thread reused its number.
function open (path, options) {
  if (typeof path !== 'string' && !Buffer.isBuffer(path) && !(path instanceof URL)) {
    throw errors.invalidArgType('path', 'of type string or an instance of Buffer or URL', path)
  }
  // fs would throw a TypeError without a code for a Buffer whose memory was detached.
  if (Buffer.isBuffer(path)) args.toBytes('path', path)
  const opts = args.optionsObject('options', options)
  // ACCESS_READ unless flags or prot say how to map: those need ACCESS_DEFAULT.
  const custom = opts.flags !== undefined || opts.prot !== undefined
  const access = opts.access === undefined ? (custom ? ACCESS_DEFAULT : ACCESS_READ) : args.toInt32('options.access', opts.access)
  const create = args.optionalBoolean('options.create', opts.create, false)
  args.optionalBoolean('options.trackfd', opts.trackfd, true)
  const size = opts.size === undefined ? undefined : args.nonNegative('options.size', opts.size)
  if (size !== undefined && !create) throw errors.invalidArgValue('options.size', size, 'needs options.create: true')
  if (size > Number.MAX_SAFE_INTEGER) throw errors.outOfRange('options.size', `<= ${Number.MAX_SAFE_INTEGER}`, size)
  const length = args.optionalInteger('options.length', opts.length, 0)
  // A default map without PROT_WRITE is read-only (Python's rule), so it
  // needs no write permission either.
  const prot = !features.mapFlags || opts.prot === undefined ? PROT_READ | PROT_WRITE : args.toInteger('options.prot', opts.prot)
  const readOnly = access === ACCESS_READ || access === ACCESS_COPY || (access === ACCESS_DEFAULT && !(prot & PROT_WRITE))
  let mode = readOnly ? fs.constants.O_RDONLY : fs.constants.O_RDWR
  if (create) mode = fs.constants.O_RDWR | fs.constants.O_CREAT
  const shown = path instanceof URL ? path.pathname : String(path)
  const fd = fs.openSync(path, mode, 0o666)
  try {
    if (size !== undefined && fs.fstatSync(fd).size < size) fs.ftruncateSync(fd, size)
    // The map always keeps a descriptor of its own here: trackfd is about
    // the caller's descriptor, and open() has no caller's descriptor.
    const mapOptions = { ...opts, access, trackfd: true }
    delete mapOptions.create
    delete mapOptions.size
    delete mapOptions.length
    return new Mmap(fd, length, mapOptions)
  } catch (err) {
    throw errors.withPath(err, shown)
  } finally {
    fs.closeSync(fd)
  }
}

module.exports = { open }
