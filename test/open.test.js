'use strict'
// open.test.js: mmap.open(path, options): access modes, length/offset, create/size, path types, descriptor ownership.
const assert = require('assert')
const fs = require('fs')
const path = require('path')
const { pathToFileURL } = require('url')
const mmap = require('..')
const {
  tempDir, captureThrow, posixOnly, resources, pattern, errnoOf, openFds, newFds, fdFlags
} = require('./helpers')

const { ACCESS_DEFAULT, ACCESS_READ, ACCESS_WRITE, ACCESS_COPY, PAGESIZE, MAP_PRIVATE, PROT_READ } = mmap
const isWindows = process.platform === 'win32'

// The access-mode bits of the open flags (Linux's O_ACCMODE; node:fs does not export it).
const O_ACCMODE = 3

// The maps and files a test made, given back by cleanup() (each describe's afterEach).
const res = resources()
const { files, track, cleanup } = res
const fileWith = res.file
let counter = 0

// A path in the temp folder that does not exist yet (removed in afterEach).
function missingPath () {
  const file = path.join(tempDir(), `open-missing-${process.pid}-${counter++}`)
  files.push(file)
  return file
}

// Calls fn, which must open and return a map, and returns [map, the descriptor it added].
function openedFd (fn) {
  const before = openFds()
  const m = track(fn())
  const added = newFds(before)
  assert.strictEqual(added.length, 1, 'open() holds exactly one descriptor')
  return [m, added[0]]
}

