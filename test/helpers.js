'use strict'
// helpers.js: shared test utilities: temp files, sparse files, child-process probes, the maps and
// files a test makes, skips with a reason, descriptor and errno lookups.
const assert = require('assert')
const fs = require('fs')
const os = require('os')
const path = require('path')
const util = require('util')
const { spawnSync } = require('child_process')

const root = path.join(__dirname, '..')
const isWindows = process.platform === 'win32'
const isLinux = process.platform === 'linux'
// A 32-bit process (linux-arm in the armv7l stage): size_t and the address space are 32 bits.
const is32Bit = ['arm', 'ia32', 'mips', 'mipsel', 'ppc'].includes(process.arch)
// The JavaScript runtime running the suite: 'bun', 'deno' or 'node'.
const runtime = process.versions.bun ? 'bun' : process.versions.deno ? 'deno' : 'node'
// How far the slowest stress tests scale their rounds down (MMAP_NATIVE_TEST_SCALE, in (0, 1]):
// the emulated stages (qemu) set 0.1. scaled(n) is never below 1.
const SCALE = Math.min(1, Math.max(Number(process.env.MMAP_NATIVE_TEST_SCALE) || 1, 0.001))
function scaled (n) {
  return Math.max(1, Math.round(n * SCALE))
}
// How much longer time limits are (MMAP_NATIVE_TEST_SLOWDOWN, >= 1): the emulated stages run
// several times slower than the machine, so their test and child-process limits grow with it.
const SLOWDOWN = Math.max(Number(process.env.MMAP_NATIVE_TEST_SLOWDOWN) || 1, 1)
function slow (ms) {
  return ms * SLOWDOWN
}
let dir = null

// A temp folder for this test process, removed when it exits.
function tempDir () {
  if (dir === null) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmap-native-test-'))
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }))
  }
  return dir
}

let counter = 0
// A new temp file holding `contents` (a Buffer/string) or `contents` zero bytes (a number).
function tempFile (contents = 0) {
  const file = path.join(tempDir(), `f${process.pid}-${counter++}`)
  if (typeof contents === 'number') {
    fs.writeFileSync(file, '')
    if (contents > 0) fs.truncateSync(file, contents)
  } else {
    fs.writeFileSync(file, contents)
  }
  return file
}

// A sparse file of `size` bytes, or null when the filesystem will not make one
// cheaply (the caller skips with that reason).
function sparseFile (size) {
  const file = tempFile(0)
  try {
    fs.truncateSync(file, size)
  } catch (err) {
    fs.rmSync(file, { force: true })
    return null
  }
  const st = fs.statSync(file)
  if (st.blocks * 512 > 64 * 1024 * 1024) {
    fs.rmSync(file, { force: true })
    return null
  }
  return file
}

function removeFile (file) {
  fs.rmSync(file, { force: true })
}

// Runs `code` in a child node process with the package loadable as
// require(MMAP) and returns { status, signal, stdout, stderr }.
function runChild (code, { args = [], env = {}, timeout = slow(120000) } = {}) {
  const prelude = `const MMAP = ${JSON.stringify(root)};\n`
  const r = spawnSync(process.execPath, ['--expose-gc', ...args, '-e', prelude + code], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout
  })
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr }
}

// Runs `code` in a child (runChild, with its options) and returns the JSON of the last line it
// printed; fails unless the child exited with status 0.
function runChildJson (code, options) {
  const r = runChild(code, options)
  assert.strictEqual(r.status, 0,
    `child exited with status ${r.status} (signal ${r.signal})\nstderr:\n${r.stderr}\nstdout:\n${r.stdout}`)
  const lines = r.stdout.trim().split('\n')
  return JSON.parse(lines[lines.length - 1])
}

// The error fn throws (fails when it does not throw).
function captureThrow (fn) {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected the call to throw')
}

