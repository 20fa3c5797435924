'use strict'
// shared-memory.test.js: SharedMemory (Python's multiprocessing.shared_memory): create, attach,
// close, unlink, every error, two Node processes sharing a block by name (also under Wine), a
// real CPython process on the same block in both directions, and no leaks over 10,000 blocks.
const assert = require('assert')
const fs = require('fs')
const path = require('path')
const { spawn, spawnSync } = require('child_process')
const mmap = require('..')
const { SharedMemory } = mmap
const { root, assertCode, captureThrow, skip, posixOnly, needsProc, runChild, runChildJson, errnoOf, is32Bit, scaled, slow } = require('./helpers')
const layout = require('./fixtures/shm-layout')

const isWindows = process.platform === 'win32'
const isLinux = process.platform === 'linux'
const PREFIX = isWindows ? 'wnsm_' : 'psm_'
// Windows gives a section's size in whole pages (the view's size, as Python reads it).
const osSize = (n) => isWindows ? Math.ceil(n / mmap.PAGESIZE) * mmap.PAGESIZE : n

// A name no other run uses.
let serial = 0
function uniqueName () {
  return `mmtest_${process.pid}_${Date.now().toString(36)}_${serial++}`
}

// The POSIX names this process may have left (Linux shows them in /dev/shm).
function shmNames () {
  return isLinux ? fs.readdirSync('/dev/shm') : []
}

