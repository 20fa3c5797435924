'use strict'
// lifetime.test.js: views after close() and resize(), views outliving the Mmap, GC unmapping,
// read-only views, the closed state, flushAsync lifetime and foreign handles.
const assert = require('assert')
const fs = require('fs')
const mmap = require('..')
const { tempFile, sparseFile, removeFile: helpersRemove, runChildJson, skip, needsProc } = require('./helpers')

const { Mmap } = mmap

// Shared by every child: the package and the helpers of fixtures/lifetime-probe.js
// (a GC that lets finalizers run, counters over /proc, run()).
const PRELUDE = `
const fs = require('fs')
const mmap = require(MMAP)
const { Mmap } = mmap
const { collect, mapsOf, sharedAnonMaps, tombstoneBytes, fdsOf, fdCount, run } = require(MMAP + '/test/fixtures/lifetime-probe.js')
`

// Runs `code` (which calls run(async () => result)) in a child process and
// returns the result it printed; fails unless the child exited with status 0.
function probe (code) {
  return runChildJson(PRELUDE + code)
}

// A file of `size` bytes whose byte i is i % 251.
function patternFile (size) {
  const data = Buffer.alloc(size)
  for (let i = 0; i < size; i++) data[i] = i % 251
  return tempFile(data)
}

describe('close() and views', function () {
  it('empties m.buffer, subarray() Buffers and views made over m.buffer', function () {
    const file = tempFile(Buffer.alloc(8192, 0x41))
    const r = probe(`run(() => {
      const fd = fs.openSync(${JSON.stringify(file)}, 'r+')
      const m = new Mmap(fd, 0)
      fs.closeSync(fd)
      const ab = m.buffer
      const sub = m.subarray(100, 200)
      const whole = m.subarray()
      const u8 = new Uint8Array(m.buffer)
      const u32 = new Uint32Array(m.buffer, 4096, 4)
      const fromBuffer = Buffer.from(m.buffer, 10, 20)
      const dv = new DataView(m.buffer)
      const before = [ab.byteLength, sub.length, whole.length, u8.length, u32.length, fromBuffer.length, dv.byteLength, sub[0], u32[0]]
      m.close()
      let dvRead = null
      try { dv.getUint8(0) } catch (err) { dvRead = err.constructor.name }
      return {
        before,
        lengths: [ab.byteLength, sub.length, sub.byteLength, whole.length, u8.length, u8.byteLength, u32.length, fromBuffer.length, dv.buffer.byteLength],
        reads: [sub[0], whole[0], u8[0], u8[8191], u32[0], fromBuffer[0]].map(String),
        dvRead,
        closed: m.closed
      }
    })`)
    assert.deepStrictEqual(r.before, [8192, 100, 8192, 8192, 4, 20, 8192, 0x41, 0x41414141])
    assert.deepStrictEqual(r.lengths, [0, 0, 0, 0, 0, 0, 0, 0, 0])
    assert.deepStrictEqual(r.reads, ['undefined', 'undefined', 'undefined', 'undefined', 'undefined', 'undefined'])
    assert.strictEqual(r.dvRead, 'TypeError')
    assert.strictEqual(r.closed, true)
  })

  it('makes writes through detached views do nothing and never reach the file', function () {
    const file = tempFile(Buffer.alloc(4096, 0x41))
    const r = probe(`run(() => {
      const fd = fs.openSync(${JSON.stringify(file)}, 'r+')
      const m = new Mmap(fd, 0)
      fs.closeSync(fd)
      const sub = m.subarray(0, 64)
      const u8 = new Uint8Array(m.buffer)
      const dv = new DataView(m.buffer)
      m.close()
      // Index stores are ignored; the typed-array methods that write refuse a
      // detached buffer with a TypeError (the engine's rule); Buffer's own
      // writers see length 0.
      sub[0] = 0x5a
      u8[1] = 0x5a
      sub[63] = 0x5a
      const outcome = (fn) => { try { return JSON.stringify(fn()) ?? 'undefined' } catch (err) { return err.constructor.name } }
      const outcomes = {
        fill: outcome(() => u8.fill(0x5a) && 'filled'),
        set: outcome(() => sub.set([1, 2, 3])),
        write: outcome(() => sub.write('zzzz')),
        copy: outcome(() => Buffer.from('zzzz').copy(sub)),
        writeUInt8: outcome(() => sub.writeUInt8(1, 0)),
        setUint8: outcome(() => dv.setUint8(2, 0x5a))
      }
      const data = fs.readFileSync(${JSON.stringify(file)})
      return { reads: [String(sub[0]), String(u8[1]), String(sub[63])], outcomes, untouched: data.every((b) => b === 0x41), size: data.length }
    })`)
    assert.deepStrictEqual(r, {
      reads: ['undefined', 'undefined', 'undefined'],
      outcomes: { fill: 'TypeError', set: 'TypeError', write: '0', copy: '0', writeUInt8: 'RangeError', setUint8: 'TypeError' },
      untouched: true,
      size: 4096
    })
  })

  it('detaches the views of an anonymous map', function () {
    const r = probe(`run(() => {
      const m = new Mmap(-1, 65536)
      const sub = m.subarray(4096)
      const u16 = new Uint16Array(m.buffer)
      sub[0] = 7
      const before = [sub.length, u16.length, m.get(4096)]
      m.close()
      sub[1] = 9
      return { before, after: [sub.length, u16.length, String(sub[0]), String(sub[1]), String(u16[0])] }
    })`)
    assert.deepStrictEqual(r, { before: [61440, 32768, 7], after: [0, 0, 'undefined', 'undefined', 'undefined'] })
  })

  it('unmaps and closes the descriptor at once', function () {
    needsProc(this)
    const file = tempFile(8192)
    const r = probe(`run(() => {
      const file = ${JSON.stringify(file)}
      const fd = fs.openSync(file, 'r+')
      const m = new Mmap(fd, 0)
      const o = mmap.open(file)
      fs.closeSync(fd)
      const sub = m.subarray()
      const before = [mapsOf(file), fdsOf(file)]
      m.close()
      o.close()
      return { before, after: [mapsOf(file), fdsOf(file)], sub: sub.length }
    })`)
    assert.deepStrictEqual(r, { before: [2, 2], after: [0, 0], sub: 0 })
  })

  it('can be called twice', function () {
    const r = probe(`run(() => {
      const m = new Mmap(-1, 4096)
      const view = m.subarray()
      const first = m.close()
      const second = m.close()
      return { first: String(first), second: String(second), closed: m.closed, view: view.length }
    })`)
    assert.deepStrictEqual(r, { first: 'undefined', second: 'undefined', closed: true, view: 0 })
  })

  it('is what Symbol.dispose does', function () {
    const file = tempFile(Buffer.alloc(4096, 0x41))
    const r = probe(`run(() => {
      const fd = fs.openSync(${JSON.stringify(file)}, 'r+')
      const m = new Mmap(fd, 0)
      fs.closeSync(fd)
      const view = m.subarray(0, 10)
      const u8 = new Uint8Array(m.buffer)
      const result = m[Symbol.dispose]()
      const closed = m.closed
      m[Symbol.dispose]()
      let code = null
      try { m.get(0) } catch (err) { code = err.code }
      return { result: String(result), closed, view: view.length, u8: u8.length, code, again: m.closed }
    })`)
    assert.deepStrictEqual(r, { result: 'undefined', closed: true, view: 0, u8: 0, code: 'ERR_MMAP_CLOSED', again: true })
  })

  it('refuses a detached view as data for another map', function () {
    const r = probe(`run(() => {
      const a = new Mmap(-1, 4096)
      const b = new Mmap(-1, 4096)
      const view = a.subarray(0, 16)
      const ab = a.buffer
      const u32 = new Uint32Array(ab, 0, 4)
      a.close()
      const codes = []
      for (const fn of [() => b.write(view), () => b.find(view), () => b.write(ab), () => b.setSlice(0, 0, view), () => b.count(u32)]) {
        try { fn(); codes.push('no throw') } catch (err) { codes.push(err.constructor.name + ' ' + err.code) }
      }
      return { codes, pos: b.tell() }
    })`)
    assert.deepStrictEqual(r.codes, Array(5).fill('TypeError ERR_INVALID_ARG_VALUE'))
    assert.strictEqual(r.pos, 0)
  })

  it('refuses a DataView over a detached ArrayBuffer as data with ERR_INVALID_ARG_VALUE', function () {
    const r = probe(`run(() => {
      const a = new Mmap(-1, 4096)
      const b = new Mmap(-1, 4096)
      const dv = new DataView(a.buffer)
      a.close()
      const codes = []
      for (const fn of [() => b.write(dv), () => b.find(dv), () => b.count(dv)]) {
        try { fn(); codes.push('no throw') } catch (err) { codes.push(err.constructor.name + ' ' + err.code) }
      }
      return codes
    })`)
    assert.deepStrictEqual(r, Array(3).fill('TypeError ERR_INVALID_ARG_VALUE'))
  })
})