// The error fn throws, which must have this code and exactly this constructor.
function assertCode (fn, Ctor, code) {
  const err = captureThrow(fn)
  assert.strictEqual(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`)
  assert.strictEqual(err.constructor, Ctor, `expected a ${Ctor.name}, got ${err.constructor.name}`)
  return err
}

// An OS error in node:fs's shape: exactly an Error, code one of codes, a negative errno that
// names the code, syscall one of syscalls, and the message `CODE: description, syscall` (then
// the path, if any, and a note in parentheses). errOrFn: the error, or a function that must throw it. Returns the error.
function assertOsError (errOrFn, codes, syscalls) {
  const err = typeof errOrFn === 'function' ? captureThrow(errOrFn) : errOrFn
  codes = [].concat(codes)
  syscalls = [].concat(syscalls)
  assert.ok(err instanceof Error, `expected an Error, got ${err}`)
  assert.strictEqual(err.constructor, Error, `expected an Error, got ${err.name}: ${err.message}`)
  assert.ok(codes.includes(err.code), `unexpected code ${err.code}, expected ${codes} (${err.message})`)
  assert.strictEqual(typeof err.errno, 'number')
  assert.ok(err.errno < 0, `errno ${err.errno} should be negative, as node:fs reports it`)
  assert.strictEqual(util.getSystemErrorName(err.errno), err.code)
  assert.ok(syscalls.includes(err.syscall), `unexpected syscall ${err.syscall}, expected ${syscalls}`)
  assert.ok(err.message.startsWith(`${err.code}: `), err.message)
  const tail = err.path === undefined ? `, ${err.syscall}` : `, ${err.syscall} '${err.path}'`
  // A note in parentheses may follow (why the module raised it).
  assert.ok(err.message.endsWith(tail) || err.message.includes(`${tail} (`), err.message)
  return err
}

// Skips the running test, saying why in its title (mocha's skip() takes none). From a
// beforeEach hook it is the test the hook runs for.
function skip (ctx, reason) {
  // In a before() hook there is no current test: the suite's title says it, for all its tests.
  const test = ctx.test.type === 'hook' ? (ctx.currentTest || ctx.test.parent) : ctx.test
  test.title += ` (skipped: ${reason})`
  ctx.skip()
}

// Platform-only tests, one idiom: the test (or a before() hook of a describe(), for all of its
// tests) calls one of these first; elsewhere it is skipped with the reason in its title.
function posixOnly (ctx, reason) {
  if (isWindows) skip(ctx, `POSIX only: ${reason}`)
}

function windowsOnly (ctx, reason) {
  if (!isWindows) skip(ctx, `Windows only: ${reason}`)
}

function linuxOnly (ctx, reason) {
  if (!isLinux) skip(ctx, `Linux only: ${reason}`)
}

// Skips a test that maps more than a 32-bit process can address (4 GiB, less what the
// process already uses), saying how much it needs.
function needs64Bit (ctx, what) {
  if (is32Bit) skip(ctx, `needs a 64-bit address space: ${what}`)
}

// Skips a test that counts mappings and descriptors in /proc (Linux only). Windows:
// windows.test.js checks the release through the file becoming deletable.
function needsProc (ctx) {
  if (!isLinux) skip(ctx, 'needs /proc/self/maps and /proc/self/fd (Linux)')
}

// The maps, descriptors and temp files a test makes, given back by cleanup() (in afterEach):
// the maps are closed, then the descriptors, then the files removed. Tests may also push onto
// maps, fds and files themselves. ignoreClosedFds: a descriptor already closed is no error.
// The package is required only when a map is made: test/slow/ takes nothing but root from here.
function resources ({ ignoreClosedFds = false } = {}) {
  const maps = []
  const fds = []
  const files = []

  function track (m) {
    maps.push(m)
    return m
  }

  // A new temp file holding `contents` (as tempFile), removed by cleanup().
  function file (contents) {
    const f = tempFile(contents)
    files.push(f)
    return f
  }

  // A descriptor of file f, closed by cleanup() unless closeFd() closes it first.
  function openFd (f, flags = 'r+') {
    const fd = fs.openSync(f, flags)
    fds.push(fd)
    return fd
  }

  function closeFd (fd) {
    fs.closeSync(fd)
    for (let i = fds.length - 1; i >= 0; i--) if (fds[i] === fd) fds.splice(i, 1)
  }

  // A map of a new temp file holding `contents`, made through a descriptor opened with `flags`
  // and closed at once (the map keeps its own duplicate); returns { m, file }.
  function mapFile (contents, length = 0, options, flags = 'r+') {
    const f = file(contents)
    const fd = fs.openSync(f, flags)
    try {
      const { Mmap } = require('..')
      return { m: track(new Mmap(fd, length, options)), file: f }
    } finally {
      fs.closeSync(fd)
    }
  }

  function anonymous (length, options) {
    const { Mmap } = require('..')
    return track(new Mmap(-1, length, options))
  }

  function cleanup () {
    for (const m of maps) m.close()
    for (const fd of fds) {
      if (!ignoreClosedFds) {
        fs.closeSync(fd)
        continue
      }
      try {
        fs.closeSync(fd)
      } catch {}
    }
    for (const f of files) removeFile(f)
    maps.length = 0
    fds.length = 0
    files.length = 0
  }

  // The map alone of mapFile(contents) (a string is taken as latin1 bytes).
  function mapOf (contents, options) {
    return mapFile(typeof contents === 'string' ? Buffer.from(contents, 'latin1') : contents, 0, options).m
  }

  return { maps, fds, files, track, file, openFd, closeFd, mapFile, mapOf, anonymous, cleanup }
}

// Bytes that differ from their neighbours across page boundaries, so a map shifted by any
// amount shows different bytes: byte i is (i * 7 + salt) % 251.
function pattern (size, salt = 3) {
  const buf = Buffer.alloc(size)
  for (let i = 0; i < size; i++) buf[i] = (i * 7 + salt) % 251
  return buf
}

// A small deterministic generator (mulberry32): numbers in [0, 1), the same for the same seed.
function random (seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// The errno node:fs reports for a code name: -errno on POSIX, libuv's own
// numbers on Windows.
function errnoOf (code) {
  if (!isWindows) return -os.constants.errno[code]
  for (const [errno, [name]] of util.getSystemErrorMap()) if (name === code) return errno
  throw new Error(`no errno named ${code}`)
}

// The open descriptors of this process (without the one readdir itself used, gone by now).
// readlink, not fstat: Deno's fstat knows only the descriptors its own fs opened, not those the
// addon duplicates.
function openFds () {
  return fs.readdirSync('/proc/self/fd').map(Number).filter((fd) => {
    try {
      fs.readlinkSync(`/proc/self/fd/${fd}`)
      return true
    } catch {
      return false
    }
  }).sort((a, b) => a - b)
}

// The descriptors opened since the list `before` was taken. Only new ones
// count: a finalizer of another test's unreachable map may close one meanwhile.
function newFds (before) {
  return openFds().filter((fd) => !before.includes(fd))
}

// The open flags of descriptor fd, from /proc/self/fdinfo.
function fdFlags (fd) {
  const info = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')
  return parseInt(/^flags:\s*([0-7]+)/m.exec(info)[1], 8)
}

module.exports = {
  root,
  is32Bit,
  runtime,
  scaled,
  slow,
  needs64Bit,
  tempDir,
  tempFile,
  sparseFile,
  removeFile,
  runChild,
  runChildJson,
  captureThrow,
  assertCode,
  assertOsError,
  skip,
  posixOnly,
  windowsOnly,
  linuxOnly,
  needsProc,
  resources,
  pattern,
  random,
  errnoOf,
  openFds,
  newFds,
  fdFlags
}
