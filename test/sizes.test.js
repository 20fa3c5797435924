'use strict'
// sizes.test.js: lengths, offsets and indexes where size_t has 32 bits (the armv7l stage) as
// well as 64: a length the address space cannot hold is refused, never cut to its low bits;
// file offsets past 4 GiB work everywhere.
const assert = require('assert')
const fs = require('fs')
const { Mmap, open, ACCESS_READ, ALLOCATIONGRANULARITY, MAP_SHARED = 1, PROT_READ = 1 } = require('..') // Windows has no MAP_* or PROT_* (ignored there)
const binding = require('../lib/binding')
const helpers = require('./helpers')

const { skip, is32Bit, sparseFile, resources } = helpers
const GiB = 2 ** 30
const res = resources()

// A sparse file of `size` bytes with `text` written at each offset, or a skip.
function sparseWith (ctx, size, pieces) {
  const file = sparseFile(size)
  if (file === null) skip(ctx, 'the filesystem will not make sparse files')
  res.files.push(file)
  const fd = fs.openSync(file, 'r+')
  try {
    for (const [offset, text] of pieces) fs.writeSync(fd, Buffer.from(text, 'latin1'), 0, text.length, offset)
  } finally {
    fs.closeSync(fd)
  }
  return file
}

// The error fn throws: ERR_OUT_OF_RANGE, or the OS's ENOMEM when the length fits size_t but no
// free range of the address space is that long.
function assertTooLarge (fn) {
  const err = helpers.captureThrow(fn)
  assert.ok(err.code === 'ERR_OUT_OF_RANGE' || err.code === 'ENOMEM', `expected ERR_OUT_OF_RANGE or ENOMEM, got ${err.code}: ${err.message}`)
  return err
}

describe('sizes past 32 bits', function () {
  this.timeout(helpers.slow(120000))
  afterEach(res.cleanup)

  it('maps a 5 GiB file whole with length 0 on 64 bits, and refuses it on 32 bits instead of mapping 1 GiB', function () {
    const size = 5 * GiB + 16
    const file = sparseWith(this, size, [[5, 'low'], [2 ** 32 + 5, 'HIGH'], [size - 3, 'end']])
    if (is32Bit) {
      const err = assertTooLarge(() => open(file, { access: ACCESS_READ }))
      assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE', 'a 5 GiB length does not fit a 32-bit size_t at all')
      return
    }
    const m = res.track(open(file, { access: ACCESS_READ }))
    assert.strictEqual(m.length, size)
    assert.strictEqual(m.get(5), 'l'.charCodeAt(0))
    assert.strictEqual(m.get(2 ** 32 + 5), 'H'.charCodeAt(0), 'get(2**32 + 5) reads the byte past 4 GiB, not byte 5')
    assert.strictEqual(m.slice(size - 3).toString(), 'end')
  })

  it('refuses an index past 4 GiB in a small map at the binding too (never reads byte index % 2**32)', function () {
    const f = res.file(Buffer.from('0123456789abcdef'))
    const fd = res.openFd(f, 'r')
    const m = res.track(new Mmap(fd, 0, { access: ACCESS_READ }))
    for (const i of [2 ** 32 + 5, 2 ** 32, 2 ** 53 - 1]) {
      const err = helpers.captureThrow(() => m.get(i))
      assert.strictEqual(err.code, 'ERR_OUT_OF_RANGE', `get(${i})`)
    }
    // The C layer checks by itself (the JavaScript layer's checks are not the only guard):
    // a handle is the first argument of every binding call.
    const h = binding.map(fd, 16, 0, ACCESS_READ, MAP_SHARED, PROT_READ, false)
    try {
      for (const i of [2 ** 32 + 5, 2 ** 32, 2 ** 53 - 1]) {
        helpers.assertCode(() => binding.get(h, i), RangeError, 'ERR_OUT_OF_RANGE')
      }
      assert.strictEqual(binding.get(h, 5), '5'.charCodeAt(0))
    } finally {
      binding.close(h)
    }
  })

  it('refuses at the binding a length past 4 GiB on 32 bits (ERR_OUT_OF_RANGE, nothing mapped)', function () {
    if (!is32Bit) skip(this, 'a 64-bit size_t holds any such length')
    const f = res.file(16)
    const fd = res.openFd(f, 'r')
    for (const length of [2 ** 32, 2 ** 32 + 16, 5 * GiB]) {
      helpers.assertCode(() => binding.map(fd, length, 0, ACCESS_READ, MAP_SHARED, PROT_READ, false), RangeError, 'ERR_OUT_OF_RANGE')
    }
    helpers.assertCode(() => new Mmap(-1, 2 ** 32 + 4096), RangeError, 'ERR_OUT_OF_RANGE')
  })

  it('refuses or fails with ENOMEM a length no 32-bit address space has room for (3.5 GiB)', function () {
    if (!is32Bit) skip(this, 'a 64-bit address space has room for it')
    assertTooLarge(() => new Mmap(-1, 3.5 * GiB))
    const anon = res.anonymous(4096) // the module still works after the refusal
    anon.set(0, 7)
    assert.strictEqual(anon.get(0), 7)
  })

  it('maps windows at file offsets past 4 GiB and 8 GiB (64-bit file offsets), reading and writing there', function () {
    const at = [2 ** 32 + 3 * ALLOCATIONGRANULARITY, 2 ** 33 + ALLOCATIONGRANULARITY + 100]
    const file = sparseWith(this, 2 ** 33 + 4 * ALLOCATIONGRANULARITY, [[at[0], 'past four'], [at[1], 'past eight']])
    const fd = res.openFd(file, 'r+')
    for (const [offset, text] of [[at[0], 'past four'], [at[1], 'past eight']]) {
      const m = res.track(new Mmap(fd, 64, { offset }))
      assert.strictEqual(m.slice(0, text.length).toString(), text)
      m.write(Buffer.from('XY'))
      m.flush()
      const back = Buffer.alloc(2)
      fs.readSync(fd, back, 0, 2, offset)
      assert.strictEqual(back.toString(), 'XY', `the write at ${offset} reached the file there`)
      m.close()
    }
  })
})
