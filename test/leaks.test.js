'use strict'
// leaks.test.js: many maps, resizes, flushes, views and failed maps leave no mappings and no
// descriptors behind (counted in /proc/self/maps and /proc/self/fd of a child process).
const assert = require('assert')
const { tempFile, sparseFile, removeFile, runChildJson, needsProc, scaled, skip } = require('./helpers')

// The rounds of the loops below; MMAP_NATIVE_TEST_SCALE scales them down in the emulated stages.
const MAPS = scaled(20000)
const RESIZES = scaled(2000)
const WINDOWS = scaled(100000)
const en = (n) => n.toLocaleString('en-US')

// The slack allowed for mappings and descriptors the runtime itself makes. V8 reserves
// heap and code space in separate mappings as it grows (Node 26 was seen adding six
// lines in one test), so mappings get a wider margin than descriptors. Each test
// repeats its operation at least 2,000 times, so a leaked mapping per operation
// overshoots this slack many times over, and a mapping of the test file itself
// must be gone entirely (fileMaps).
const MAPS_SLACK = 64
const FDS_SLACK = 5

const PRELUDE = `
const fs = require('fs')
const mmap = require(MMAP)
const { Mmap } = mmap
const { tick, collect, mapsOf, sharedAnonMaps, mapCount, fdsOf, fdCount, run } = require(MMAP + '/test/fixtures/lifetime-probe.js')
function snapshot (file) {
  return { maps: mapCount(), fds: fdCount(), fileMaps: mapsOf(file), fileFds: fdsOf(file), anon: sharedAnonMaps() }
}
`

function probe (code) {
  return runChildJson(PRELUDE + code)
}

// Asserts that `after` holds no more mappings and descriptors than `before`
// (beyond the slack), and none of the test file at all.
function assertNoGrowth ({ before, after }) {
  assert.ok(after.maps - before.maps <= MAPS_SLACK,
    `/proc/self/maps grew from ${before.maps} to ${after.maps} lines`)
  assert.ok(after.fds - before.fds <= FDS_SLACK, `open descriptors grew from ${before.fds} to ${after.fds}`)
  assert.strictEqual(after.fileMaps, 0, 'mappings of the test file are left')
  assert.strictEqual(after.fileFds, 0, 'descriptors of the test file are left open')
  assert.strictEqual(after.anon, before.anon, 'shared anonymous maps are left')
}