describe('SharedMemory', function () {
  const blocks = []
  // Every block a test makes is closed and unlinked afterwards, whatever happened.
  function track (shm) {
    blocks.push(shm)
    return shm
  }
  afterEach(function () {
    for (const shm of blocks.splice(0)) {
      shm.close()
      try {
        shm.unlink()
      } catch (err) {
        if (err.code !== 'ENOENT') throw err
      }
    }
  })

  describe('create, attach, close, unlink', function () {
    it('creates a block with a fresh random name in Python\'s scheme and the size asked for', function () {
      const shm = track(new SharedMemory({ create: true, size: 10 }))
      assert.match(shm.name, new RegExp(`^${PREFIX}[0-9a-f]{8}$`))
      assert.strictEqual(shm.size, osSize(10))
      assert.strictEqual(shm.map.length, shm.size)
      assert.strictEqual(shm.buffer.byteLength, shm.size)
      assert.strictEqual(shm.closed, false)
      // A new block is all zeros.
      assert.deepStrictEqual(shm.map.slice(0, shm.size), Buffer.alloc(shm.size))
      const other = track(new SharedMemory({ create: true, size: 10 }))
      assert.notStrictEqual(other.name, shm.name)
    })

    it('names the POSIX object with a leading slash and reports the name without it', function () {
      if (!isLinux) skip(this, 'Linux shows POSIX shared memory objects in /dev/shm')
      const name = uniqueName()
      const shm = track(new SharedMemory({ name, create: true, size: 4096 }))
      assert.strictEqual(shm.name, name)
      assert.strictEqual(fs.statSync(`/dev/shm/${name}`).size, 4096)
      // A name given with its own leading '/' gets another: the OS drops both, Python does
      // the same and reports the name as given.
      const slashed = track(new SharedMemory({ name: '/' + name }))
      assert.strictEqual(slashed.name, '/' + name)
      slashed.map.write(Buffer.from('same block'))
      assert.strictEqual(shm.map.slice(0, 10).toString(), 'same block')
    })

    it('creates the object with mode 0o600 by default and honours mode (less the umask)', function () {
      if (!isLinux) skip(this, 'POSIX permission bits, read back through /dev/shm (Linux)')
      const umask = process.umask()
      const a = track(new SharedMemory({ name: uniqueName(), create: true, size: 1 }))
      assert.strictEqual(fs.statSync(`/dev/shm/${a.name}`).mode & 0o777, 0o600 & ~umask)
      const b = track(new SharedMemory({ name: uniqueName(), create: true, size: 1, mode: 0o640 }))
      assert.strictEqual(fs.statSync(`/dev/shm/${b.name}`).mode & 0o777, 0o640 & ~umask)
    })

    it('attaches by name to the same memory, with the size the OS reports', function () {
      const name = uniqueName()
      const a = track(new SharedMemory({ name, create: true, size: 100 }))
      // size is ignored when attaching, as in Python.
      const b = track(new SharedMemory({ name, size: 5 }))
      assert.strictEqual(b.name, name)
      assert.strictEqual(b.size, osSize(100))
      a.map.write(Buffer.from('written by a'))
      assert.strictEqual(b.map.slice(0, 12).toString(), 'written by a')
      new Uint8Array(b.buffer)[50] = 0x5a
      assert.strictEqual(a.map.get(50), 0x5a)
      assert.strictEqual(new Uint8Array(a.buffer)[50], 0x5a)
    })

    it('accepts create: false with a name, null name with create, and bigints', function () {
      const a = track(new SharedMemory({ name: null, create: true, size: 64n, mode: 0o600n }))
      const b = track(new SharedMemory({ name: a.name, create: false }))
      assert.strictEqual(b.size, osSize(64))
    })

    it('gives an Mmap over the block on which every method works', function () {
      const shm = track(new SharedMemory({ create: true, size: 8192 }))
      const m = shm.map
      assert.ok(m instanceof mmap.Mmap)
      assert.strictEqual(m.write(Buffer.from('alpha\nbeta\ngamma\n')), 17)
      assert.strictEqual(m.tell(), 17)
      assert.strictEqual(m.seek(0), 0)
      assert.strictEqual(m.readline().toString(), 'alpha\n')
      assert.strictEqual(m.read(5).toString(), 'beta\n')
      assert.strictEqual(m.readByte(), 'g'.charCodeAt(0))
      assert.strictEqual(m.find('gamma', 0), 11)
      assert.strictEqual(m.rfind('a', 0, 17), 15)
      assert.strictEqual(m.count('a', 0, 17), 5)
      assert.strictEqual(m.count('\n', 0, 17), 3)
      assert.strictEqual(m.search(/b(e)ta/, 0).index, 6)
      m.writeByte(0x21)
      m.set(100, 7)
      assert.strictEqual(m.get(100), 7)
      m.setSlice(200, 203, Buffer.from('xyz'))
      assert.strictEqual(m.slice(200, 203).toString(), 'xyz')
      m.move(300, 200, 3)
      assert.strictEqual(m.subarray(300, 303).toString(), 'xyz')
      m.flush()
      m.flush(0, 4096)
      assert.strictEqual(m.size(), shm.size)
      const other = track(new SharedMemory({ name: shm.name }))
      assert.strictEqual(other.map.slice(300, 303).toString(), 'xyz')
      assert.strictEqual(other.map.get(100), 7)
    })

    it('flushAsync() works on the block', async function () {
      const shm = track(new SharedMemory({ create: true, size: 1 << 20 }))
      shm.map.setSlice(900000, 900006, Buffer.from('needle'))
      await shm.map.flushAsync()
      assert.strictEqual(shm.map.find('needle', 0), 900000)
    })

    it('close() detaches views and refuses map and buffer; name and size stay; idempotent', function () {
      const shm = track(new SharedMemory({ create: true, size: 4096 }))
      const view = new Uint8Array(shm.buffer)
      const sub = shm.map.subarray(0, 10)
      shm.close()
      assert.strictEqual(shm.closed, true)
      assert.strictEqual(view.byteLength, 0)
      assert.strictEqual(sub.byteLength, 0)
      assertCode(() => shm.map, Error, 'ERR_MMAP_CLOSED')
      assertCode(() => shm.buffer, Error, 'ERR_MMAP_CLOSED')
      assert.strictEqual(shm.size, osSize(4096))
      assert.match(shm.name, new RegExp(`^${PREFIX}`))
      shm.close()
      assert.strictEqual(shm.closed, true)
    })

    it('closing the map directly closes the block for this object', function () {
      const shm = track(new SharedMemory({ create: true, size: 10 }))
      shm.map.close()
      assert.strictEqual(shm.closed, true)
      assertCode(() => shm.buffer, Error, 'ERR_MMAP_CLOSED')
    })

    it('[Symbol.dispose] closes the block and leaves the name', function () {
      const shm = track(new SharedMemory({ create: true, size: 10 }))
      const view = new Uint8Array(shm.buffer)
      shm[Symbol.dispose]()
      assert.strictEqual(shm.closed, true)
      assert.strictEqual(view.byteLength, 0)
      if (!isWindows) {
        // POSIX: the name lives on until unlink(), with the block's bytes.
        const again = track(new SharedMemory({ name: shm.name }))
        assert.strictEqual(again.size, 10)
      }
    })

    it('unlink() removes the name; a process that has the block keeps it', function () {
      posixOnly(this, 'Windows has no unlink: a block goes with its last handle')
      const name = uniqueName()
      const a = track(new SharedMemory({ name, create: true, size: 4096 }))
      const b = track(new SharedMemory({ name }))
      a.unlink()
      const err = assertCode(() => new SharedMemory({ name }), Error, 'ENOENT')
      assert.strictEqual(err.path, name)
      // Both still share the memory.
      a.map.write(Buffer.from('after unlink'))
      assert.strictEqual(b.map.slice(0, 12).toString(), 'after unlink')
      // The name is free again: a new block of that name is another block.
      const c = track(new SharedMemory({ name, create: true, size: 4096 }))
      assert.strictEqual(c.map.get(0), 0)
      c.unlink()
    })

    it('unlink() works after close(), and a second unlink() is ENOENT with the name', function () {
      posixOnly(this, 'Windows has no unlink (it does nothing, as in Python)')
      const shm = new SharedMemory({ create: true, size: 10 })
      shm.close()
      shm.unlink()
      const err = assertCode(() => shm.unlink(), Error, 'ENOENT')
      assert.strictEqual(err.path, shm.name)
      assert.strictEqual(err.syscall, 'shm_unlink')
      assert.strictEqual(err.errno, errnoOf('ENOENT'))
      assert.match(err.message, new RegExp(`^ENOENT: no such file or directory, shm_unlink '${shm.name}'$`))
    })

    it('Windows: unlink() does nothing and the block goes when its last handle closes', function () {
      if (!isWindows) skip(this, 'Windows semantics')
      const name = uniqueName()
      const a = new SharedMemory({ name, create: true, size: 10 })
      const b = new SharedMemory({ name })
      a.unlink()
      a.close()
      // b still holds it.
      const c = new SharedMemory({ name })
      assert.strictEqual(c.size, osSize(10))
      b.close()
      c.close()
      assertCode(() => new SharedMemory({ name }), Error, 'ENOENT')
    })

    it('POSIX: the name outlives close() in every process until unlink()', function () {
      posixOnly(this, 'Windows removes a block with its last handle')
      const name = uniqueName()
      const a = new SharedMemory({ name, create: true, size: 10 })
      a.map.write(Buffer.from('kept'))
      a.close()
      const b = track(new SharedMemory({ name }))
      assert.strictEqual(b.map.slice(0, 4).toString(), 'kept')
    })

    it('a process that exits without unlink() leaves the name behind (POSIX)', function () {
      posixOnly(this, 'Windows removes a block with its last handle')
      const name = uniqueName()
      const r = runChild(`
        const { SharedMemory } = require(MMAP)
        const shm = new SharedMemory({ name: ${JSON.stringify(name)}, create: true, size: 100 })
        shm.map.write(Buffer.from('left behind'))
        process.exit(0)
      `)
      assert.strictEqual(r.status, 0, r.stderr)
      const shm = track(new SharedMemory({ name }))
      assert.strictEqual(shm.map.slice(0, 11).toString(), 'left behind')
    })

    it('attaches to an empty POSIX object as an empty block (size 0)', function () {
      if (!isLinux) skip(this, 'makes an empty object through /dev/shm (Linux)')
      const name = uniqueName()
      fs.writeFileSync(`/dev/shm/${name}`, '')
      try {
        const shm = new SharedMemory({ name })
        assert.strictEqual(shm.size, 0)
        assert.strictEqual(shm.map.length, 0)
        assert.strictEqual(shm.buffer.byteLength, 0)
        shm.close()
      } finally {
        fs.rmSync(`/dev/shm/${name}`, { force: true })
      }
    })

    it('inspects like Python\'s repr', function () {
      const shm = track(new SharedMemory({ create: true, size: 10 }))
      assert.strictEqual(require('util').inspect(shm), `SharedMemory('${shm.name}', size=${shm.size})`)
      shm.close()
      assert.strictEqual(require('util').inspect(shm), `SharedMemory('${shm.name}', size=${shm.size}, closed)`)
    })

    it('is exported by ESM too', async function () {
      const esm = await import('../index.mjs')
      assert.strictEqual(esm.SharedMemory, SharedMemory)
      assert.strictEqual(esm.default.SharedMemory, SharedMemory)
    })
  })

  describe('errors', function () {
    it('a negative size is ERR_OUT_OF_RANGE, with or without create', function () {
      assertCode(() => new SharedMemory({ create: true, size: -1 }), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => new SharedMemory({ name: uniqueName(), size: -1 }), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => new SharedMemory({ create: true, size: -(2n ** 80n) }), RangeError, 'ERR_OUT_OF_RANGE')
    })

    it('size 0 with create is ERR_OUT_OF_RANGE (also the default size)', function () {
      assertCode(() => new SharedMemory({ create: true, size: 0 }), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => new SharedMemory({ create: true }), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => new SharedMemory({ name: uniqueName(), create: true, size: 0n }), RangeError, 'ERR_OUT_OF_RANGE')
    })

    it('sizes past 2^53 - 1 and non-integers are ERR_OUT_OF_RANGE', function () {
      for (const size of [2 ** 53, 2n ** 64n, 2n ** 70n, 1.5, NaN, Infinity, -Infinity]) {
        assertCode(() => new SharedMemory({ create: true, size }), RangeError, 'ERR_OUT_OF_RANGE')
      }
    })

    it('no name without create is ERR_INVALID_ARG_VALUE', function () {
      assertCode(() => new SharedMemory(), TypeError, 'ERR_INVALID_ARG_VALUE')
      assertCode(() => new SharedMemory({}), TypeError, 'ERR_INVALID_ARG_VALUE')
      assertCode(() => new SharedMemory({ name: null }), TypeError, 'ERR_INVALID_ARG_VALUE')
      assertCode(() => new SharedMemory({ create: false, size: 10 }), TypeError, 'ERR_INVALID_ARG_VALUE')
    })

    it('checks in Python\'s order: size, then size 0 with create, then the name', function () {
      assertCode(() => new SharedMemory({ size: -1 }), RangeError, 'ERR_OUT_OF_RANGE')
      assertCode(() => new SharedMemory({ create: true, size: 0, name: '' }), RangeError, 'ERR_OUT_OF_RANGE')
    })

    it('an empty name or one with a NUL byte is ERR_INVALID_ARG_VALUE', function () {
      assertCode(() => new SharedMemory({ name: '' }), TypeError, 'ERR_INVALID_ARG_VALUE')
      assertCode(() => new SharedMemory({ name: '', create: true, size: 1 }), TypeError, 'ERR_INVALID_ARG_VALUE')
      assertCode(() => new SharedMemory({ name: 'a\0b', create: true, size: 1 }), TypeError, 'ERR_INVALID_ARG_VALUE')
    })

    it('an existing name with create is EEXIST with the name on the error; nothing changes', function () {
      const name = uniqueName()
      const a = track(new SharedMemory({ name, create: true, size: 4096 }))
      a.map.write(Buffer.from('original'))
      const err = assertCode(() => new SharedMemory({ name, create: true, size: 8192 }), Error, 'EEXIST')
      assert.strictEqual(err.path, name)
      assert.strictEqual(err.syscall, 'shm_open')
      assert.strictEqual(err.errno, errnoOf('EEXIST'))
      assert.ok(err.message.includes(`'${name}'`), err.message)
      const b = track(new SharedMemory({ name }))
      assert.strictEqual(b.size, osSize(4096))
      assert.strictEqual(b.map.slice(0, 8).toString(), 'original')
    })

    it('a missing name is ENOENT with the name on the error', function () {
      const name = uniqueName()
      const err = assertCode(() => new SharedMemory({ name }), Error, 'ENOENT')
      assert.strictEqual(err.path, name)
      assert.strictEqual(err.syscall, 'shm_open')
      assert.strictEqual(err.errno, errnoOf('ENOENT'))
      assert.strictEqual(err.message, `ENOENT: no such file or directory, shm_open '${name}'`)
    })

    it('wrong types are ERR_INVALID_ARG_TYPE', function () {
      for (const options of [1, 'name', true, Symbol('x'), 10n]) {
        assertCode(() => new SharedMemory(options), TypeError, 'ERR_INVALID_ARG_TYPE')
      }
      for (const name of [1, true, {}, [], Buffer.from('x'), Symbol('x'), 1n, () => 'x']) {
        assertCode(() => new SharedMemory({ name }), TypeError, 'ERR_INVALID_ARG_TYPE')
      }
      for (const create of [1, 0, 'yes', null, {}, 1n]) {
        assertCode(() => new SharedMemory({ name: 'x', create }), TypeError, 'ERR_INVALID_ARG_TYPE')
      }
      for (const size of ['10', null, true, {}, [], Symbol('x')]) {
        assertCode(() => new SharedMemory({ create: true, size }), TypeError, 'ERR_INVALID_ARG_TYPE')
      }
      for (const mode of ['600', null, true, {}]) {
        assertCode(() => new SharedMemory({ create: true, size: 1, mode }), TypeError, 'ERR_INVALID_ARG_TYPE')
      }
    })

    it('a mode outside 0..0o7777 is ERR_OUT_OF_RANGE', function () {
      for (const mode of [-1, 0o10000, 2 ** 40, 1.5, 2n ** 64n]) {
        assertCode(() => new SharedMemory({ create: true, size: 1, mode }), RangeError, 'ERR_OUT_OF_RANGE')
      }
    })

    it('a type error wins over every value error', function () {
      assertCode(() => new SharedMemory({ size: -1, create: 'x' }), TypeError, 'ERR_INVALID_ARG_TYPE')
      assertCode(() => new SharedMemory({ size: -1, name: 5 }), TypeError, 'ERR_INVALID_ARG_TYPE')
    })

    it('every member throws ERR_INVALID_THIS on another object (but inspect)', function () {
      const proto = SharedMemory.prototype
      const shm = track(new SharedMemory({ create: true, size: 10 }))
      const keys = [...Object.getOwnPropertyNames(proto).filter((k) => k !== 'constructor'), Symbol.dispose]
      assert.deepStrictEqual(Object.getOwnPropertyNames(proto).sort(), ['buffer', 'close', 'closed', 'constructor', 'map', 'name', 'size', 'unlink'])
      for (const key of keys) {
        const desc = Object.getOwnPropertyDescriptor(proto, key)
        const fn = desc.get ?? desc.value
        for (const receiver of [{}, null, undefined, 1, shm.map, Object.create(proto)]) {
          assertCode(() => fn.call(receiver), TypeError, 'ERR_INVALID_THIS')
        }
      }
      assert.strictEqual(require('util').inspect(Object.create(proto)), 'SharedMemory <not a block>')
      assert.strictEqual(shm.closed, false)
    })

    it('OS refusals of the name are coded OS errors', function () {
      posixOnly(this, 'POSIX name rules')
      // A '/' inside the name, and a name longer than NAME_MAX.
      for (const name of ['a/b', 'x'.repeat(300)]) {
        const err = captureThrow(() => new SharedMemory({ name, create: true, size: 1 }))
        assert.ok(['EINVAL', 'ENAMETOOLONG'].includes(err.code), `${err.code}: ${err.message}`)
        assert.strictEqual(err.syscall, 'shm_open')
        assert.strictEqual(err.path, name)
      }
    })

    it('a block too large to map fails with an OS error and leaves no name behind', function () {
      const name = uniqueName()
      const err = captureThrow(() => new SharedMemory({ name, create: true, size: 2 ** 50 }))
      if (is32Bit) {
        // A 32-bit size_t cannot hold the size: refused before any system call.
        assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE', err.message)
      } else {
        assert.ok(typeof err.code === 'string' && typeof err.errno === 'number', `${err.code}: ${err.message}`)
      }
      assertCode(() => new SharedMemory({ name }), Error, 'ENOENT')
    })

    it('no argument of any kind crashes: every rejection carries a code (in a child process)', function () {
      const r = runChildJson(`
        const { SharedMemory } = require(MMAP)
        const values = [undefined, null, 0, -1, 1, 1.5, NaN, Infinity, -Infinity, 2 ** 53, 2 ** 64, 0n, -1n,
          2n ** 64n, -(2n ** 64n), 2n ** 200n, '', 'x', 'a\\0b', '/', 'a/b', 'x'.repeat(5000), true, false,
          {}, [], Symbol('s'), () => 1, new Uint8Array(1), new ArrayBuffer(1), new Proxy({}, {}),
          Object.create(null), new Date(0)]
        const seen = {}
        let made = 0
        const keep = { create: true, size: 1 }
        for (const key of ['name', 'create', 'size', 'mode']) {
          for (const value of values) {
            for (const base of [{}, keep, { name: 'mmtest_fuzz_' + process.pid }]) {
              try {
                const shm = new SharedMemory({ ...base, [key]: value })
                made++
                shm.close()
                try { shm.unlink() } catch (err) { if (!err.code) throw err }
              } catch (err) {
                if (typeof err.code !== 'string') throw new Error('no code: ' + err.stack)
                seen[err.code] = (seen[err.code] || 0) + 1
              }
            }
          }
        }
        for (const options of values) {
          try { new SharedMemory(options).close() } catch (err) {
            if (typeof err.code !== 'string') throw new Error('no code: ' + err.stack)
          }
        }
        console.log(JSON.stringify({ seen, made }))
      `)
      assert.ok(r.made > 0)
      for (const code of ['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_OUT_OF_RANGE']) {
        assert.ok(r.seen[code] > 0, `never saw ${code}: ${JSON.stringify(r.seen)}`)
      }
    })
  })

  describe('two processes', function () {
    this.timeout(180000)

    it('share a block by name: data both ways and an exact Atomics.add counter', async function () {
      const adds = isWindows ? 100000 : 500000
      const shm = track(new SharedMemory({ create: true, size: layout.SIZE }))
      const bytes = new Uint8Array(shm.buffer)
      for (let i = 0; i < layout.DATA; i++) bytes[layout.PARENT_AT + i] = layout.byteOf(i, 1)
      shm.map.setSlice(100, 117, Buffer.from('parent says hello'))
      const slots = new Int32Array(shm.buffer, 0, layout.SLOTS)
      const peer = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'shm-peer.js'), shm.name, String(adds)],
        { stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      peer.stdout.on('data', (d) => { stdout += d })
      peer.stderr.on('data', (d) => { stderr += d })
      const exited = new Promise((resolve) => peer.on('close', (code, signal) => resolve({ code, signal })))
      // Wait for the peer to attach (without blocking the event loop, so its output is read).
      const deadline = Date.now() + 120000
      while (Atomics.load(slots, layout.READY) !== 1) {
        if (Date.now() > deadline) throw new Error(`the peer never attached: ${stderr}`)
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      Atomics.store(slots, layout.GO, 1)
      for (let i = 0; i < adds; i++) Atomics.add(slots, layout.COUNTER, 1)
      Atomics.add(slots, layout.DONE, 1)
      const { code, signal } = await exited
      assert.strictEqual(stderr, '')
      assert.strictEqual(code, 0, `peer exited with ${signal || code}`)
      const seen = JSON.parse(stdout)
      assert.deepStrictEqual(seen, { name: shm.name, size: shm.size, mismatches: 0, found: 100 })
      assert.strictEqual(Atomics.load(slots, layout.DONE), 2)
      assert.strictEqual(Atomics.load(slots, layout.COUNTER), 2 * adds)
      let mismatches = 0
      for (let i = 0; i < layout.DATA; i++) if (bytes[layout.CHILD_AT + i] !== layout.byteOf(i, 2)) mismatches++
      assert.strictEqual(mismatches, 0)
    })

    it('examples/shared-memory.js runs on SharedMemory and leaves no name behind', function () {
      const before = shmNames()
      const r = spawnSync(process.execPath, [path.join(root, 'examples', 'shared-memory.js'), '2', '20000'],
        { encoding: 'utf8', timeout: 120000 })
      assert.strictEqual(r.stderr, '')
      assert.strictEqual(r.status, 0)
      assert.match(r.stdout, /^counter: 40000 \(2 processes x 20000 Atomics.add\)\n/)
      assert.deepStrictEqual(shmNames(), before)
    })
  })

  describe('with CPython (multiprocessing.shared_memory)', function () {
    this.timeout(60000)
    const python = 'python3'
    beforeEach(function () {
      if (isWindows) skip(this, 'no CPython under Wine; the Windows pair is the two-process test above')
    })
    before(function () {
      if (isWindows) return
      // Not a skip: building the addon (node-gyp) needs python3 anyway, and these tests are the
      // proof that the names interoperate.
      const r = spawnSync(python, ['-c', 'import multiprocessing.shared_memory'], { encoding: 'utf8' })
      assert.strictEqual(r.status, 0, `python3 with multiprocessing.shared_memory is needed: ${r.error || r.stderr}`)
    })

    // Python's helpers. A SharedMemory Python attaches to registers with Python's resource
    // tracker before 3.13, which unlinks the block (and warns about a "leak") when that
    // Python exits: attach() opts out (track=False from 3.13, unregister before).
    const PRELUDE = `
import sys
from multiprocessing import shared_memory, resource_tracker
def attach(name):
    try:
        return shared_memory.SharedMemory(name, track=False)
    except TypeError:
        shm = shared_memory.SharedMemory(name)
        resource_tracker.unregister(shm._name, "shared_memory")
        return shm
def say(*words):
    print(*words, flush=True)
def hear():
    return sys.stdin.readline().strip()
`

    // Starts Python on `code`; line() reads its next line of output, send() writes one.
    function startPython (code) {
      const proc = spawn(python, ['-c', PRELUDE + code], { stdio: ['pipe', 'pipe', 'pipe'] })
      let out = ''
      let err = ''
      const waiters = []
      const flush = () => {
        while (waiters.length > 0 && out.includes('\n')) {
          const at = out.indexOf('\n')
          const line = out.slice(0, at)
          out = out.slice(at + 1)
          waiters.shift().resolve(line)
        }
      }
      proc.stdout.on('data', (d) => { out += d; flush() })
      proc.stderr.on('data', (d) => { err += d })
      const exited = new Promise((resolve) => proc.on('close', (code) => {
        for (const w of waiters.splice(0)) w.reject(new Error(`python exited (${code}): ${err}`))
        resolve({ code, stderr: err })
      }))
      return {
        line: () => new Promise((resolve, reject) => { waiters.push({ resolve, reject }); flush() }),
        send: (line) => proc.stdin.write(line + '\n'),
        exited
      }
    }

    it('Node creates, Python attaches: each reads what the other wrote', async function () {
      const shm = track(new SharedMemory({ create: true, size: 1000 }))
      shm.map.write(Buffer.from('hello from node'))
      const py = startPython(`
shm = attach(sys.argv[1] if len(sys.argv) > 1 else hear())
say(shm.name, shm.size, bytes(shm.buf[:15]).decode())
shm.buf[500:517] = b"hello from python"
say("written")
hear()
shm.close()
`)
      py.send(shm.name)
      assert.strictEqual(await py.line(), `${shm.name} 1000 hello from node`)
      assert.strictEqual(await py.line(), 'written')
      assert.strictEqual(shm.map.slice(500, 517).toString(), 'hello from python')
      py.send('bye')
      const { code, stderr } = await py.exited
      assert.strictEqual(stderr, '')
      assert.strictEqual(code, 0)
      // Python's exit left the name (no resource tracker unlinked it).
      const again = track(new SharedMemory({ name: shm.name }))
      assert.strictEqual(again.map.slice(500, 517).toString(), 'hello from python')
    })

    it('Python creates, Node attaches: each reads what the other wrote; Python unlinks', async function () {
      const py = startPython(`
shm = shared_memory.SharedMemory(create=True, size=5000)
shm.buf[:17] = b"hello from python"
say(shm.name, shm.size)
hear()
say(bytes(shm.buf[4000:4015]).decode())
shm.close()
shm.unlink()
say("unlinked")
`)
      const [name, size] = (await py.line()).split(' ')
      assert.match(name, /^psm_[0-9a-f]{8}$/)
      assert.strictEqual(size, '5000')
      const shm = new SharedMemory({ name })
      assert.strictEqual(shm.size, 5000)
      assert.strictEqual(shm.map.slice(0, 17).toString(), 'hello from python')
      shm.map.setSlice(4000, 4015, Buffer.from('hello from node'))
      py.send('go')
      assert.strictEqual(await py.line(), 'hello from node')
      assert.strictEqual(await py.line(), 'unlinked')
      const { code, stderr } = await py.exited
      assert.strictEqual(stderr, '')
      assert.strictEqual(code, 0)
      // Unlinked by Python: gone by name, still mapped here.
      assertCode(() => new SharedMemory({ name }), Error, 'ENOENT')
      assert.strictEqual(shm.map.slice(4000, 4015).toString(), 'hello from node')
      shm.close()
    })

    it('a name Node chose is one Python opens, and Python\'s unlink() removes Node\'s block', async function () {
      const name = uniqueName()
      const shm = new SharedMemory({ name, create: true, size: 64 })
      shm.map.write(Buffer.from('N'))
      const py = startPython(`
shm = shared_memory.SharedMemory(sys.argv[1] if len(sys.argv) > 1 else hear())
say(shm.name, shm.size, chr(shm.buf[0]))
shm.close()
shm.unlink()
`)
      py.send(name)
      assert.strictEqual(await py.line(), `${name} 64 N`)
      const { code, stderr } = await py.exited
      assert.strictEqual(stderr, '')
      assert.strictEqual(code, 0)
      assertCode(() => new SharedMemory({ name }), Error, 'ENOENT')
      shm.close()
    })
  })

  describe('Windows handles', function () {
    this.timeout(300000)

    it('2,000 create/attach/close cycles release every handle: each block is gone after close()', function () {
      if (!isWindows) skip(this, 'Windows: a leaked handle would keep the block alive (POSIX: the leak test below)')
      for (let i = 0; i < 2000; i++) {
        const name = uniqueName()
        const shm = new SharedMemory({ name, create: true, size: 4096 })
        const other = new SharedMemory({ name })
        new Uint8Array(other.buffer)[i % 4096] = 1
        other.close()
        assert.strictEqual(shm.map.get(i % 4096), 1)
        shm.close()
        // Failed opens must not keep handles either.
        assertCode(() => new SharedMemory({ name: uniqueName() }), Error, 'ENOENT')
        assertCode(() => new SharedMemory({ name }), Error, 'ENOENT')
      }
    })

    it('EEXIST leaves the existing block as it was and holds no handle to it', function () {
      if (!isWindows) skip(this, 'Windows: a leaked handle would keep the block alive')
      const name = uniqueName()
      const shm = new SharedMemory({ name, create: true, size: 4096 })
      for (let i = 0; i < 100; i++) assertCode(() => new SharedMemory({ name, create: true, size: 1 }), Error, 'EEXIST')
      shm.close()
      assertCode(() => new SharedMemory({ name }), Error, 'ENOENT')
    })
  })

  describe('leaks', function () {
    this.timeout(300000)
    beforeEach(function () {
      needsProc(this)
    })

    // MMAP_NATIVE_TEST_SCALE scales the cycles down in the emulated stages.
    const cycles = scaled(10000)
    it(`${cycles.toLocaleString('en-US')} create/unlink cycles and failed opens leave no descriptors, mappings nor names`, function () {
      const before = shmNames()
      const r = runChildJson(`
        const { SharedMemory } = require(MMAP)
        const { collect, mapCount, fdCount, run } = require(MMAP + '/test/fixtures/lifetime-probe.js')
        const fs = require('fs')
        const shmMaps = () => fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').filter((l) => l.includes('/dev/shm/')).length
        run(async () => {
          // Warm up: the first blocks load code and grow the heap.
          for (let i = 0; i < 100; i++) { const s = new SharedMemory({ create: true, size: 4096 }); s.close(); s.unlink() }
          await collect()
          const start = { maps: mapCount(), fds: fdCount() }
          for (let i = 0; i < ${cycles}; i++) {
            const shm = new SharedMemory({ create: true, size: 4096 + (i % 7) * 1000 })
            new Uint8Array(shm.buffer)[i % 4096] = 1
            if (i % 2 === 0) {
              const other = new SharedMemory({ name: shm.name })
              other.close()
            }
            // Half closed before unlink, half after; every 4th left to the garbage collector
            // (but the last few: the async function's frame may still hold the newest one).
            if (i % 4 === 3 && i < ${cycles - 10}) { shm.unlink(); continue }
            if (i % 2) shm.close()
            shm.unlink()
            shm.close()
          }
          // Failures: an existing name, a missing one, a block too large to map.
          const held = new SharedMemory({ create: true, size: 1 })
          for (let i = 0; i < ${scaled(1000)}; i++) {
            try { new SharedMemory({ name: held.name, create: true, size: 1 }) } catch (err) { if (err.code !== 'EEXIST') throw err }
            try { new SharedMemory({ name: 'mmtest_missing_' + process.pid }) } catch (err) { if (err.code !== 'ENOENT') throw err }
            // An OS error, or where size_t has 32 bits ERR_OUT_OF_RANGE before any system call.
            try { new SharedMemory({ create: true, size: 2 ** 50 }) } catch (err) { if (!err.errno && !(${is32Bit} && err.code === 'ERR_OUT_OF_RANGE')) throw err }
          }
          held.close()
          held.unlink()
          await collect()
          await collect()
          return { start, end: { maps: mapCount(), fds: fdCount() }, shmMaps: shmMaps() }
        })
      `, { timeout: slow(280000) })
      assert.strictEqual(r.shmMaps, 0, 'mappings of /dev/shm objects are left')
      assert.ok(r.end.fds - r.start.fds <= 5, `descriptors grew from ${r.start.fds} to ${r.end.fds}`)
      assert.ok(r.end.maps - r.start.maps <= 64, `mappings grew from ${r.start.maps} to ${r.end.maps}`)
      assert.deepStrictEqual(shmNames(), before, 'names are left in /dev/shm')
    })
  })
})
