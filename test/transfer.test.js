'use strict'
// transfer.test.js: the memory of a map cannot leave the module's control: ArrayBuffer transfer()
// (Node 22 and later) is refused for mapped buffers, and structuredClone()/postMessage() copy them.
const assert = require('assert')
const { MessageChannel } = require('worker_threads')
const mmap = require('..')
const { runChild } = require('./helpers')

const hasTransfer = typeof ArrayBuffer.prototype.transfer === 'function'

describe('transferring mapped memory', function () {
  if (hasTransfer) {
    it('refuses transfer() and transferToFixedLength() of m.buffer and of a subarray()\'s buffer', function () {
      const m = new mmap.Mmap(-1, 4096)
      try {
        for (const ab of [m.buffer, m.subarray(10, 20).buffer]) {
          for (const name of ['transfer', 'transferToFixedLength']) {
            assert.throws(() => ab[name](), { name: 'TypeError', code: 'ERR_MMAP_TRANSFER' })
            assert.strictEqual(ab.byteLength, 4096, 'the mapped buffer stays attached')
          }
        }
      } finally {
        m.close()
      }
    })

    it('leaves transfer() of other ArrayBuffers as it was', function () {
      const ab = new ArrayBuffer(8)
      new Uint8Array(ab)[0] = 7
      const moved = ab.transfer(16)
      assert.strictEqual(ab.byteLength, 0)
      assert.strictEqual(moved.byteLength, 16)
      assert.strictEqual(new Uint8Array(moved)[0], 7)
      assert.strictEqual(ArrayBuffer.prototype.transfer.name, 'transfer')
    })

    it('cannot reach unmapped memory through a transfer after close() (no crash)', function () {
      const r = runChild(`
        const mmap = require(MMAP)
        const m = new mmap.Mmap(-1, 4096)
        let code = 'none'
        try { m.buffer.transfer() } catch (e) { code = e.code }
        m.close()
        console.log(code, m.closed)
      `)
      assert.strictEqual(r.signal, null, r.stderr)
      assert.strictEqual(r.status, 0, r.stderr)
      assert.strictEqual(r.stdout.trim(), 'ERR_MMAP_TRANSFER true')
    })
  } else {
    it('has no ArrayBuffer transfer() on this Node.js (20): nothing can move mapped memory', function () {
      assert.strictEqual(ArrayBuffer.prototype.transfer, undefined)
      assert.strictEqual(ArrayBuffer.prototype.transferToFixedLength, undefined)
    })
  }

  it('copies a mapped buffer given to structuredClone() with a transfer list, and keeps it attached', function () {
    const m = new mmap.Mmap(-1, 64)
    try {
      m.set(0, 42)
      const ab = m.buffer
      let copy = null
      try {
        copy = structuredClone(ab, { transfer: [ab] })
      } catch (err) {
        // Refusing is as safe as copying.
        assert.strictEqual(typeof err.name, 'string')
      }
      assert.strictEqual(ab.byteLength, 64, 'the mapped buffer stays attached')
      if (copy !== null) {
        assert.strictEqual(new Uint8Array(copy)[0], 42)
        m.set(0, 1)
        assert.strictEqual(new Uint8Array(copy)[0], 42, 'the clone is a copy, not the mapped memory')
      }
    } finally {
      m.close()
    }
  })

  it('never moves a mapped buffer through postMessage() with a transfer list', function () {
    const m = new mmap.Mmap(-1, 64)
    const { port1, port2 } = new MessageChannel()
    try {
      const ab = m.buffer
      try {
        port1.postMessage(ab, [ab])
      } catch (err) {
        assert.strictEqual(typeof err.name, 'string')
      }
      assert.strictEqual(ab.byteLength, 64, 'the mapped buffer stays attached')
    } finally {
      port1.close()
      port2.close()
      m.close()
    }
  })
})