describe('open(): access', function () {
  afterEach(cleanup)

  it('defaults to ACCESS_READ: reads the file, writes throw ERR_MMAP_READONLY', function () {
    const file = fileWith('hello world')
    const m = track(mmap.open(file))
    assert.strictEqual(m.length, 11)
    assert.strictEqual(m.slice().toString(), 'hello world')
    assert.strictEqual(m.readline().toString(), 'hello world')
    for (const write of [
      () => m.set(0, 1),
      () => m.setSlice(0, 1, Buffer.from('x')),
      () => m.write(Buffer.from('x')),
      () => m.writeByte(1),
      () => m.move(0, 1, 1),
      () => m.resize(20)
    ]) {
      assert.throws(write, { name: 'TypeError', code: 'ERR_MMAP_READONLY' })
    }
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'hello world')
  })

  it('opens the file read-only for ACCESS_READ and ACCESS_COPY', function () {
    posixOnly(this, 'needs /proc/self/fdinfo (Windows: ACCESS_READ maps a read-only file, below)')
    const file = fileWith('hello')
    for (const options of [undefined, { access: ACCESS_READ }, { access: ACCESS_COPY }]) {
      const [, fd] = openedFd(() => mmap.open(file, options))
      assert.strictEqual(fdFlags(fd) & O_ACCMODE, fs.constants.O_RDONLY)
    }
  })

  it('opens the file read-write for ACCESS_WRITE and ACCESS_DEFAULT', function () {
    posixOnly(this, 'needs /proc/self/fdinfo (Windows: writes reach the file, below)')
    const file = fileWith('hello')
    for (const access of [ACCESS_WRITE, ACCESS_DEFAULT]) {
      const [, fd] = openedFd(() => mmap.open(file, { access }))
      assert.strictEqual(fdFlags(fd) & O_ACCMODE, fs.constants.O_RDWR)
    }
  })

  it('ACCESS_READ maps a file whose permissions forbid writing', function () {
    const file = fileWith('hello')
    fs.chmodSync(file, 0o444)
    const m = track(mmap.open(file))
    assert.strictEqual(m.slice().toString(), 'hello')
  })

  it('ACCESS_WRITE writes reach the file', function () {
    const file = fileWith('hello world')
    const m = track(mmap.open(file, { access: ACCESS_WRITE }))
    m.set(0, 0x48)
    m.seek(6)
    m.write(Buffer.from('W'))
    m.subarray(10)[0] = 0x44
    m.flush()
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'Hello WorlD')
    m.close()
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'Hello WorlD')
  })

  it('ACCESS_DEFAULT writes reach the file', function () {
    const file = fileWith('hello')
    const m = track(mmap.open(file, { access: ACCESS_DEFAULT }))
    m.set(4, 0x4f)
    m.flush()
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'hellO')
  })

  it('ACCESS_COPY is writable and never changes the file', function () {
    const file = fileWith('hello')
    const m = track(mmap.open(file, { access: ACCESS_COPY }))
    m.set(0, 0x48)
    m.subarray(1, 2)[0] = 0x45
    m.flush()
    assert.strictEqual(m.slice().toString(), 'HEllo')
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'hello')
  })

  it('rejects an invalid access with ERR_INVALID_ARG_VALUE', function () {
    const file = fileWith('hello')
    for (const access of [4, -1]) {
      assert.throws(() => mmap.open(file, { access }), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' })
    }
  })

  it('rejects flags or prot with an access other than ACCESS_DEFAULT (Python\'s rule)', function () {
    const file = fileWith('hello')
    // Windows refuses any flags or prot (2 and 1 are MAP_PRIVATE and PROT_READ on POSIX).
    const [flags, prot] = isWindows ? [2, 1] : [MAP_PRIVATE, PROT_READ]
    for (const access of [mmap.ACCESS_READ, mmap.ACCESS_WRITE, mmap.ACCESS_COPY]) {
      assert.throws(() => mmap.open(file, { access, flags }), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' })
      assert.throws(() => mmap.open(file, { access, prot }), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' })
    }
  })

  it('maps with ACCESS_DEFAULT when flags or prot are given without access', function () {
    posixOnly(this, 'Windows has no flags or prot')
    const file = fileWith('hello')
    const priv = track(mmap.open(file, { flags: MAP_PRIVATE }))
    priv.set(0, 0x48)
    assert.strictEqual(priv.slice().toString(), 'Hello')
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'hello', 'a private map keeps its writes')
    const ro = track(mmap.open(file, { prot: PROT_READ }))
    assert.throws(() => ro.set(0, 1), { code: 'ERR_MMAP_READONLY' })
    fs.chmodSync(file, 0o444)
    try {
      // Without PROT_WRITE the map is read-only, and the file is opened read-only.
      const m = track(mmap.open(file, { prot: PROT_READ }))
      assert.strictEqual(m.slice().toString(), 'hello')
    } finally {
      fs.chmodSync(file, 0o644)
    }
  })

  it('accepts flags and prot with ACCESS_DEFAULT', function () {
    posixOnly(this, 'Windows has no flags or prot')
    const file = fileWith('hello')
    const m = track(mmap.open(file, { access: ACCESS_DEFAULT, flags: MAP_PRIVATE }))
    m.set(0, 0x48)
    assert.strictEqual(m.slice().toString(), 'Hello')
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'hello')
  })

  it('rejects an access of the wrong type with ERR_INVALID_ARG_TYPE', function () {
    const file = fileWith('hello')
    for (const access of ['1', null, true]) {
      assert.throws(() => mmap.open(file, { access }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
    }
  })
})

describe('open(): length and offset', function () {
  afterEach(cleanup)

  it('maps length bytes from offset', function () {
    const data = pattern(4 * PAGESIZE)
    const file = fileWith(data)
    for (const [length, offset] of [[100, 0], [100, 1], [PAGESIZE, PAGESIZE - 1], [10, 3 * PAGESIZE + 17], [1n, 5n]]) {
      const m = track(mmap.open(file, { length, offset }))
      assert.strictEqual(m.length, Number(length))
      assert.deepStrictEqual(m.slice(), data.subarray(Number(offset), Number(offset) + Number(length)))
    }
  })

  it('maps from offset to the end when length is omitted or 0', function () {
    const data = pattern(2 * PAGESIZE)
    const file = fileWith(data)
    for (const options of [{ offset: 4097 }, { offset: 4097, length: 0 }]) {
      const m = track(mmap.open(file, options))
      assert.deepStrictEqual(m.slice(), data.subarray(4097))
    }
  })

  it('ACCESS_WRITE writes at an offset land at the right file position', function () {
    const data = pattern(2 * PAGESIZE)
    const file = fileWith(data)
    const m = track(mmap.open(file, { access: ACCESS_WRITE, offset: PAGESIZE + 3, length: 10 }))
    m.set(0, 0xfe)
    m.set(9, 0xfd)
    m.flush()
    const expected = Buffer.from(data)
    expected[PAGESIZE + 3] = 0xfe
    expected[PAGESIZE + 12] = 0xfd
    assert.deepStrictEqual(fs.readFileSync(file), expected)
  })

  it('rejects a length past the end of the file', function () {
    const file = fileWith(pattern(100))
    assert.throws(() => mmap.open(file, { length: 101 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
    assert.throws(() => mmap.open(file, { length: 50, offset: 51 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
  })

  it('rejects an offset past the end of the file', function () {
    const file = fileWith(pattern(100))
    const err = captureThrow(() => mmap.open(file, { offset: 101 }))
    assert.strictEqual(err.name, 'RangeError')
    assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE')
    assert.strictEqual(err.message, 'offset 101 is past the end of the 100-byte file')
  })

  it('rejects negative and non-integer length and offset', function () {
    const file = fileWith(pattern(100))
    assert.throws(() => mmap.open(file, { length: -1 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
    assert.throws(() => mmap.open(file, { offset: -1 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
    assert.throws(() => mmap.open(file, { length: 1.5 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
    assert.throws(() => mmap.open(file, { offset: NaN }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
    assert.throws(() => mmap.open(file, { length: '1' }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
    assert.throws(() => mmap.open(file, { offset: null }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
  })

  it('maps an empty file as a length-0 map', function () {
    const file = fileWith('')
    const m = track(mmap.open(file))
    assert.strictEqual(m.length, 0)
    assert.strictEqual(m.slice().length, 0)
  })
})

describe('open(): create and size', function () {
  afterEach(cleanup)

  it('create: true with size creates a missing file of that size', function () {
    const file = missingPath()
    const m = track(mmap.open(file, { create: true, size: 10000, access: ACCESS_WRITE }))
    assert.strictEqual(m.length, 10000)
    assert.strictEqual(fs.statSync(file).size, 10000)
    assert.strictEqual(m.count(Buffer.from([0])), 10000)
    m.set(9999, 0x21)
    m.flush()
    assert.strictEqual(fs.readFileSync(file)[9999], 0x21)
  })

  it('create: true with size extends a smaller file and keeps its bytes', function () {
    const file = fileWith('hello')
    const m = track(mmap.open(file, { create: true, size: 100 }))
    assert.strictEqual(m.length, 100)
    assert.strictEqual(fs.statSync(file).size, 100)
    assert.strictEqual(m.slice(0, 6).toString('latin1'), 'hello\0')
  })

  it('create: true with size never shrinks a larger file', function () {
    const data = pattern(5000)
    const file = fileWith(data)
    const m = track(mmap.open(file, { create: true, size: 10, access: ACCESS_WRITE }))
    assert.strictEqual(m.length, 5000)
    assert.strictEqual(fs.statSync(file).size, 5000)
    assert.deepStrictEqual(fs.readFileSync(file), data)
  })

  it('create: true with size works with ACCESS_READ and ACCESS_COPY', function () {
    for (const access of [ACCESS_READ, ACCESS_COPY]) {
      const file = missingPath()
      const m = track(mmap.open(file, { create: true, size: 4096, access }))
      assert.strictEqual(m.length, 4096)
      assert.strictEqual(fs.statSync(file).size, 4096)
    }
  })

  it('create: true accepts a bigint size', function () {
    const file = missingPath()
    const m = track(mmap.open(file, { create: true, size: 4096n }))
    assert.strictEqual(m.length, 4096)
  })

  it('create: true without size on a missing file gives an empty map', function () {
    const file = missingPath()
    const m = track(mmap.open(file, { create: true }))
    assert.strictEqual(m.length, 0)
    assert.strictEqual(fs.statSync(file).size, 0)
  })

  it('create: true without size leaves an existing file as it is', function () {
    const file = fileWith('hello')
    const m = track(mmap.open(file, { create: true }))
    assert.strictEqual(m.slice().toString(), 'hello')
    assert.strictEqual(fs.statSync(file).size, 5)
  })

  it('create: true with size and an offset maps from the offset to the new end', function () {
    const file = missingPath()
    const m = track(mmap.open(file, { create: true, size: 3 * PAGESIZE, offset: PAGESIZE + 5 }))
    assert.strictEqual(m.length, 2 * PAGESIZE - 5)
  })

  it('rejects size without create with ERR_INVALID_ARG_VALUE and creates nothing', function () {
    const file = missingPath()
    for (const options of [{ size: 10 }, { size: 0 }, { size: 10, create: false }]) {
      assert.throws(() => mmap.open(file, options), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' })
    }
    assert.strictEqual(fs.existsSync(file), false)
  })

  it('rejects a negative or non-integer size', function () {
    const file = missingPath()
    assert.throws(() => mmap.open(file, { create: true, size: -1 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
    assert.throws(() => mmap.open(file, { create: true, size: 1.5 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
    assert.throws(() => mmap.open(file, { create: true, size: '10' }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
    assert.strictEqual(fs.existsSync(file), false)
  })

  it('rejects a create that is not a boolean with ERR_INVALID_ARG_TYPE', function () {
    const file = missingPath()
    for (const create of [1, 'yes', null]) {
      assert.throws(() => mmap.open(file, { create }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
    }
    assert.strictEqual(fs.existsSync(file), false)
  })
})

describe('open(): paths and errors', function () {
  afterEach(cleanup)

  it('fails on a missing file with ENOENT, the path and syscall open, as node:fs does', function () {
    const file = missingPath()
    const fsErr = captureThrow(() => fs.openSync(file, 'r'))
    const err = captureThrow(() => mmap.open(file))
    assert.strictEqual(err.constructor, Error)
    assert.strictEqual(err.code, 'ENOENT')
    assert.strictEqual(err.errno, errnoOf('ENOENT'))
    assert.strictEqual(err.errno, fsErr.errno)
    assert.strictEqual(err.syscall, 'open')
    assert.strictEqual(err.path, file)
    assert.strictEqual(err.message, fsErr.message)
    assert.strictEqual(err.message, `ENOENT: no such file or directory, open '${file}'`)
  })

  it('fails on a missing file with ENOENT for every access', function () {
    const file = missingPath()
    for (const access of [ACCESS_DEFAULT, ACCESS_READ, ACCESS_WRITE, ACCESS_COPY]) {
      const err = captureThrow(() => mmap.open(file, { access }))
      assert.strictEqual(err.code, 'ENOENT')
      assert.strictEqual(err.path, file)
    }
  })

  it('gives an OS error from mapping the path on the error', function () {
    // A directory opens read-only, but cannot be mapped to its end.
    const dir = fs.mkdtempSync(path.join(tempDir(), 'open-dir-'))
    const err = captureThrow(() => mmap.open(dir))
    fs.rmdirSync(dir)
    assert.strictEqual(err.constructor, Error)
    assert.strictEqual(err.code, 'EINVAL')
    assert.strictEqual(err.syscall, 'mmap')
    assert.strictEqual(err.path, dir)
  })

  it('rejects paths of other types with ERR_INVALID_ARG_TYPE', function () {
    for (const p of [3, null, undefined, {}, true, [], Symbol('p'), new Uint16Array(2)]) {
      assert.throws(() => mmap.open(p), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
    }
  })

  it('rejects a path with a NUL byte with a coded error', function () {
    assert.throws(() => mmap.open('/tmp/x\0y'), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' })
  })

  it('rejects options that are not an object with ERR_INVALID_ARG_TYPE', function () {
    const file = fileWith('hello')
    for (const options of ['r', 1, true]) {
      assert.throws(() => mmap.open(file, options), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
    }
  })

  it('opens a file: URL', function () {
    const file = fileWith('from a url')
    const m = track(mmap.open(pathToFileURL(file)))
    assert.strictEqual(m.slice().toString(), 'from a url')
  })

  it('opens a Buffer path', function () {
    const file = fileWith('from a buffer')
    const m = track(mmap.open(Buffer.from(file)))
    assert.strictEqual(m.slice().toString(), 'from a buffer')
  })

  it('creates a file from a URL path', function () {
    const file = missingPath()
    const m = track(mmap.open(pathToFileURL(file), { create: true, size: 16, access: ACCESS_WRITE }))
    m.write(Buffer.from('url'))
    m.flush()
    assert.strictEqual(fs.readFileSync(file, 'latin1').slice(0, 3), 'url')
  })
})

describe('open(): the descriptor', function () {
  afterEach(cleanup)

  beforeEach(function () {
    posixOnly(this, 'counts descriptors in /proc/self/fd (windows.test.js: a closed map lets the file be deleted)')
  })

  it('holds exactly one descriptor, which close() closes', function () {
    const file = fileWith('hello')
    for (const access of [ACCESS_READ, ACCESS_WRITE, ACCESS_COPY]) {
      const before = openFds()
      const m = mmap.open(file, { access })
      const added = newFds(before)
      assert.strictEqual(added.length, 1)
      assert.strictEqual(fs.readlinkSync(`/proc/self/fd/${added[0]}`), file)
      m.close()
      assert.deepStrictEqual(newFds(before), [])
    }
  })

  it('closes the descriptor on Symbol.dispose', function () {
    const file = fileWith('hello')
    const [m, fd] = openedFd(() => mmap.open(file))
    m[Symbol.dispose]()
    assert.strictEqual(m.closed, true)
    assert.strictEqual(openFds().includes(fd), false)
  })

  it('keeps the descriptor for size() and resize(), even with trackfd: false', function () {
    const file = fileWith('hello')
    const [m, fd] = openedFd(() => mmap.open(file, { access: ACCESS_WRITE, trackfd: false }))
    assert.strictEqual(m.size(), 5)
    m.resize(10)
    assert.strictEqual(fs.statSync(file).size, 10)
    m.close()
    assert.strictEqual(openFds().includes(fd), false)
  })

  it('opens the descriptor close-on-exec', function () {
    const file = fileWith('hello')
    const [, fd] = openedFd(() => mmap.open(file))
    assert.strictEqual(fdFlags(fd) & 0o2000000, 0o2000000)
  })

  for (const [title, options] of [
    ['an offset past the end', { offset: 1000 }],
    ['a length past the end', { length: 1000 }],
    ['an invalid access', { access: 4 }],
    ['access with flags', { access: ACCESS_WRITE, flags: MAP_PRIVATE }],
    ['a tagname on POSIX', { tagname: 'x' }],
    ['a trackfd that is not a boolean', { trackfd: 1 }],
    ['a length of the wrong type', { length: '5' }]
  ]) {
    it(`does not leak the descriptor when the map fails (${title})`, function () {
      const file = fileWith('hello')
      const before = openFds()
      assert.throws(() => mmap.open(file, options))
      assert.deepStrictEqual(newFds(before), [])
    })
  }

  it('does not leak the descriptor when mmap itself fails', function () {
    const dir = fs.mkdtempSync(path.join(tempDir(), 'open-dir-'))
    const before = openFds()
    assert.throws(() => mmap.open(dir), { code: 'EINVAL' })
    assert.deepStrictEqual(newFds(before), [])
    fs.rmdirSync(dir)
  })

  it('does not leak the descriptor when creating with a size fails', function () {
    const file = missingPath()
    const before = openFds()
    assert.throws(() => mmap.open(file, { create: true, size: 100, offset: 200 }), { code: 'ERR_OUT_OF_RANGE' })
    assert.deepStrictEqual(newFds(before), [])
  })
})
