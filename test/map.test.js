'use strict'
// map.test.js: new Mmap(fd, length, options): every option, Python's validation order, any offset, 6 GiB maps.
const assert = require('assert')
const fs = require('fs')
const util = require('util')
const { constants: bufferConstants } = require('buffer')
const mmap = require('..')
const {
  tempFile, sparseFile, removeFile, runChild, captureThrow, skip, posixOnly, resources,
  pattern, errnoOf, openFds, newFds, fdFlags, needs64Bit
} = require('./helpers')

const { Mmap } = mmap
const {
  ACCESS_DEFAULT, ACCESS_READ, ACCESS_WRITE, ACCESS_COPY, PAGESIZE,
  PROT_READ, PROT_WRITE, MAP_SHARED, MAP_PRIVATE, MAP_POPULATE, MAP_NORESERVE
} = mmap
const GiB = 2 ** 30
const MAX_VIEW = bufferConstants.MAX_LENGTH
const isWindows = process.platform === 'win32'

function readAt (fd, position, length) {
  const buf = Buffer.alloc(length)
  assert.strictEqual(fs.readSync(fd, buf, 0, length, position), length)
  return buf
}

// The maps, descriptors and files a test made, given back by cleanup() (each describe's
// afterEach); a descriptor a test closed itself is no error.
const res = resources({ ignoreClosedFds: true })
const { files, fds, track, cleanup } = res

// A temp file holding contents, opened with flags; cleaned up in afterEach.
function fileWith (contents, flags = 'r+') {
  const file = res.file(contents)
  return { file, fd: res.openFd(file, flags) }
}

describe('new Mmap(): file maps', function () {
  afterEach(cleanup)

  it('maps the whole file when length is 0', function () {
    const data = pattern(10000)
    const { fd } = fileWith(data)
    const m = track(new Mmap(fd, 0))
    assert.strictEqual(m.length, 10000)
    assert.deepStrictEqual(m.slice(), data)
    assert.strictEqual(m.size(), 10000)
  })

  it('maps the first length bytes when length is given', function () {
    const data = pattern(10000)
    const { fd } = fileWith(data)
    const m = track(new Mmap(fd, 5000))
    assert.strictEqual(m.length, 5000)
    assert.deepStrictEqual(m.slice(), data.subarray(0, 5000))
    assert.strictEqual(m.size(), 10000)
  })

  it('maps an empty file as a length-0 map', function () {
    const { fd } = fileWith('')
    const m = track(new Mmap(fd, 0))
    assert.strictEqual(m.length, 0)
    assert.strictEqual(m.buffer.byteLength, 0)
    assert.strictEqual(m.slice().length, 0)
    assert.strictEqual(m.size(), 0)
  })

  it('maps offset == file size with length 0 as a length-0 map', function () {
    const { fd } = fileWith(pattern(4096))
    const m = track(new Mmap(fd, 0, { offset: 4096 }))
    assert.strictEqual(m.length, 0)
    assert.strictEqual(m.size(), 4096)
  })

  it('maps from offset to the end when length is 0', function () {
    const data = pattern(3 * PAGESIZE)
    const { fd } = fileWith(data)
    const m = track(new Mmap(fd, 0, { offset: PAGESIZE }))
    assert.strictEqual(m.length, 2 * PAGESIZE)
    assert.deepStrictEqual(m.slice(), data.subarray(PAGESIZE))
  })

  it('maps a length that ends exactly at the end of the file', function () {
    const data = pattern(3 * PAGESIZE)
    const { fd } = fileWith(data)
    const m = track(new Mmap(fd, PAGESIZE, { offset: 2 * PAGESIZE }))
    assert.strictEqual(m.length, PAGESIZE)
    assert.deepStrictEqual(m.slice(), data.subarray(2 * PAGESIZE))
  })

  it('accepts bigints for fd, length and offset', function () {
    const data = pattern(3 * PAGESIZE)
    const { fd } = fileWith(data)
    const m = track(new Mmap(BigInt(fd), 100n, { offset: BigInt(PAGESIZE + 1) }))
    assert.strictEqual(m.length, 100)
    assert.deepStrictEqual(m.slice(), data.subarray(PAGESIZE + 1, PAGESIZE + 101))
    const whole = track(new Mmap(BigInt(fd), 0n, { offset: 0n }))
    assert.strictEqual(whole.length, 3 * PAGESIZE)
  })

  it('accepts bigints for access, flags and prot', function () {
    posixOnly(this, 'Windows has no flags or prot (windows.test.js: access as a bigint)')
    const { file, fd } = fileWith('abc')
    const m = track(new Mmap(fd, 0, { flags: BigInt(MAP_SHARED), prot: BigInt(PROT_READ | PROT_WRITE) }))
    m.set(0, 0x41)
    const w = track(new Mmap(fd, 0, { access: BigInt(ACCESS_WRITE) }))
    w.set(1, 0x42)
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'ABc')
  })

  it('accepts null and undefined as "no options"', function () {
    const { fd } = fileWith('abc')
    assert.strictEqual(track(new Mmap(fd, 0, null)).length, 3)
    assert.strictEqual(track(new Mmap(fd, 0, undefined)).length, 3)
    assert.strictEqual(track(new Mmap(fd, 0, {})).length, 3)
  })

  it('maps a character device with an explicit length (/dev/zero)', function () {
    posixOnly(this, 'Windows has no /dev/zero')
    const fd = fs.openSync('/dev/zero', 'r+')
    fds.push(fd)
    const m = track(new Mmap(fd, 8192))
    assert.strictEqual(m.length, 8192)
    assert.strictEqual(m.count(Buffer.from([0])), 8192)
  })

  it('does not close the caller\'s descriptor on close()', function () {
    const { fd } = fileWith('abc')
    const m = new Mmap(fd, 0)
    m.close()
    assert.strictEqual(fs.fstatSync(fd).size, 3)
  })
})