describe('views outlive the Mmap object', function () {
  it('keeps a shared file map alive through a subarray after the Mmap is collected', function () {
    needsProc(this)
    const file = patternFile(8192)
    const r = probe(`run(async () => {
      const file = ${JSON.stringify(file)}
      let ref = null
      function make () {
        const fd = fs.openSync(file, 'r+')
        const m = new Mmap(fd, 0)
        fs.closeSync(fd)
        ref = new WeakRef(m)
        return m.subarray(4000, 4200)
      }
      let view = make()
      await collect()
      const collected = ref.deref() === undefined
      const alive = [mapsOf(file), fdsOf(file)]
      let same = true
      for (let i = 0; i < view.length; i++) if (view[i] !== (4000 + i) % 251) same = false
      view[0] = 0xee
      view[199] = 0xdd
      view.write('hello', 100)
      const data = fs.readFileSync(file)
      const reached = [data[4000], data[4199], data.toString('latin1', 4100, 4105)]
      const length = view.length
      view = null
      await collect()
      return { collected, alive, same, reached, length, released: [mapsOf(file), fdsOf(file)] }
    })`)
    assert.strictEqual(r.collected, true, 'the Mmap object was not collected: the test proves nothing')
    assert.deepStrictEqual(r.alive, [1, 1])
    assert.strictEqual(r.same, true)
    assert.deepStrictEqual(r.reached, [0xee, 0xdd, 'hello'])
    assert.strictEqual(r.length, 200)
    assert.deepStrictEqual(r.released, [0, 0])
  })

  it('keeps an anonymous map alive through m.buffer after the Mmap is collected', function () {
    needsProc(this)
    const r = probe(`run(async () => {
      // Only holder.ab references the memory: the checks run in plain
      // functions so that no suspended async frame keeps a view alive.
      const holder = { ab: null, ref: null }
      const base = sharedAnonMaps()
      function make () {
        const m = new Mmap(-1, 1 << 20)
        for (let i = 0; i < m.length; i += 4096) m.set(i, (i / 4096) & 255)
        holder.ref = new WeakRef(m)
        holder.ab = m.buffer
      }
      function check () {
        const u8 = new Uint8Array(holder.ab)
        let same = true
        for (let i = 0; i < u8.length; i += 4096) if (u8[i] !== ((i / 4096) & 255)) same = false
        new DataView(holder.ab).setUint32(8, 0xcafebabe)
        return { same, back: new DataView(holder.ab).getUint32(8), length: holder.ab.byteLength }
      }
      make()
      await collect()
      const collected = holder.ref.deref() === undefined
      const alive = sharedAnonMaps() - base
      const result = check()
      holder.ab = null
      await collect()
      return { collected, alive, ...result, released: sharedAnonMaps() - base }
    })`)
    assert.strictEqual(r.collected, true, 'the Mmap object was not collected: the test proves nothing')
    assert.deepStrictEqual(r, { collected: true, alive: 1, same: true, back: 0xcafebabe, length: 1 << 20, released: 0 })
  })

  it('keeps the map alive while any view over m.buffer is reachable', function () {
    needsProc(this)
    const file = patternFile(4096)
    const r = probe(`run(async () => {
      const file = ${JSON.stringify(file)}
      const holder = []
      function make () {
        const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
        holder.push(m.subarray(0, 10), m.subarray(10, 20), new Uint8Array(m.buffer, 20, 10))
      }
      const readLast = () => holder[holder.length - 1][0]
      make()
      const counts = []
      const reads = []
      while (holder.length > 0) {
        await collect()
        counts.push(mapsOf(file))
        reads.push(readLast())
        holder.pop()
      }
      await collect()
      counts.push(mapsOf(file), fdsOf(file))
      return { counts, reads }
    })`)
    assert.deepStrictEqual(r, { counts: [1, 1, 1, 0, 0], reads: [20, 10, 0] })
  })

  it('keeps a map larger than one ArrayBuffer alive while any subarray() window is reachable', function () {
    needsProc(this)
    // Past 4 GiB: windows on Node 20, views of one buffer on later versions.
    const MAX = Math.min(require('buffer').constants.MAX_LENGTH, 2 ** 32)
    const size = MAX + 8192
    const file = sparseFile(size)
    if (file === null) skip(this, 'the filesystem will not make a sparse file')
    const r = probe(`run(async () => {
      const file = ${JSON.stringify(file)}
      const holder = []
      let ref = null
      function make () {
        const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
        ref = new WeakRef(m)
        holder.push(m.subarray(0, 4096), m.subarray(${size} - 4096), m.subarray(4096, 8192))
        holder[0][0] = 1
        holder[1][4095] = 2
        holder[2][0] = 3
      }
      const readLast = () => [holder[holder.length - 1][0], holder[holder.length - 1].length]
      make()
      const counts = []
      const reads = []
      while (holder.length > 0) {
        await collect()
        counts.push(mapsOf(file))
        reads.push(readLast())
        holder.pop()
      }
      await collect()
      counts.push(mapsOf(file), fdsOf(file))
      const fd = fs.openSync(file, 'r')
      const last = Buffer.alloc(1)
      fs.readSync(fd, last, 0, 1, ${size} - 1)
      fs.closeSync(fd)
      return { collected: ref.deref() === undefined, counts, reads, last: last[0] }
    })`)
    helpersRemove(file)
    assert.deepStrictEqual(r, { collected: true, counts: [1, 1, 1, 0, 0], reads: [[3, 4096], [0, 4096], [1, 4096]], last: 2 })
  })
})