describe('leaks', function () {
  beforeEach(function () {
    // Windows: windows.test.js checks that dropped maps release their file.
    needsProc(this)
  })

  it(`${en(MAPS)} maps closed or dropped leave no mappings nor descriptors behind`, function () {
    const file = tempFile(Buffer.alloc(16384, 0x41))
    const r = probe(`run(async () => {
      const file = ${JSON.stringify(file)}
      // File-backed and anonymous, shared and private, with and without
      // views; half closed explicitly, half left to the garbage collector.
      function once (i) {
        switch (i % 8) {
          case 0: {
            const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
            m.set(i % 4096, 1)
            m.close()
            break
          }
          case 1:
            mmap.open(file).subarray(0, 16)
            break
          case 2: {
            const fd = fs.openSync(file, 'r+')
            const m = new Mmap(fd, 4096, { offset: (i % 3) * 4096 + (i % 5) })
            fs.closeSync(fd)
            m.subarray()[0] = 2
            m.close()
            break
          }
          case 3: {
            const fd = fs.openSync(file, 'r')
            void new Mmap(fd, 0, { access: mmap.ACCESS_COPY }).buffer
            fs.closeSync(fd)
            break
          }
          case 4: {
            const m = new Mmap(-1, 4096)
            m.set(0, 1)
            m.close()
            break
          }
          case 5:
            new Mmap(-1, 8192).subarray()
            break
          case 6: {
            const m = new Mmap(-1, 4096, { flags: mmap.MAP_PRIVATE })
            void m.buffer
            m.close()
            break
          }
          case 7:
            new Mmap(-1, 12288, { flags: mmap.MAP_PRIVATE }).set(1, 1)
            break
        }
      }
      for (let i = 0; i < 800; i++) once(i)
      await collect()
      const before = snapshot(file)
      let peak = 0
      for (let i = 0; i < ${MAPS}; i++) {
        once(i)
        if (i % 500 === 499) {
          peak = Math.max(peak, mapCount())
          global.gc()
          await tick()
        }
      }
      await collect()
      return { before, after: snapshot(file), peak, bytes: fs.readFileSync(file).subarray(0, 4096).every((b) => b === 1 || b === 2 || b === 0x41) }
    })`)
    assertNoGrowth(r)
    assert.strictEqual(r.bytes, true)
    // The maps dropped between two collections really were mapped at once:
    // the count above is not trivially flat.
    assert.ok(r.peak > r.before.maps + 100, `peak ${r.peak}, before ${r.before.maps}`)
  })

  it('maps that fail to be made leave no descriptors behind', function () {
    const file = tempFile(Buffer.alloc(4096, 0x41))
    const r = probe(`run(async () => {
      const file = ${JSON.stringify(file)}
      const wfd = fs.openSync(file, 'r+')
      const wonly = fs.openSync(file, 'w')
      fs.writeSync(wfd, Buffer.alloc(4096, 0x41), 0, 4096, 0)
      const rfd = fs.openSync(file, 'r')
      const attempts = {
        'write-only descriptor': () => new Mmap(wonly, 4096),
        'ACCESS_WRITE of a read-only descriptor': () => new Mmap(rfd, 4096, { access: mmap.ACCESS_WRITE }),
        'open() with an offset past the end': () => mmap.open(file, { offset: 8192 }),
        'open() with a length past the end': () => mmap.open(file, { length: 8192 }),
        'open() of a directory': () => mmap.open('/'),
        'open() of a missing file': () => mmap.open(file + '.missing')
      }
      const codes = {}
      const attempt = (rounds) => {
        for (const [name, fn] of Object.entries(attempts)) {
          for (let i = 0; i < rounds; i++) {
            try {
              fn()
              codes[name] = 'made a map'
            } catch (err) {
              codes[name] = err.code
            }
          }
        }
      }
      // Warm up first: the heap the runtime grows for thousands of errors is not a leak.
      attempt(${scaled(500)})
      await collect()
      const before = snapshot(file)
      attempt(${scaled(2000)})
      await collect()
      const after = snapshot(file)
      return { codes, maps: [before.maps, after.maps], fds: [before.fds, after.fds], fileFds: [before.fileFds, after.fileFds], fileMaps: after.fileMaps }
    })`)
    assert.deepStrictEqual(r.codes, {
      'write-only descriptor': 'EACCES',
      'ACCESS_WRITE of a read-only descriptor': 'EACCES',
      'open() with an offset past the end': 'ERR_OUT_OF_RANGE',
      'open() with a length past the end': 'ERR_OUT_OF_RANGE',
      'open() of a directory': 'EINVAL',
      'open() of a missing file': 'ENOENT'
    })
    assert.deepStrictEqual(r.fds, [r.fds[0], r.fds[0]], 'descriptors leaked')
    assert.deepStrictEqual(r.fileFds, [3, 3])
    // A failed map leaves no mapping of the file (fileMaps); the process's
    // total moves with the runtime's heap after thousands of thrown errors
    // (by a dozen pages on Node 22 and later), so it only gets a wide bound.
    assert.strictEqual(r.fileMaps, 0)
    assert.ok(r.maps[1] - r.maps[0] <= 64, `mappings grew from ${r.maps[0]} to ${r.maps[1]}`)
  })

  it('repeated resize() leaves no mappings nor descriptors behind', function () {
    const file = tempFile(4096)
    const r = probe(`run(async () => {
      const file = ${JSON.stringify(file)}
      await collect()
      const before = snapshot(file)
      const maps = [
        mmap.open(file, { access: mmap.ACCESS_WRITE }),
        new Mmap(-1, 4096),
        new Mmap(-1, 4096, { flags: mmap.MAP_PRIVATE })
      ]
      const views = []
      for (let i = 0; i < ${RESIZES}; i++) {
        for (const m of maps) {
          m.resize(4096 * (1 + (i % 7)) + (i % 3))
          m.set(m.length - 1, i & 255)
          if (i % 10 === 0) views.push(m.subarray(0, 8))
        }
      }
      const lengths = maps.map((m) => m.length)
      const last = maps.map((m) => m.get(m.length - 1))
      for (const m of maps) m.close()
      const detached = views.every((v) => v.length === 0)
      views.length = 0
      await collect()
      return { before, after: snapshot(file), lengths, last, detached, size: fs.statSync(file).size }
    })`)
    assertNoGrowth(r)
    const lastRound = RESIZES - 1
    const length = 4096 * (1 + (lastRound % 7)) + (lastRound % 3)
    assert.deepStrictEqual(r.lengths, [length, length, length])
    assert.deepStrictEqual(r.last, [lastRound & 255, lastRound & 255, lastRound & 255])
    assert.strictEqual(r.detached, true)
    assert.strictEqual(r.size, length)
  })

  it('thousands of flushAsync() calls leave no mappings nor descriptors behind', function () {
    const file = tempFile(65536)
    const r = probe(`run(async () => {
      const file = ${JSON.stringify(file)}
      // The first flushAsync() starts libuv's thread pool, whose stacks are
      // mappings of their own: start it before counting.
      const warm = new Mmap(-1, 4096)
      await warm.flushAsync()
      warm.close()
      await collect()
      const before = snapshot(file)
      let settled = 0
      for (let round = 0; round < 50; round++) {
        const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
        const promises = []
        for (let i = 0; i < 40; i++) {
          m.set((round * 40 + i) % 65536, 7)
          promises.push(m.flushAsync(i * 1024, 1024).then(() => { settled++ }))
        }
        if (round % 2) m.close()
        await Promise.all(promises)
        if (round % 2 === 0) m.close()
      }
      await collect()
      return { before, after: snapshot(file), settled }
    })`)
    assertNoGrowth(r)
    assert.strictEqual(r.settled, 2000)
  })

  it('thousands of findAsync, rfindAsync, countAsync and prefetch calls (some aborted, some closed under) leave nothing behind', function () {
    const file = tempFile(Buffer.alloc(1 << 20, 'ab'))
    const r = probe(`run(async () => {
      const file = ${JSON.stringify(file)}
      const warm = new Mmap(-1, 4096)
      await warm.countAsync('x')
      warm.close()
      await collect()
      const before = snapshot(file)
      let settled = 0
      for (let round = 0; round < 50; round++) {
        const m = mmap.open(file)
        const controller = new AbortController()
        const promises = []
        for (let i = 0; i < 10; i++) {
          const signal = i === 9 ? controller.signal : undefined
          for (const p of [m.countAsync('ab', 0, undefined, { signal }), m.findAsync('ba', i), m.rfindAsync('abab'), m.prefetch(i * 4096, 65536)]) {
            promises.push(p.then(() => { settled++ }, (err) => { if (err.code === 'ABORT_ERR' || err.code === 'ERR_MMAP_CLOSED') settled++ }))
          }
        }
        controller.abort()
        if (round % 2) m.close()
        await Promise.all(promises)
        if (round % 2 === 0) m.close()
      }
      await collect()
      return { before, after: snapshot(file), settled }
    })`)
    assertNoGrowth(r)
    assert.strictEqual(r.settled, 2000)
  })

  it(`${en(WINDOWS)} subarray() windows of a map larger than one ArrayBuffer, dropped, leave nothing behind`, function () {
    // Past 4 GiB: Node 20 hands out windows (one ArrayBuffer can hold at
    // most 4 GiB there), later versions views of one buffer; neither may leak.
    const MAX = Math.min(require('buffer').constants.MAX_LENGTH, 2 ** 32)
    const size = MAX + 65536
    const file = sparseFile(size)
    if (file === null) skip(this, 'the filesystem will not make a sparse file')
    const r = probe(`run(async () => {
      const file = ${JSON.stringify(file)}
      await collect()
      const before = snapshot(file)
      const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
      const kept = []
      let sum = 0
      for (let i = 0; i < ${WINDOWS}; i++) {
        const start = ${MAX} - 4096 + (i % 64) * 1024
        const w = m.subarray(start, start + 4096)
        w[0] = i & 255
        sum += w[0]
        if (i % 10000 === 0) kept.push(w)
        if (i % 5000 === 4999) {
          global.gc()
          await tick()
        }
      }
      const mid = snapshot(file)
      m.close()
      const detached = kept.every((w) => w.length === 0)
      kept.length = 0
      await collect()
      return { before, mid: [mid.fileMaps, mid.fileFds], after: snapshot(file), sum, detached }
    })`)
    removeFile(file)
    assertNoGrowth(r)
    assert.deepStrictEqual(r.mid, [1, 1])
    let sum = 0
    for (let i = 0; i < WINDOWS; i++) sum += i & 255
    assert.strictEqual(r.sum, sum)
    assert.strictEqual(r.detached, true)
  })
})