describe('new Mmap(): access', function () {
  afterEach(cleanup)

  it('ACCESS_DEFAULT (0) maps shared and writable: writes reach the file', function () {
    const { file, fd } = fileWith('hello world')
    const m = track(new Mmap(fd, 0, { access: ACCESS_DEFAULT }))
    m.set(0, 0x48)
    m.subarray(6, 7)[0] = 0x57
    m.flush()
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'Hello World')
  })

  it('ACCESS_READ (1) maps read-only: the module\'s mutators throw ERR_MMAP_READONLY', function () {
    const { file, fd } = fileWith('hello world')
    const m = track(new Mmap(fd, 0, { access: ACCESS_READ }))
    assert.strictEqual(m.slice().toString(), 'hello world')
    assert.throws(() => m.set(0, 1), { name: 'TypeError', code: 'ERR_MMAP_READONLY' })
    assert.throws(() => m.write(Buffer.from('x')), { name: 'TypeError', code: 'ERR_MMAP_READONLY' })
    assert.throws(() => m.writeByte(1), { name: 'TypeError', code: 'ERR_MMAP_READONLY' })
    assert.throws(() => m.setSlice(0, 1, Buffer.from('x')), { name: 'TypeError', code: 'ERR_MMAP_READONLY' })
    assert.throws(() => m.move(0, 1, 1), { name: 'TypeError', code: 'ERR_MMAP_READONLY' })
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'hello world')
  })

  it('ACCESS_WRITE (2) maps shared and writable: writes reach the file', function () {
    const { file, fd } = fileWith('hello world')
    const m = track(new Mmap(fd, 0, { access: ACCESS_WRITE }))
    m.write(Buffer.from('J'))
    new Uint8Array(m.buffer)[10] = 0x44
    m.flush()
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'Jello worlD')
  })

  it('ACCESS_COPY (3) is writable but its writes never reach the file nor other maps', function () {
    const { file, fd } = fileWith('hello world')
    const shared = track(new Mmap(fd, 0))
    const m = track(new Mmap(fd, 0, { access: ACCESS_COPY }))
    m.set(0, 0x48)
    m.write(Buffer.from('J'))
    m.subarray(6, 7)[0] = 0x57
    m.flush()
    assert.strictEqual(m.slice().toString(), 'Jello World')
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'hello world')
    assert.strictEqual(shared.slice().toString(), 'hello world')
  })

  it('maps of the same file with shared access see each other\'s writes', function () {
    const { fd } = fileWith('hello world')
    const a = track(new Mmap(fd, 0, { access: ACCESS_WRITE }))
    const b = track(new Mmap(fd, 0))
    a.set(0, 0x59)
    assert.strictEqual(b.get(0), 0x59)
  })

  it('rejects access 4 and -1 with ERR_INVALID_ARG_VALUE', function () {
    const { fd } = fileWith('abc')
    for (const access of [4, -1, 100, 4n]) {
      assert.throws(() => new Mmap(fd, 0, { access }), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' })
      assert.throws(() => new Mmap(-1, 10, { access }), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' })
    }
  })

  it('rejects access together with non-default flags', function () {
    const { fd } = fileWith('abc')
    if (isWindows) {
      // Windows has no flags at all: any is refused, with or without access.
      for (const access of [ACCESS_READ, ACCESS_WRITE, ACCESS_COPY]) {
        const err = captureThrow(() => new Mmap(fd, 0, { access, flags: 2 }))
        assert.strictEqual(err.name, 'TypeError')
        assert.strictEqual(err.code, 'ERR_INVALID_ARG_VALUE')
        assert.match(err.message, /flags or prot/)
      }
      return
    }
    for (const access of [ACCESS_READ, ACCESS_WRITE, ACCESS_COPY]) {
      for (const flags of [MAP_PRIVATE, MAP_SHARED | MAP_POPULATE]) {
        const err = captureThrow(() => new Mmap(fd, 0, { access, flags }))
        assert.strictEqual(err.name, 'TypeError')
        assert.strictEqual(err.code, 'ERR_INVALID_ARG_VALUE')
        assert.match(err.message, /access/)
      }
    }
  })

  it('rejects access together with non-default prot', function () {
    const { fd } = fileWith('abc')
    for (const access of [ACCESS_READ, ACCESS_WRITE, ACCESS_COPY]) {
      // Windows has no prot at all: any is refused (1, 2, 0 are PROT_READ, PROT_WRITE and 0 on POSIX).
      for (const prot of isWindows ? [1, 2, 0] : [PROT_READ, PROT_WRITE, 0]) {
        assert.throws(() => new Mmap(fd, 0, { access, prot }), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' })
      }
    }
  })

  it('accepts access with flags and prot given at their default values', function () {
    posixOnly(this, 'Windows refuses flags and prot even at their defaults')
    const { file, fd } = fileWith('hello')
    const copy = track(new Mmap(fd, 0, { access: ACCESS_COPY, flags: MAP_SHARED }))
    copy.set(0, 0x48)
    const ro = track(new Mmap(fd, 0, { access: ACCESS_READ, prot: PROT_READ | PROT_WRITE }))
    assert.throws(() => ro.set(0, 1), { code: 'ERR_MMAP_READONLY' })
    const w = track(new Mmap(fd, 0, { access: ACCESS_WRITE, flags: MAP_SHARED, prot: PROT_READ | PROT_WRITE }))
    w.set(4, 0x4f)
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'hellO')
    assert.strictEqual(copy.slice().toString(), 'Hello')
  })

  it('accepts an explicit ACCESS_DEFAULT together with any flags and prot', function () {
    posixOnly(this, 'Windows has no flags or prot')
    const { file, fd } = fileWith('hello')
    const m = track(new Mmap(fd, 0, { access: ACCESS_DEFAULT, flags: MAP_PRIVATE, prot: PROT_READ | PROT_WRITE }))
    m.set(0, 0x48)
    assert.strictEqual(m.slice().toString(), 'Hello')
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'hello')
  })
})