describe('garbage collection of unreachable maps', function () {
  it('unmaps an unreachable file map and closes its descriptor', function () {
    needsProc(this)
    const file = tempFile(Buffer.alloc(16384, 0x41))
    const r = probe(`run(async () => {
      const file = ${JSON.stringify(file)}
      await collect()
      const baseFds = fdCount()
      function make () {
        const fd = fs.openSync(file, 'r+')
        for (let i = 0; i < 5; i++) {
          const m = new Mmap(fd, 4096, { offset: i * 2048 })
          m.subarray(0, 10)[0] = 0x42
          void m.buffer
        }
        new Mmap(fd, 0, { access: mmap.ACCESS_READ })
        new Mmap(fd, 0, { access: mmap.ACCESS_COPY })
        mmap.open(file)
        mmap.open(file, { access: mmap.ACCESS_WRITE })
        fs.closeSync(fd)
      }
      make()
      const before = [mapsOf(file), fdsOf(file)]
      await collect()
      return { before, after: [mapsOf(file), fdsOf(file)], fdDelta: fdCount() - baseFds }
    })`)
    assert.ok(r.before[0] >= 9, `expected 9 mappings of the file before GC, saw ${r.before[0]}`)
    assert.strictEqual(r.before[1], 9)
    assert.deepStrictEqual(r.after, [0, 0])
    assert.strictEqual(r.fdDelta, 0)
  })

  it('unmaps an unreachable shared anonymous map', function () {
    needsProc(this)
    const r = probe(`run(async () => {
      await collect()
      const base = sharedAnonMaps()
      function make () {
        for (let i = 0; i < 8; i++) {
          const m = new Mmap(-1, 4096 * (i + 1))
          m.set(0, 1)
          if (i % 2) void m.subarray(0, 100)
        }
      }
      make()
      const before = sharedAnonMaps() - base
      await collect()
      return { before, after: sharedAnonMaps() - base }
    })`)
    assert.deepStrictEqual(r, { before: 8, after: 0 })
  })

  it('unmaps a closed map that is then collected only once', function () {
    needsProc(this)
    const file = tempFile(4096)
    const r = probe(`run(async () => {
      const file = ${JSON.stringify(file)}
      function make () {
        for (let i = 0; i < 50; i++) {
          const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
          const v = m.subarray()
          m.close()
          v[0] = 1
        }
      }
      make()
      await collect()
      // A second unmap or close of a stale address/descriptor would hit the
      // maps and descriptors made here.
      const keep = []
      for (let i = 0; i < 5; i++) keep.push(mmap.open(file, { access: mmap.ACCESS_WRITE }))
      await collect()
      keep[4].set(0, 9)
      return { maps: mapsOf(file), fds: fdsOf(file), first: keep[0].get(0), sizes: keep.map((m) => m.size()) }
    })`)
    assert.deepStrictEqual(r, { maps: 5, fds: 5, first: 9, sizes: [4096, 4096, 4096, 4096, 4096] })
  })
})

describe('read-only maps and their views', function () {
  // Writes through every kind of view of `expr` (a map made from fd), then
  // reports what the file and other maps of it show.
  function readOnlyProbe (file, makeExpr) {
    return probe(`run(() => {
      const file = ${JSON.stringify(file)}
      const fd = fs.openSync(file, 'r+')
      const ro = ${makeExpr}
      const writer = new Mmap(fd, 0)
      const reader = new Mmap(fd, 0, { access: mmap.ACCESS_READ })
      const view = ro.subarray()
      view[0] = 0x5a
      view.fill(0x5a, 100, 200)
      view.write('written', 300)
      new Uint8Array(ro.buffer)[5000] = 0x5a
      new DataView(ro.buffer).setUint32(6000, 0xdeadbeef)
      ro.subarray(7000, 7100).fill(0x5a)
      ro.flush()
      const own = view[0]
      const onDisk = fs.readFileSync(file).every((b) => b === 0x41)
      const others = writer.slice().every((b) => b === 0x41) && reader.slice().every((b) => b === 0x41)
      ro.close()
      const afterClose = fs.readFileSync(file).every((b) => b === 0x41)
      const fresh = new Mmap(fd, 0).slice().every((b) => b === 0x41)
      fs.closeSync(fd)
      return { own, onDisk, others, afterClose, fresh }
    })`)
  }

  it('writing through a view of an ACCESS_READ map reaches neither the file nor other maps', function () {
    const file = tempFile(Buffer.alloc(8192, 0x41))
    const r = readOnlyProbe(file, 'new Mmap(fd, 0, { access: mmap.ACCESS_READ })')
    assert.deepStrictEqual(r, { own: 0x5a, onDisk: true, others: true, afterClose: true, fresh: true })
  })

  it('writing through a view of a PROT_READ map reaches neither the file nor other maps', function () {
    if (mmap.PROT_READ === undefined) {
      // Windows: the ACCESS_READ tests here are the same check.
      skip(this, 'no PROT_READ on this platform')
    }
    const file = tempFile(Buffer.alloc(8192, 0x41))
    const r = readOnlyProbe(file, 'new Mmap(fd, 0, { prot: mmap.PROT_READ })')
    assert.deepStrictEqual(r, { own: 0x5a, onDisk: true, others: true, afterClose: true, fresh: true })
  })

  it('writing through a view of a MAP_PRIVATE PROT_READ map reaches neither the file nor other maps', function () {
    if (mmap.PROT_READ === undefined) {
      // Windows: the ACCESS_READ tests here are the same check.
      skip(this, 'no PROT_READ on this platform')
    }
    const file = tempFile(Buffer.alloc(8192, 0x41))
    const r = readOnlyProbe(file, 'new Mmap(fd, 0, { prot: mmap.PROT_READ, flags: mmap.MAP_PRIVATE })')
    assert.deepStrictEqual(r, { own: 0x5a, onDisk: true, others: true, afterClose: true, fresh: true })
  })

  it('writing through a view of an ACCESS_READ map at an unaligned offset reaches neither the file nor other maps', function () {
    const file = tempFile(Buffer.alloc(16384, 0x41))
    const r = readOnlyProbe(file, 'new Mmap(fd, 8192, { access: mmap.ACCESS_READ, offset: 1000 })')
    assert.deepStrictEqual(r, { own: 0x5a, onDisk: true, others: true, afterClose: true, fresh: true })
  })

  it('writing through a view of a map from open() (read-only descriptor) does not reach the file', function () {
    const file = tempFile(Buffer.alloc(8192, 0x41))
    const r = probe(`run(async () => {
      const file = ${JSON.stringify(file)}
      const m = mmap.open(file)
      const view = m.subarray()
      view.fill(0x5a)
      const own = m.get(0)
      const other = mmap.open(file)
      const others = other.slice().every((b) => b === 0x41)
      m.close()
      return { own, others, onDisk: fs.readFileSync(file).every((b) => b === 0x41) }
    })`)
    assert.deepStrictEqual(r, { own: 0x5a, others: true, onDisk: true })
  })

  it('writing through a view of a read-only anonymous map does not crash', function () {
    // Windows has no prot or flags: ACCESS_READ three times.
    const r = probe(`run(() => {
      const out = []
      const cases = mmap.PROT_READ === undefined
        ? [{ access: mmap.ACCESS_READ }, { access: mmap.ACCESS_READ }, { access: mmap.ACCESS_READ }]
        : [{ access: mmap.ACCESS_READ }, { prot: mmap.PROT_READ }, { prot: mmap.PROT_READ, flags: mmap.MAP_PRIVATE }]
      for (const options of cases) {
        const m = new Mmap(-1, 8192, options)
        const view = m.subarray()
        view.fill(0x11)
        new DataView(m.buffer).setUint8(4096, 0x22)
        out.push([m.get(0), m.get(4096)])
        m.close()
      }
      return out
    })`)
    assert.deepStrictEqual(r, [[0x11, 0x22], [0x11, 0x22], [0x11, 0x22]])
  })

  it('still refuses the module\'s own writes to such a map', function () {
    const file = tempFile(Buffer.alloc(4096, 0x41))
    const m = mmap.open(file)
    try {
      for (const fn of [() => m.set(0, 1), () => m.write(Buffer.from('x')), () => m.writeByte(1),
        () => m.setSlice(0, 1, Buffer.from('x')), () => m.move(0, 1, 1)]) {
        assert.throws(fn, (err) => err instanceof TypeError && err.code === 'ERR_MMAP_READONLY')
      }
    } finally {
      m.close()
    }
    assert.ok(fs.readFileSync(file).every((b) => b === 0x41))
  })
})