describe('new Mmap(): flags and prot', function () {
  afterEach(cleanup)

  beforeEach(function () {
    posixOnly(this, 'Windows has no flags or prot (windows.test.js: both are refused; ACCESS_READ views stay private)')
  })

  it('MAP_SHARED (the default) writes reach the file', function () {
    const { file, fd } = fileWith('hello')
    const m = track(new Mmap(fd, 0, { flags: MAP_SHARED }))
    m.set(0, 0x48)
    m.flush()
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'Hello')
  })

  it('MAP_PRIVATE with default access stays writable and private', function () {
    const { file, fd } = fileWith('hello')
    const shared = track(new Mmap(fd, 0))
    const m = track(new Mmap(fd, 0, { flags: MAP_PRIVATE }))
    m.set(0, 0x48)
    m.write(Buffer.from('J'))
    m.setSlice(1, 2, Buffer.from('E'))
    m.subarray(4, 5)[0] = 0x4f
    m.flush()
    assert.strictEqual(m.slice().toString(), 'JEllO')
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'hello')
    assert.strictEqual(shared.slice().toString(), 'hello')
  })

  it('MAP_SHARED | MAP_POPULATE maps shared: writes reach the file', function () {
    const { file, fd } = fileWith('hello')
    const m = track(new Mmap(fd, 0, { flags: MAP_SHARED | MAP_POPULATE }))
    assert.strictEqual(m.slice().toString(), 'hello')
    m.set(1, 0x45)
    m.flush()
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'hEllo')
  })

  it('MAP_SHARED | MAP_NORESERVE maps shared: writes reach the file', function () {
    const { file, fd } = fileWith('hello')
    const m = track(new Mmap(fd, 0, { flags: MAP_SHARED | MAP_NORESERVE }))
    m.set(2, 0x4c)
    m.flush()
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'heLlo')
  })

  it('MAP_PRIVATE | MAP_POPULATE maps private: writes stay in the map', function () {
    const { file, fd } = fileWith('hello')
    const m = track(new Mmap(fd, 0, { flags: MAP_PRIVATE | MAP_POPULATE }))
    m.set(3, 0x4c)
    assert.strictEqual(m.slice().toString(), 'helLo')
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'hello')
  })

  it('rejects flags 0 (neither shared nor private) with EINVAL from mmap', function () {
    const { fd } = fileWith('hello')
    for (const make of [() => new Mmap(fd, 0, { flags: 0 }), () => new Mmap(-1, 10, { flags: 0 })]) {
      const err = captureThrow(make)
      assert.strictEqual(err.constructor, Error)
      assert.strictEqual(err.code, 'EINVAL')
      assert.strictEqual(err.syscall, 'mmap')
    }
  })

  it('PROT_READ | PROT_WRITE (the default) writes reach the file', function () {
    const { file, fd } = fileWith('hello')
    const m = track(new Mmap(fd, 0, { prot: PROT_READ | PROT_WRITE }))
    m.set(0, 0x48)
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'Hello')
  })

  it('PROT_READ makes a read-only map', function () {
    const { file, fd } = fileWith('hello')
    const m = track(new Mmap(fd, 0, { prot: PROT_READ }))
    assert.strictEqual(m.slice().toString(), 'hello')
    assert.throws(() => m.set(0, 1), { name: 'TypeError', code: 'ERR_MMAP_READONLY' })
    assert.throws(() => m.write(Buffer.from('x')), { name: 'TypeError', code: 'ERR_MMAP_READONLY' })
    assert.throws(() => m.resize(10), { name: 'TypeError', code: 'ERR_MMAP_READONLY' })
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'hello')
  })

  it('PROT_READ with MAP_PRIVATE makes a read-only map', function () {
    const { fd } = fileWith('hello')
    const m = track(new Mmap(fd, 0, { flags: MAP_PRIVATE, prot: PROT_READ }))
    assert.throws(() => m.set(0, 1), { name: 'TypeError', code: 'ERR_MMAP_READONLY' })
  })

  it('PROT_WRITE alone makes a writable shared map (ACCESS_WRITE): writes reach the file', function () {
    const { file, fd } = fileWith('hello')
    const m = track(new Mmap(fd, 0, { prot: PROT_WRITE }))
    m.set(0, 0x48)
    m.flush()
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'Hello')
    assert.strictEqual(m.get(0), 0x48)
  })

  it('writes through a view of a PROT_READ or ACCESS_READ map neither crash nor reach the file', function () {
    const { file } = fileWith('hello')
    const r = runChild(`
      const fs = require('fs')
      const mmap = require(MMAP)
      const fd = fs.openSync(${JSON.stringify(file)}, 'r+')
      const other = new mmap.Mmap(fd, 0)
      const a = new mmap.Mmap(fd, 0, { prot: mmap.PROT_READ })
      a.subarray()[0] = 0x41
      const b = new mmap.Mmap(fd, 0, { access: mmap.ACCESS_READ })
      new Uint8Array(b.buffer)[1] = 0x42
      a.flush()
      b.flush()
      console.log(fs.readFileSync(${JSON.stringify(file)}, 'latin1') + ' ' + other.slice().toString())
    `)
    assert.strictEqual(r.stderr, '')
    assert.strictEqual(r.status, 0)
    assert.strictEqual(r.stdout, 'hello hello\n')
  })
})