describe('a closed map', function () {
  // Every method of Mmap.prototype, as source run in the child, with
  // arguments that would be valid on an open 4096-byte writable map.
  const calls = {
    size: 'm.size()',
    subarray: 'm.subarray(0, 10)',
    get: 'm.get(0)',
    set: 'm.set(0, 1)',
    slice: 'm.slice(0, 10)',
    setSlice: "m.setSlice(0, 1, Buffer.from('x'))",
    find: "m.find('x')",
    rfind: "m.rfind('x')",
    count: "m.count('x')",
    read: 'm.read(1)',
    readByte: 'm.readByte()',
    readline: 'm.readline()',
    lines: 'm.lines()',
    lineOffsets: 'm.lineOffsets()',
    write: "m.write(Buffer.from('x'))",
    writeByte: 'm.writeByte(1)',
    seek: 'm.seek(0)',
    tell: 'm.tell()',
    move: 'm.move(0, 1, 1)',
    flush: 'm.flush()',
    resize: 'm.resize(8192)',
    madvise: 'm.madvise(mmap.MADV_NORMAL ?? 0)',
    setName: "m.setName('x')",
    search: 'm.search(/x/)',
    matchAll: 'm.matchAll(/x/g)',
    residency: 'm.residency()',
    lock: 'm.lock()',
    unlock: 'm.unlock()'
  }
  // The methods that return a promise reject instead (test/async.test.js).
  const exempt = ['constructor', 'close', 'closed', 'seekable', 'length', 'buffer', 'flushAsync',
    'findAsync', 'rfindAsync', 'countAsync', 'prefetch']
  const mapNames = ['file map', 'anonymous map', 'map from open()', 'map closed by Symbol.dispose']

  // Runs `body` in a child with `maps` (name -> closed map) in scope.
  function withClosedMaps (body) {
    const file = tempFile(4096)
    return probe(`run(async () => {
      const file = ${JSON.stringify(file)}
      const fd = fs.openSync(file, 'r+')
      const maps = {
        'file map': new Mmap(fd, 0),
        'anonymous map': new Mmap(-1, 4096),
        'map from open()': mmap.open(file, { access: mmap.ACCESS_WRITE }),
        'map closed by Symbol.dispose': new Mmap(-1, 4096)
      }
      fs.closeSync(fd)
      for (const [name, m] of Object.entries(maps)) {
        if (name === 'map closed by Symbol.dispose') m[Symbol.dispose]()
        else m.close()
      }
      const outcome = (fn) => {
        try {
          fn()
          return 'no throw'
        } catch (err) {
          return err.constructor.name + ' ' + err.code
        }
      }
      ${body}
    })`)
  }

  it('has a test call for every method of Mmap.prototype', function () {
    const names = Object.getOwnPropertyNames(Mmap.prototype).filter((n) => !exempt.includes(n))
    assert.deepStrictEqual(names.filter((n) => !(n in calls)), [])
  })

  it('throws ERR_MMAP_CLOSED (Error) from every method', function () {
    const r = withClosedMaps(`
      const out = {}
      for (const [name, m] of Object.entries(maps)) {
        out[name] = {}
        ${Object.entries(calls).map(([method, call]) => `out[name].${method} = outcome(() => ${call})`).join('\n        ')}
      }
      return out
    `)
    const expected = {}
    for (const name of mapNames) {
      expected[name] = {}
      for (const method of Object.keys(calls)) expected[name][method] = 'Error ERR_MMAP_CLOSED'
    }
    assert.deepStrictEqual(r, expected)
  })

  it('throws ERR_MMAP_CLOSED from length and buffer', function () {
    const r = withClosedMaps(`
      return Object.values(maps).map((m) => [outcome(() => m.length), outcome(() => m.buffer)])
    `)
    assert.deepStrictEqual(r, Array(4).fill(['Error ERR_MMAP_CLOSED', 'Error ERR_MMAP_CLOSED']))
  })

  it('makes flushAsync() reject with ERR_MMAP_CLOSED without throwing', function () {
    const r = withClosedMaps(`
      const out = []
      for (const m of Object.values(maps)) {
        let promise = null
        const thrown = outcome(() => { promise = m.flushAsync() })
        const settled = await promise.then(() => 'resolved', (err) => err.constructor.name + ' ' + err.code)
        out.push([thrown, promise instanceof Promise, settled])
      }
      return out
    `)
    assert.deepStrictEqual(r, Array(4).fill(['no throw', true, 'Error ERR_MMAP_CLOSED']))
  })

  it('keeps close(), closed and seekable() working', function () {
    const r = withClosedMaps(`
      return Object.values(maps).map((m) => [m.closed, m.seekable(), String(m.close()), String(m[Symbol.dispose]()), m.closed])
    `)
    assert.deepStrictEqual(r, Array(4).fill([true, true, 'undefined', 'undefined', true]))
  })

  it('checks argument types before the closed state, except in the subscript forms (closed first, as Python)', function () {
    const r = withClosedMaps(`
      const m = maps['file map']
      return [outcome(() => m.get('0')), outcome(() => m.seek(1.5)), outcome(() => m.write('x')), outcome(() => m.subarray(null))]
    `)
    assert.deepStrictEqual(r, [
      'Error ERR_MMAP_CLOSED',
      'RangeError ERR_OUT_OF_RANGE',
      'TypeError ERR_INVALID_ARG_TYPE',
      'TypeError ERR_INVALID_ARG_TYPE'
    ])
  })
})

describe('resize() and views', function () {
  it('detaches old views when a shared anonymous map grows (the memory moves)', function () {
    const r = probe(`run(() => {
      const m = new Mmap(-1, 4096)
      for (let i = 0; i < 4096; i++) m.set(i, i & 255)
      const ab = m.buffer
      const sub = m.subarray(10, 20)
      const u8 = new Uint8Array(m.buffer)
      const dv = new DataView(m.buffer)
      m.resize(3 * 4096)
      const detached = [ab.byteLength, sub.length, u8.length, dv.buffer.byteLength, String(sub[0]), String(u8[0])]
      sub[0] = 1
      u8[5] = 1
      const fresh = m.buffer
      const copy = new Uint8Array(fresh)
      let kept = true
      for (let i = 0; i < 4096; i++) if (copy[i] !== (i & 255)) kept = false
      let zero = true
      for (let i = 4096; i < copy.length; i++) if (copy[i] !== 0) zero = false
      copy[10000] = 77
      return { detached, length: m.length, buffer: fresh.byteLength, same: fresh === ab, kept, zero, get: m.get(10000), sub: m.subarray().length }
    })`)
    assert.deepStrictEqual(r, {
      detached: [0, 0, 0, 0, 'undefined', 'undefined'],
      length: 12288,
      buffer: 12288,
      same: false,
      kept: true,
      zero: true,
      get: 77,
      sub: 12288
    })
  })

  it('detaches old views when a file map shrinks in place', function () {
    const file = patternFile(3 * 4096)
    const r = probe(`run(() => {
      const file = ${JSON.stringify(file)}
      const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
      const ab = m.buffer
      const head = m.subarray(0, 100)
      const tail = m.subarray(9000)
      const u8 = new Uint8Array(m.buffer)
      m.resize(4096)
      const detached = [ab.byteLength, head.length, tail.length, u8.length, String(tail[0]), String(head[0])]
      tail[0] = 1
      const fresh = m.buffer
      const after = m.subarray(0, 100)
      after[0] = 0xee
      return { detached, length: m.length, buffer: fresh.byteLength, size: fs.statSync(file).size, first: fs.readFileSync(file)[0], second: after[1] }
    })`)
    assert.deepStrictEqual(r, {
      detached: [0, 0, 0, 0, 'undefined', 'undefined'],
      length: 4096,
      buffer: 4096,
      size: 4096,
      first: 0xee,
      second: 1
    })
  })

  it('detaches old views when an anonymous map shrinks', function () {
    const r = probe(`run(() => {
      const out = []
      for (const options of [{}, { flags: mmap.MAP_PRIVATE }]) {
        const m = new Mmap(-1, 4 * 4096, options)
        m.set(100, 5)
        const view = m.subarray()
        m.resize(4096)
        out.push([view.length, String(view[100]), m.buffer.byteLength, m.get(100)])
      }
      return out
    })`)
    assert.deepStrictEqual(r, [[0, 'undefined', 4096, 5], [0, 'undefined', 4096, 5]])
  })

  it('detaches old views on resize(0) and hands out an empty buffer', function () {
    const file = patternFile(4096)
    const r = probe(`run(() => {
      const m = mmap.open(${JSON.stringify(file)}, { access: mmap.ACCESS_WRITE })
      const view = m.subarray()
      m.resize(0)
      const empty = [view.length, m.length, m.buffer.byteLength, m.subarray().length]
      m.resize(4096)
      return { empty, grown: [m.length, m.buffer.byteLength, view.length] }
    })`)
    assert.deepStrictEqual(r, { empty: [0, 0, 0, 0], grown: [4096, 4096, 0] })
  })

  it('leaves an old view either detached or still over the map after a file map grows', function () {
    const file = patternFile(4096)
    const r = probe(`run(() => {
      const file = ${JSON.stringify(file)}
      const out = []
      for (let round = 0; round < 20; round++) {
        const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
        const view = m.subarray(0, 4096)
        const old = m.buffer
        m.resize(4096 * (round + 2))
        if (view.length === 0) {
          out.push(old.byteLength === 0 ? 'detached' : 'buffer attached but subarray detached')
        } else {
          view[1] = round
          out.push(view.length === 4096 && m.get(1) === round ? 'attached' : 'stale')
        }
        const fresh = m.buffer.byteLength === m.length && m.buffer !== old
        m.resize(4096)
        if (!fresh) out.push('m.buffer not renewed')
        m.close()
      }
      return out
    })`)
    assert.deepStrictEqual(r.filter((s) => s !== 'detached' && s !== 'attached'), [])
  })

  it('gives views made after a resize the new memory, reaching the file', function () {
    const file = tempFile(4096)
    const r = probe(`run(() => {
      const file = ${JSON.stringify(file)}
      const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
      m.resize(12288)
      const view = m.subarray(8192)
      view.write('end')
      new Uint8Array(m.buffer)[12287] = 0x7f
      const data = fs.readFileSync(file)
      return { view: view.length, data: [data.length, data.toString('latin1', 8192, 8195), data[12287]] }
    })`)
    assert.deepStrictEqual(r, { view: 4096, data: [12288, 'end', 0x7f] })
  })
})