describe('new Mmap(): read-only descriptors', function () {
  afterEach(cleanup)

  it('maps a read-only fd with ACCESS_READ, ACCESS_COPY and MAP_PRIVATE', function () {
    const { fd } = fileWith('hello', 'r')
    assert.strictEqual(track(new Mmap(fd, 0, { access: ACCESS_READ })).slice().toString(), 'hello')
    const copy = track(new Mmap(fd, 0, { access: ACCESS_COPY }))
    copy.set(0, 0x48)
    assert.strictEqual(copy.slice().toString(), 'Hello')
    if (isWindows) return // no MAP_PRIVATE on Windows
    const priv = track(new Mmap(fd, 0, { flags: MAP_PRIVATE }))
    priv.set(0, 0x4a)
    assert.strictEqual(priv.slice().toString(), 'Jello')
  })

  for (const [title, options] of [
    ['default access', undefined],
    ['ACCESS_WRITE', { access: ACCESS_WRITE }],
    ['PROT_WRITE with MAP_SHARED', { prot: PROT_WRITE }]
  ]) {
    it(`fails with EACCES from mmap for a read-only fd and ${title}`, function () {
      if (options && options.prot !== undefined) posixOnly(this, 'Windows has no prot')
      const { fd } = fileWith('hello', 'r')
      const err = captureThrow(() => new Mmap(fd, 0, options))
      assert.strictEqual(err.constructor, Error)
      assert.strictEqual(err.code, 'EACCES')
      assert.strictEqual(err.syscall, 'mmap')
      assert.strictEqual(err.errno, errnoOf('EACCES'))
      assert.strictEqual(err.message, 'EACCES: permission denied, mmap')
    })
  }

  it('does not leak its duplicate descriptor when mmap fails', function () {
    posixOnly(this, 'needs /proc/self/fd')
    const { fd } = fileWith('hello', 'r')
    const before = openFds()
    assert.throws(() => new Mmap(fd, 0), { code: 'EACCES' })
    assert.deepStrictEqual(newFds(before), [])
  })
})