describe('memory a view may still reach is never unmapped under it', function () {
  // close() and a resize() that moves or cuts off the memory detach every
  // view, but a pointer taken from a view before that (I/O on the thread
  // pool, a transfer() from another realm: transfer.test.js) still points
  // into the range. Until every view that reached it is gone, the range
  // holds a tombstone of zero-filled private memory instead of being
  // unmapped: such pointers read zeros, never unmapped memory.
  const SIZE = 32 << 20

  it('lets an fs.write() of a view in flight when close() runs finish, writing every byte', function () {
    const file = tempFile(Buffer.alloc(SIZE, 0x61))
    const out = tempFile(0)
    const r = probe(`run(async () => {
      const results = []
      for (let i = 0; i < 4; i++) {
        const m = mmap.open(${JSON.stringify(file)})
        const fd = fs.openSync(${JSON.stringify(out)}, 'w')
        const written = new Promise((resolve) => fs.write(fd, m.subarray(0, ${SIZE}), 0, ${SIZE}, 0, (err, n) => {
          fs.closeSync(fd)
          resolve(err ? err.code : n)
        }))
        m.close()
        results.push(await written)
      }
      // Each byte written is the file's or a tombstone's zero.
      const data = fs.readFileSync(${JSON.stringify(out)})
      return { results, size: data.length, foreign: data.some((b) => b !== 0x61 && b !== 0) }
    })`)
    helpersRemove(file)
    helpersRemove(out)
    assert.strictEqual(r.foreign, false)
    if (process.platform === 'win32') {
      // Windows tombstones are reserved memory whose pages are committed when
      // touched by code: a copy the kernel makes from one stops there (a
      // short write, or an error; not a crash), and the file then holds what
      // was written before.
      for (const x of r.results) assert.ok(typeof x === 'string' || (Number.isInteger(x) && x >= 0 && x <= SIZE), String(x))
      if (r.results[3] === SIZE) assert.strictEqual(r.size, SIZE)
    } else {
      assert.deepStrictEqual(r.results, [SIZE, SIZE, SIZE, SIZE])
      assert.strictEqual(r.size, SIZE)
    }
  })

  it('lets zlib compress a view in flight on the thread pool when close() runs', function () {
    const file = tempFile(Buffer.alloc(SIZE, 'abcdefgh'))
    const r = probe(`run(async () => {
      const zlib = require('zlib')
      const results = []
      for (let i = 0; i < 4; i++) {
        const m = mmap.open(${JSON.stringify(file)})
        // One output chunk for the whole input: zlib reads the view once,
        // on a pool thread, while close() runs here.
        const done = new Promise((resolve) => zlib.deflateRaw(m.subarray(0, ${SIZE}), { level: 1, chunkSize: ${SIZE * 2} },
          (err, out) => resolve(err ? err.code : 'compressed')))
        m.close()
        results.push(await done)
      }
      return results
    })`)
    helpersRemove(file)
    assert.deepStrictEqual(r, ['compressed', 'compressed', 'compressed', 'compressed'])
  })

  it('lets zlib compress a view in flight when resize() cuts that part of a file map off', function () {
    const file = tempFile(Buffer.alloc(2 * SIZE, 'abcdefgh'))
    const r = probe(`run(async () => {
      const zlib = require('zlib')
      const results = []
      for (let i = 0; i < 4; i++) {
        fs.truncateSync(${JSON.stringify(file)}, ${2 * SIZE})
        const m = mmap.open(${JSON.stringify(file)}, { access: mmap.ACCESS_WRITE })
        // The file is cut to one page under the compressing thread, then
        // the mapping is trimmed: neither may end the process.
        const done = new Promise((resolve) => zlib.deflateRaw(m.subarray(${SIZE}, ${2 * SIZE}), { level: 1, chunkSize: ${SIZE * 2} },
          (err, out) => resolve(err ? err.code : 'compressed')))
        m.resize(4096)
        results.push(await done, m.length, fs.statSync(${JSON.stringify(file)}).size)
        m.close()
      }
      return results
    })`)
    helpersRemove(file)
    assert.deepStrictEqual(r, Array(4).fill(['compressed', 4096, 4096]).flat())
  })

  it('leaves a tombstone over a closed map while a view lives, and unmaps it once the view is collected', function () {
    needsProc(this)
    const length = 3 * 1024 * 1024 + 5 * 4096
    const file = tempFile(length)
    const r = probe(`run(async () => {
      const file = ${JSON.stringify(file)}
      await collect()
      const before = tombstoneBytes()
      let views = []
      for (let i = 0; i < 3; i++) {
        const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
        views.push(m.buffer)
        m.close()
      }
      const whileHeld = { tombstones: tombstoneBytes() - before, fileMaps: mapsOf(file), fileFds: fdsOf(file), detached: views.every((v) => v.byteLength === 0) }
      views = null
      await collect()
      return { whileHeld, after: tombstoneBytes() - before }
    })`)
    helpersRemove(file)
    // V8 maps heap pages the same way (256 KiB each), so the counts are
    // bounds: three tombstones while the views live, none after.
    const { tombstones, ...rest } = r.whileHeld
    assert.deepStrictEqual(rest, { fileMaps: 0, fileFds: 0, detached: true })
    assert.ok(tombstones >= 3 * length && tombstones < 4 * length, `${tombstones} bytes of tombstones while the views live`)
    assert.ok(r.after < length, `${r.after} bytes of tombstones after the views are collected`)
  })

  it('unmaps a closed map at once when no view of it was ever made', function () {
    needsProc(this)
    const length = 3 * 1024 * 1024 + 7 * 4096
    const file = tempFile(length)
    const r = probe(`run(async () => {
      await collect()
      const before = tombstoneBytes()
      const m = mmap.open(${JSON.stringify(file)}, { access: mmap.ACCESS_WRITE })
      m.set(0, 1)
      m.close()
      return [tombstoneBytes() - before, mapsOf(${JSON.stringify(file)})]
    })`)
    helpersRemove(file)
    assert.ok(r[0] < length, `${r[0]} bytes of tombstones after close()`)
    assert.strictEqual(r[1], 0)
  })

  it('keeps a private map\'s bytes when it must move while old views are still alive', function () {
    const file = tempFile(1 << 20)
    const r = probe(`run(async () => {
      const results = []
      const fd = fs.openSync(${JSON.stringify(file)}, 'r+')
      // Private memory: anonymous, and a MAP_PRIVATE map of a file (whose
      // changed pages exist nowhere else).
      for (const target of [-1, fd]) {
        const size = 1 << 20
        const m = new Mmap(target, size, { flags: mmap.MAP_PRIVATE })
        for (let i = 0; i < size; i += 4096) m.set(i, (i >> 12) & 255)
        const old = m.buffer
        // Something right after the map keeps it from growing in place.
        const blocker = new Mmap(-1, 4096)
        const moved = m.resize(64 << 20)
        let kept = true
        for (let i = 0; i < size; i += 4096) if (m.get(i) !== ((i >> 12) & 255)) kept = false
        results.push({ moved, kept, detached: old.byteLength, zero: m.get((64 << 20) - 1) })
        m.close()
        blocker.close()
      }
      fs.closeSync(fd)
      return results
    })`)
    helpersRemove(file)
    assert.strictEqual(r.length, 2)
    for (const x of r) {
      assert.strictEqual(x.kept, true)
      assert.strictEqual(x.detached, 0)
      assert.strictEqual(x.zero, 0)
    }
  })
})

describe('flushAsync() and lifetime', function () {
  it('resolves when the map is closed right after the call', function () {
    needsProc(this)
    const file = tempFile(1 << 20)
    const r = probe(`run(async () => {
      const file = ${JSON.stringify(file)}
      const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
      const view = m.subarray()
      view.fill(0x33)
      const promises = [m.flushAsync(), m.flushAsync(4096, 8192), m.flushAsync()]
      m.close()
      const detached = view.length
      const settled = await Promise.allSettled(promises)
      await collect()
      return {
        detached,
        settled: settled.map((s) => s.status),
        closed: m.closed,
        data: fs.readFileSync(file).every((b) => b === 0x33),
        released: [mapsOf(file), fdsOf(file)]
      }
    })`)
    assert.deepStrictEqual(r, {
      detached: 0,
      settled: ['fulfilled', 'fulfilled', 'fulfilled'],
      closed: true,
      data: true,
      released: [0, 0]
    })
  })

  it('keeps working when every reference is dropped while it is pending', function () {
    needsProc(this)
    const file = tempFile(1 << 20)
    const r = probe(`run(async () => {
      const file = ${JSON.stringify(file)}
      let settled = 0
      let ref = null
      function start () {
        const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
        ref = new WeakRef(m)
        m.subarray().fill(0x44)
        for (let i = 0; i < 4; i++) m.flushAsync().then(() => { settled++ })
      }
      start()
      // Newer Node versions may need more than one round of collections
      // before every finalizer has run: wait (up to 5 s) for the release.
      const deadline = Date.now() + 5000
      do {
        await collect()
        await new Promise((resolve) => setTimeout(resolve, 20))
      } while ((mapsOf(file) !== 0 || fdsOf(file) !== 0 || settled < 4) && Date.now() < deadline)
      return { settled, collected: ref.deref() === undefined, released: [mapsOf(file), fdsOf(file)], data: fs.readFileSync(file).every((b) => b === 0x44) }
    })`)
    assert.deepStrictEqual(r, { settled: 4, collected: true, released: [0, 0], data: true })
  })

  it('makes resize() throw ERR_MMAP_BUSY while it is pending, and leaves the map as it was', function () {
    const file = tempFile(Buffer.alloc(8192, 0x41))
    const r = probe(`run(async () => {
      const file = ${JSON.stringify(file)}
      const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
      const view = m.subarray()
      const pending = m.flushAsync()
      let err = null
      try { m.resize(16384) } catch (e) { err = [e.constructor.name, e.code] }
      const during = [m.length, view.length, fs.statSync(file).size, m.buffer.byteLength]
      await pending
      m.resize(16384)
      return { err, during, after: [m.length, fs.statSync(file).size, view.length] }
    })`)
    if (process.platform === 'win32') {
      // Windows maps the grown view at the old address when it is free (it
      // is: views take 64 KiB of address space), so the view stays attached.
      assert.ok([0, 8192].includes(r.after[2]), `view length ${r.after[2]}`)
      r.after[2] = 0
    }
    assert.deepStrictEqual(r, {
      err: ['Error', 'ERR_MMAP_BUSY'],
      during: [8192, 8192, 8192, 8192],
      after: [16384, 16384, 0]
    })
  })

  it('makes resize() of an anonymous map throw ERR_MMAP_BUSY while it is pending', function () {
    const r = probe(`run(async () => {
      const m = new Mmap(-1, 8192)
      const pending = m.flushAsync()
      let err = null
      try { m.resize(4096) } catch (e) { err = [e.constructor.name, e.code] }
      const length = m.length
      await pending
      m.resize(4096)
      return { err, length, after: m.length }
    })`)
    assert.deepStrictEqual(r, { err: ['Error', 'ERR_MMAP_BUSY'], length: 8192, after: 4096 })
  })
})

describe('native binding handles', function () {
  it('refuses foreign objects and numbers as handles with ERR_INVALID_ARG_TYPE', function () {
    const r = probe(`run(() => {
      const binding = require(MMAP + '/lib/binding')
      const foreign = [{}, 0, 42, -1, null, undefined, 'handle', true, [], new ArrayBuffer(16), Buffer.alloc(16),
        new Uint8Array(16), new DataView(new ArrayBuffer(16)), () => {}, Symbol('x'), 1n, Object.create(null)]
      const bytes = Buffer.from('ab')
      const calls = {
        close: (h) => binding.close(h),
        view: (h) => binding.view(h, 0, 1),
        fileSize: (h) => binding.fileSize(h),
        get: (h) => binding.get(h, 0),
        set: (h) => binding.set(h, 0, 1),
        copy: (h) => binding.copy(h, 0, 1),
        copyStep: (h) => binding.copyStep(h, 0, 1, 1),
        write: (h) => binding.write(h, 0, bytes),
        writeStep: (h) => binding.writeStep(h, 0, 1, 2, bytes),
        find: (h) => binding.find(h, bytes, 0, 1),
        rfind: (h) => binding.rfind(h, bytes, 0, 1),
        count: (h) => binding.count(h, bytes, 0, 1),
        readline: (h) => binding.readline(h, 0),
        readlineInto: (h) => binding.readlineInto(h, 0, new Uint8Array(8), 0),
        lineEnds: (h) => binding.lineEnds(h, 0, 1, new Float64Array(8), 0),
        slot: (h) => binding.slot(h),
        move: (h) => binding.move(h, 0, 1, 1),
        sync: (h) => binding.sync(h, 0, 1),
        syncAsync: (h) => binding.syncAsync(h, 0, 1),
        resize: (h) => binding.resize(h, 8192),
        advise: (h) => binding.advise(h, 0, 0, 1),
        setName: (h) => binding.setName(h, 'x'),
        latin1: (h) => binding.latin1(h, 0, 1)
      }
      const wrong = []
      let checked = 0
      for (const [name, call] of Object.entries(calls)) {
        for (const h of foreign) {
          checked++
          try {
            call(h)
            wrong.push(name + ': no throw')
          } catch (err) {
            if (!(err instanceof TypeError) || err.code !== 'ERR_INVALID_ARG_TYPE') wrong.push(name + ': ' + err.constructor.name + ' ' + err.code)
          }
        }
      }
      const first = (() => { try { binding.get({}, 0) } catch (err) { return [err.constructor.name, err.code] } })()
      const second = (() => { try { binding.get(12345, 0) } catch (err) { return [err.constructor.name, err.code] } })()
      const noArgs = (() => { try { binding.get() } catch (err) { return [err.constructor.name, err.code] } })()
      const m = new Mmap(-1, 4096)
      m.set(0, 3)
      return { first, second, noArgs, wrong, checked, alive: m.get(0) }
    })`)
    assert.deepStrictEqual(r.first, ['TypeError', 'ERR_INVALID_ARG_TYPE'])
    assert.deepStrictEqual(r.second, ['TypeError', 'ERR_INVALID_ARG_TYPE'])
    assert.deepStrictEqual(r.noArgs, ['TypeError', 'ERR_INVALID_ARG_TYPE'])
    assert.deepStrictEqual(r.wrong, [])
    assert.strictEqual(r.checked, 23 * 17)
    assert.strictEqual(r.alive, 3)
  })
})