describe('new Mmap(): anonymous maps', function () {
  afterEach(cleanup)

  it('maps zero-filled anonymous memory with fd -1', function () {
    const m = track(new Mmap(-1, 10000))
    assert.strictEqual(m.length, 10000)
    assert.strictEqual(m.count(Buffer.from([0])), 10000)
    m.set(9999, 7)
    assert.strictEqual(m.get(9999), 7)
    assert.strictEqual(m.size(), 10000)
  })

  it('accepts a bigint fd -1n and length', function () {
    const m = track(new Mmap(-1n, 100n))
    assert.strictEqual(m.length, 100)
  })

  it('maps private anonymous memory with MAP_PRIVATE', function () {
    posixOnly(this, 'Windows has no MAP_PRIVATE')
    const m = track(new Mmap(-1, 4096, { flags: MAP_PRIVATE }))
    m.write(Buffer.from('abc'))
    assert.strictEqual(m.slice(0, 3).toString(), 'abc')
    assert.strictEqual(m.size(), 4096)
  })

  it('maps anonymous memory with each access mode', function () {
    for (const access of [ACCESS_DEFAULT, ACCESS_WRITE, ACCESS_COPY]) {
      const m = track(new Mmap(-1, 16, { access }))
      m.set(0, 1)
      assert.strictEqual(m.get(0), 1)
    }
    const ro = track(new Mmap(-1, 16, { access: ACCESS_READ }))
    assert.strictEqual(ro.get(0), 0)
    assert.throws(() => ro.set(0, 1), { name: 'TypeError', code: 'ERR_MMAP_READONLY' })
  })

  it('accepts any offset for an anonymous map', function () {
    const m = track(new Mmap(-1, 100, { offset: PAGESIZE + 1 }))
    assert.strictEqual(m.length, 100)
    assert.strictEqual(m.get(99), 0)
  })

  it('rejects length 0 with EINVAL from mmap (as Python)', function () {
    for (const length of [0, 0n]) {
      const err = captureThrow(() => new Mmap(-1, length))
      assert.strictEqual(err.constructor, Error)
      assert.strictEqual(err.code, 'EINVAL')
      assert.strictEqual(err.syscall, 'mmap')
      assert.strictEqual(err.errno, errnoOf('EINVAL'))
      assert.strictEqual(err.message, 'EINVAL: invalid argument, mmap')
    }
  })

  it('rejects a length Python cannot convert (2n ** 64n) with ERR_OUT_OF_RANGE', function () {
    assert.throws(() => new Mmap(-1, 2n ** 64n), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
  })

  it('rejects an offset Python cannot convert (2n ** 64n) with ERR_OUT_OF_RANGE', function () {
    assert.throws(() => new Mmap(-1, 10, { offset: 2n ** 64n }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
  })
})

describe('new Mmap(): FileHandle', function () {
  afterEach(cleanup)

  it('maps a FileHandle from fs.promises.open', async function () {
    const file = tempFile('hello')
    files.push(file)
    const fh = await fs.promises.open(file, 'r+')
    try {
      const m = track(new Mmap(fh, 0))
      assert.strictEqual(m.slice().toString(), 'hello')
      m.set(0, 0x48)
      m.flush()
      assert.strictEqual(fs.readFileSync(file, 'latin1'), 'Hello')
    } finally {
      await fh.close()
    }
  })

  it('keeps working after the FileHandle is closed (trackfd)', async function () {
    const file = tempFile('hello')
    files.push(file)
    const fh = await fs.promises.open(file, 'r+')
    const m = track(new Mmap(fh, 0))
    await fh.close()
    m.set(4, 0x4f)
    m.flush()
    assert.strictEqual(m.size(), 5)
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'hellO')
  })

  it('rejects a closed FileHandle with EBADF (never anonymous memory)', async function () {
    const file = tempFile('hello')
    files.push(file)
    const fh = await fs.promises.open(file, 'r+')
    await fh.close()
    for (const length of [0, 4096]) {
      const err = captureThrow(() => new Mmap(fh, length))
      assert.strictEqual(err.constructor, Error)
      assert.strictEqual(err.code, 'EBADF')
      assert.strictEqual(err.syscall, 'fstat')
      assert.strictEqual(util.getSystemErrorName(err.errno), 'EBADF')
    }
  })

  it('rejects an object whose fd is not a number with ERR_INVALID_ARG_TYPE', function () {
    for (const fd of [{ fd: '3' }, { fd: null }, { fd: 3n }, { fd: undefined }]) {
      assert.throws(() => new Mmap(fd, 10), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
    }
  })
})

describe('new Mmap(): trackfd', function () {
  afterEach(cleanup)

  it('trackfd: true (the default) duplicates the fd: the caller may close theirs', function () {
    const { file } = fileWith('hello')
    const fd = fs.openSync(file, 'r+')
    const m = track(new Mmap(fd, 0, { trackfd: true }))
    fs.closeSync(fd)
    m.set(0, 0x48)
    m.flush()
    assert.strictEqual(m.size(), 5)
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'Hello')
  })

  it('trackfd: true holds one close-on-exec descriptor until close()', function () {
    posixOnly(this, 'needs /proc/self/fd and /proc/self/fdinfo')
    const { fd } = fileWith('hello')
    const before = openFds()
    const m = new Mmap(fd, 0)
    const added = newFds(before)
    assert.strictEqual(added.length, 1)
    assert.strictEqual(fdFlags(added[0]) & 0o2000000, 0o2000000)
    m.close()
    assert.deepStrictEqual(newFds(before), [])
  })

  it('trackfd: false holds no descriptor; the map keeps working after the caller closes the fd', function () {
    const { file } = fileWith('hello')
    const fd = fs.openSync(file, 'r+')
    // Windows: no /proc/self/fd to count descriptors in; the rest holds.
    const before = isWindows ? [] : openFds()
    const m = track(new Mmap(fd, 0, { trackfd: false }))
    if (!isWindows) assert.deepStrictEqual(newFds(before), [])
    fs.closeSync(fd)
    m.set(0, 0x48)
    m.flush()
    assert.strictEqual(m.slice().toString(), 'Hello')
    assert.strictEqual(fs.readFileSync(file, 'latin1'), 'Hello')
  })

  it('trackfd: false makes size() fail with EBADF from fstat', function () {
    const { fd } = fileWith('hello')
    const m = track(new Mmap(fd, 0, { trackfd: false }))
    const err = captureThrow(() => m.size())
    assert.strictEqual(err.constructor, Error)
    assert.strictEqual(err.code, 'EBADF')
    assert.strictEqual(err.syscall, 'fstat')
    assert.strictEqual(err.errno, errnoOf('EBADF'))
    assert.match(err.message, /^EBADF: bad file descriptor, fstat/)
  })

  it('rejects a trackfd that is not a boolean with ERR_INVALID_ARG_TYPE', function () {
    const { fd } = fileWith('hello')
    for (const trackfd of [1, 0, 'true', null, {}]) {
      assert.throws(() => new Mmap(fd, 0, { trackfd }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
    }
  })
})

describe('new Mmap(): any offset', function () {
  afterEach(cleanup)

  const size = 5 * PAGESIZE + 123
  const offsets = [1, 17, PAGESIZE - 1, PAGESIZE, PAGESIZE + 1, 2 * PAGESIZE - 1, 3 * PAGESIZE + 17, size - 1]

  for (const offset of offsets) {
    it(`shows exactly the file's bytes from offset ${offset}`, function () {
      const data = pattern(size)
      const { fd } = fileWith(data)
      const m = track(new Mmap(fd, 0, { offset }))
      assert.strictEqual(m.length, size - offset)
      assert.deepStrictEqual(m.slice(), data.subarray(offset))
      assert.deepStrictEqual(Buffer.from(m.subarray()), data.subarray(offset))
      assert.strictEqual(m.get(0), data[offset])
      assert.strictEqual(m.get(-1), data[size - 1])
      const length = Math.min(100, size - offset)
      const part = track(new Mmap(fd, length, { offset }))
      assert.deepStrictEqual(part.slice(), data.subarray(offset, offset + length))
    })

    it(`writes land at the right file position with offset ${offset}`, function () {
      const data = pattern(size)
      const { file, fd } = fileWith(data)
      const m = track(new Mmap(fd, 0, { offset }))
      const expected = Buffer.from(data)
      m.set(0, 0xf0)
      expected[offset] = 0xf0
      m.set(m.length - 1, 0xf1)
      expected[size - 1] = 0xf1
      if (m.length > 3) {
        m.subarray(2, 3)[0] = 0xf2
        expected[offset + 2] = 0xf2
      }
      m.flush()
      assert.deepStrictEqual(fs.readFileSync(file), expected)
    })
  }

  it('writes through an ACCESS_COPY map at an unaligned offset stay private', function () {
    const data = pattern(size)
    const { file, fd } = fileWith(data)
    const m = track(new Mmap(fd, 0, { access: ACCESS_COPY, offset: 3 * PAGESIZE + 17 }))
    m.set(0, 0xee)
    assert.strictEqual(m.get(0), 0xee)
    assert.deepStrictEqual(fs.readFileSync(file), data)
  })

  it('a bigint offset gives the same bytes as a number offset', function () {
    const data = pattern(size)
    const { fd } = fileWith(data)
    const a = track(new Mmap(fd, 0, { offset: 4097 }))
    const b = track(new Mmap(fd, 0, { offset: 4097n }))
    assert.deepStrictEqual(a.slice(), b.slice())
  })
})

describe('new Mmap(): errors and validation order', function () {
  afterEach(cleanup)

  it('rejects a negative length with ERR_OUT_OF_RANGE', function () {
    const { fd } = fileWith('hello')
    for (const [f, length] of [[fd, -1], [-1, -1], [fd, -1n], [-1, -(2 ** 40)]]) {
      const err = captureThrow(() => new Mmap(f, length))
      assert.strictEqual(err.name, 'RangeError')
      assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE')
      assert.match(err.message, /length/)
    }
  })

  it('rejects a negative offset with ERR_OUT_OF_RANGE, also for anonymous maps', function () {
    const { fd } = fileWith('hello')
    for (const f of [fd, -1]) {
      const err = captureThrow(() => new Mmap(f, 1, { offset: -1 }))
      assert.strictEqual(err.name, 'RangeError')
      assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE')
      assert.match(err.message, /offset/)
    }
  })

  it('checks a negative length before a negative offset', function () {
    const err = captureThrow(() => new Mmap(-1, -1, { offset: -1 }))
    assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE')
    assert.match(err.message, /"length"/)
  })

  it('checks a negative offset before access and flags', function () {
    for (const options of [{ offset: -1, access: 4 }, { offset: -1, access: ACCESS_READ, flags: MAP_PRIVATE }]) {
      const err = captureThrow(() => new Mmap(-1, 1, options))
      assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE')
      assert.match(err.message, /offset/)
    }
  })

  it('checks a negative length before a bad descriptor', function () {
    assert.throws(() => new Mmap(-2, -1), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
  })

  it('checks access before the descriptor and the file size', function () {
    const { fd } = fileWith('hello')
    assert.throws(() => new Mmap(-2, 10, { access: 4 }), { code: 'ERR_INVALID_ARG_VALUE' })
    assert.throws(() => new Mmap(fd, 100, { access: 4 }), { code: 'ERR_INVALID_ARG_VALUE' })
    // (1 and 2 are PROT_READ and MAP_PRIVATE on POSIX; Windows refuses any flags or prot.)
    assert.throws(() => new Mmap(fd, 100, { access: ACCESS_READ, flags: isWindows ? 2 : MAP_PRIVATE }), { code: 'ERR_INVALID_ARG_VALUE' })
    assert.throws(() => new Mmap(fd, 0, { offset: 100, access: ACCESS_COPY, prot: isWindows ? 1 : PROT_READ }), { code: 'ERR_INVALID_ARG_VALUE' })
  })

  it('checks argument types before any value', function () {
    assert.throws(() => new Mmap(-1, -1, { offset: '1' }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
    assert.throws(() => new Mmap(-1, -1, { trackfd: 'no' }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
    assert.throws(() => new Mmap(-2, 1, { access: '4' }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
    assert.throws(() => new Mmap('x', -1), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
  })

  it('rejects a length past the end of the file', function () {
    const { fd } = fileWith(pattern(4096))
    // Windows: a writable map extends the file (windows.test.js); a read-only one is refused.
    const access = isWindows ? ACCESS_READ : ACCESS_DEFAULT
    for (const [length, offset] of [[4097, 0], [4000, 100], [1, 4096]]) {
      const err = captureThrow(() => new Mmap(fd, length, { offset, access }))
      assert.strictEqual(err.name, 'RangeError')
      assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE')
      assert.match(err.message, /length/)
      assert.match(err.message, /4096-byte file/)
    }
    // Past 2^53 - 1 the length is out of range before the file is looked at
    // (Python's OverflowError).
    const err = captureThrow(() => new Mmap(fd, 2n ** 64n))
    assert.strictEqual(err.name, 'RangeError')
    assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE')
    assert.match(err.message, /"length"/)
  })

  it('rejects a length on an empty file', function () {
    const { fd } = fileWith('')
    // Windows: a writable map extends the file (windows.test.js); a read-only one is refused.
    const access = isWindows ? ACCESS_READ : ACCESS_DEFAULT
    assert.throws(() => new Mmap(fd, 1, { access }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
  })

  it('rejects an offset past the end of the file', function () {
    const { fd } = fileWith(pattern(4096))
    const err = captureThrow(() => new Mmap(fd, 0, { offset: 8192 }))
    assert.strictEqual(err.name, 'RangeError')
    assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE')
    assert.strictEqual(err.message, 'offset 8192 is past the end of the 4096-byte file')
    for (const [length, offset] of [[0, 4097], [1, 4097], [0, 2n ** 64n]]) {
      assert.throws(() => new Mmap(fd, length, { offset }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
    }
  })

  it('rejects length 0 on a character device with EINVAL from mmap', function () {
    posixOnly(this, 'Windows has no /dev/zero')
    const fd = fs.openSync('/dev/zero', 'r+')
    fds.push(fd)
    const err = captureThrow(() => new Mmap(fd, 0))
    assert.strictEqual(err.code, 'EINVAL')
    assert.strictEqual(err.syscall, 'mmap')
  })

  it('rejects bad descriptors (-2, closed, unopened) with EBADF from fstat', function () {
    const { file } = fileWith('hello')
    const closed = fs.openSync(file, 'r')
    fs.closeSync(closed)
    for (const fd of [-2, -100, closed, 1000000, -2n]) {
      for (const length of [0, 4096]) {
        const err = captureThrow(() => new Mmap(fd, length))
        assert.strictEqual(err.constructor, Error)
        assert.strictEqual(err.code, 'EBADF')
        assert.strictEqual(err.syscall, 'fstat')
        assert.strictEqual(err.errno, errnoOf('EBADF'))
        assert.strictEqual(err.message, 'EBADF: bad file descriptor, fstat')
      }
    }
  })

  it('rejects a descriptor beyond 32 bits with ERR_OUT_OF_RANGE', function () {
    for (const fd of [2 ** 31, 2 ** 40, -(2 ** 31) - 1, 2n ** 64n]) {
      assert.throws(() => new Mmap(fd, 10), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
    }
  })

  it('rejects flags and prot beyond 32 bits with ERR_OUT_OF_RANGE', function () {
    if (isWindows) {
      // Windows refuses any flags or prot, however large.
      assert.throws(() => new Mmap(-1, 10, { flags: 2 ** 31 }), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' })
      assert.throws(() => new Mmap(-1, 10, { prot: 2 ** 32 }), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' })
      return
    }
    assert.throws(() => new Mmap(-1, 10, { flags: 2 ** 31 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
    assert.throws(() => new Mmap(-1, 10, { prot: 2 ** 32 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
  })

  const integerArgs = {
    fd: (v) => new Mmap(v, 10),
    length: (v) => new Mmap(-1, v),
    'options.offset': (v) => new Mmap(-1, 10, { offset: v }),
    'options.access': (v) => new Mmap(-1, 10, { access: v }),
    'options.flags': (v) => new Mmap(-1, 10, { flags: v }),
    'options.prot': (v) => new Mmap(-1, 10, { prot: v })
  }

  for (const [name, make] of Object.entries(integerArgs)) {
    it(`rejects a non-integer ${name} (1.5, NaN, Infinity) with ERR_OUT_OF_RANGE`, function () {
      for (const v of [1.5, -0.5, NaN, Infinity, -Infinity]) {
        const err = captureThrow(() => make(v))
        assert.strictEqual(err.name, 'RangeError', `${name} = ${v}`)
        assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE', `${name} = ${v}`)
      }
    })

    it(`rejects a ${name} of another type with ERR_INVALID_ARG_TYPE`, function () {
      for (const v of ['1', '', null, true, false, {}, [1], Symbol('x'), () => 1, new Number(1)]) { // eslint-disable-line no-new-wrappers
        const err = captureThrow(() => make(v))
        assert.strictEqual(err.name, 'TypeError', `${name} = ${String(v)}`)
        assert.strictEqual(err.code, 'ERR_INVALID_ARG_TYPE', `${name} = ${String(v)}`)
      }
    })
  }

  it('rejects an fd object without a numeric fd and a missing fd with ERR_INVALID_ARG_TYPE', function () {
    assert.throws(() => new Mmap({}, 10), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
    assert.throws(() => new Mmap(), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
    assert.throws(() => new Mmap(-1), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
  })

  it('rejects options that are not an object with ERR_INVALID_ARG_TYPE', function () {
    for (const options of ['x', 5, 5n, true, Symbol('o'), () => ({})]) {
      assert.throws(() => new Mmap(-1, 10, options), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
    }
  })

  it('rejects tagname on POSIX with ERR_INVALID_ARG_VALUE', function () {
    if (isWindows) {
      // Windows: a named mapping (windows.test.js shares one between processes); '' is no name.
      const tagged = track(new Mmap(-1, 10, { tagname: `mmap-native-map-test-${process.pid}` }))
      assert.strictEqual(tagged.length, 10)
      const { fd } = fileWith('hello')
      assert.strictEqual(track(new Mmap(fd, 0, { tagname: '' })).slice().toString(), 'hello')
      return
    }
    assert.throws(() => new Mmap(-1, 10, { tagname: 'shared' }), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' })
    const { fd } = fileWith('hello')
    assert.throws(() => new Mmap(fd, 0, { tagname: '' }), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' })
  })

  it('rejects a tagname that is not a string with ERR_INVALID_ARG_TYPE', function () {
    for (const tagname of [1, true, {}]) {
      assert.throws(() => new Mmap(-1, 10, { tagname }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
    }
  })
})

describe('new Mmap(): OS error shape', function () {
  afterEach(cleanup)

  it('EBADF has the errno, code, syscall and message node:fs reports', function () {
    const fsErr = captureThrow(() => fs.fstatSync(1000000))
    const err = captureThrow(() => new Mmap(1000000, 10))
    assert.ok(err instanceof Error)
    assert.strictEqual(err.code, fsErr.code)
    assert.strictEqual(err.errno, fsErr.errno)
    assert.ok(err.errno < 0)
    assert.strictEqual(util.getSystemErrorName(err.errno), err.code)
    assert.strictEqual(err.syscall, 'fstat')
    assert.strictEqual(err.message, `${fsErr.code}: bad file descriptor, fstat`)
  })

  it('EACCES and EINVAL from mmap carry a negative errno that names the code', function () {
    const { fd } = fileWith('hello', 'r')
    for (const make of [() => new Mmap(fd, 0), () => new Mmap(-1, 0)]) {
      const err = captureThrow(make)
      assert.ok(err.errno < 0)
      assert.strictEqual(util.getSystemErrorName(err.errno), err.code)
      assert.strictEqual(err.syscall, 'mmap')
      assert.match(err.message, new RegExp(`^${err.code}: [a-z ]+, mmap$`))
    }
  })
})

describe('new Mmap(): maps past 4 GiB', function () {
  afterEach(cleanup)

  const size = 6 * GiB
  let big = null
  let bigFd = null

  before(function () {
    big = sparseFile(size)
    if (big !== null) bigFd = fs.openSync(big, 'r+')
  })

  after(function () {
    if (bigFd !== null) fs.closeSync(bigFd)
    if (big !== null) removeFile(big)
  })

  beforeEach(function () {
    // These map up to 6 GiB whole (test/sizes.test.js maps small windows past 4 GiB on 32 bits).
    needs64Bit(this, 'maps up to 6 GiB whole')
    if (big === null) skip(this, 'the filesystem will not make a 6 GiB sparse file')
  })

  it('maps a 6 GiB file whole with length 0', function () {
    const m = track(new Mmap(bigFd, 0))
    assert.strictEqual(m.length, size)
    assert.strictEqual(m.size(), size)
    assert.strictEqual(m.get(size - 1), 0)
    assert.strictEqual(m.get(-1), 0)
  })

  it('writes a marker past 4 GiB that fs.readSync finds at that file position', function () {
    const m = track(new Mmap(bigFd, 0))
    const pos = 5 * GiB + 777
    m.setSlice(pos, pos + 6, Buffer.from('MARKER'))
    m.set(size - 1, 0x5a)
    m.flush()
    assert.strictEqual(readAt(bigFd, pos, 6).toString(), 'MARKER')
    assert.strictEqual(readAt(bigFd, size - 1, 1)[0], 0x5a)
    assert.strictEqual(readAt(bigFd, pos - 1, 1)[0], 0)
  })

  it('get() and set() work past 4 GiB with numbers and bigints', function () {
    const m = track(new Mmap(bigFd, 0))
    const pos = 4 * GiB + 3
    fs.writeSync(bigFd, Buffer.from([0x11, 0x22]), 0, 2, pos)
    assert.strictEqual(m.get(pos), 0x11)
    assert.strictEqual(m.get(BigInt(pos + 1)), 0x22)
    m.set(BigInt(pos + 2), 0x33)
    m.set(pos + 3, 0x44)
    assert.strictEqual(m.get(pos - size + 2), 0x33)
    m.flush()
    assert.deepStrictEqual(readAt(bigFd, pos, 4), Buffer.from([0x11, 0x22, 0x33, 0x44]))
  })

  it('maps at an offset past 4 GiB (4 GiB + 12345)', function () {
    const offset = 4 * GiB + 12345
    fs.writeSync(bigFd, Buffer.from('first'), 0, 5, offset)
    const m = track(new Mmap(bigFd, 0, { offset }))
    assert.strictEqual(m.length, size - offset)
    assert.strictEqual(m.slice(0, 5).toString(), 'first')
    m.setSlice(1000, 1004, Buffer.from('here'))
    m.set(m.length - 2, 0x77)
    m.flush()
    assert.strictEqual(readAt(bigFd, offset + 1000, 4).toString(), 'here')
    assert.strictEqual(readAt(bigFd, size - 2, 1)[0], 0x77)
    const part = track(new Mmap(BigInt(bigFd), 10n, { offset: BigInt(offset) }))
    assert.strictEqual(part.slice(0, 5).toString(), 'first')
  })

  it('subarray() windows past 4 GiB show and change the file', function () {
    const m = track(new Mmap(bigFd, 0))
    const pos = 5 * GiB + 4093
    fs.writeSync(bigFd, Buffer.from('window'), 0, 6, pos)
    const w = m.subarray(pos, pos + 6)
    assert.strictEqual(w.length, 6)
    assert.strictEqual(w.toString(), 'window')
    const wb = m.subarray(BigInt(pos), BigInt(pos + 6))
    assert.strictEqual(wb.toString(), 'window')
    w[0] = 0x57
    m.flush()
    assert.strictEqual(readAt(bigFd, pos, 6).toString(), 'Window')
    assert.strictEqual(m.subarray(-6).length, 6)
    assert.deepStrictEqual(m.subarray(-1), m.slice(-1))
  })

  it('subarray() windows are limited to buffer.constants.MAX_LENGTH', function () {
    const m = track(new Mmap(bigFd, 0))
    const window = Math.min(MAX_VIEW, 4 * GiB)
    assert.strictEqual(m.subarray(GiB, GiB + window).length, window)
    if (MAX_VIEW < size - 1) {
      assert.throws(() => m.subarray(0, MAX_VIEW + 1), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
    } else {
      assert.strictEqual(m.subarray(0, size - 1).length, size - 1)
    }
  })

  it('`buffer` follows buffer.constants.MAX_LENGTH for a 6 GiB map', function () {
    const m = track(new Mmap(bigFd, 0))
    if (MAX_VIEW < size) {
      const err = captureThrow(() => m.buffer)
      assert.strictEqual(err.name, 'RangeError')
      assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE')
      // Every other method keeps working.
      assert.strictEqual(m.get(5 * GiB), m.subarray(5 * GiB, 5 * GiB + 1)[0])
    } else {
      assert.strictEqual(m.buffer.byteLength, size)
    }
  })

  it('`buffer` of a map past 4 GiB that fits MAX_LENGTH shows the file', function () {
    const offset = 4 * GiB + 12345
    fs.writeSync(bigFd, Buffer.from('buf'), 0, 3, offset + 10)
    const m = track(new Mmap(bigFd, 0, { offset }))
    if (m.length > MAX_VIEW) {
      assert.throws(() => m.buffer, { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
      return
    }
    const view = new Uint8Array(m.buffer)
    assert.strictEqual(view.length, size - offset)
    assert.strictEqual(Buffer.from(view.subarray(10, 13)).toString(), 'buf')
  })
})
