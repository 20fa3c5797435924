'use strict'
// transfer.test.js: the memory of a map cannot leave the module's control: ArrayBuffer transfer()
// (Node 22 and later) is refused for mapped buffers, and structuredClone()/postMessage() copy them.
const assert = require('assert')
const { MessageChannel } = require('worker_threads')
const mmap = require('..')
const { runChild, tempFile, removeFile } = require('./helpers')

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

    it('leaves memory moved out by another realm\'s transfer() readable as zeros after close(), a shrink or a move', function () {
      // Another realm (vm) has its own ArrayBuffer.prototype, which the
      // module does not guard: its transfer() moves the mapped memory into a
      // buffer close() cannot detach. The memory becomes a tombstone.
      const file = tempFile(Buffer.alloc(3 * 4096, 0x5a))
      const r = runChild(`
        const fs = require('fs')
        const vm = require('vm')
        const mmap = require(MMAP)
        const transfer = vm.runInNewContext('ArrayBuffer.prototype.transfer')
        const out = []
        const probe = (ab) => { const u8 = new Uint8Array(ab); const first = u8[0]; u8[1] = 0xee; return [ab.byteLength, first, u8[u8.length - 1]] }

        let m = mmap.open(${JSON.stringify(file)}, { access: mmap.ACCESS_WRITE })
        let t = transfer.call(m.buffer)
        out.push(probe(t).join())
        m.close()
        out.push(probe(t).join())

        m = mmap.open(${JSON.stringify(file)}, { access: mmap.ACCESS_WRITE })
        t = transfer.call(m.subarray(2 * 4096, 3 * 4096).buffer)
        m.resize(4096)
        out.push(probe(t).join())
        m.close()

        m = new mmap.Mmap(-1, 4096, { flags: mmap.MAP_PRIVATE })
        m.set(0, 7)
        t = transfer.call(m.buffer)
        const blocker = new mmap.Mmap(-1, 4096)
        m.resize(64 << 20)
        out.push(probe(t).join(), m.get(0))
        m.close()
        blocker.close()
        const file = fs.readFileSync(${JSON.stringify(file)})
        console.log(out.join(' | '), '|', file.length, file[1])
      `)
      removeFile(file)
      assert.strictEqual(r.signal, null, r.stderr)
      assert.strictEqual(r.status, 0, r.stderr)
      // The first write reaches the file (the map was open); writes after
      // close() land in the tombstone.
      assert.strictEqual(r.stdout.trim(), [
        '12288,90,90', '12288,0,0', // the whole map, before and after close()
        // The whole map (the subarray's buffer) after a shrink to one page:
        // the kept page, then the tombstone (Windows maps the file again, so
        // all of it is a tombstone there).
        process.platform === 'win32' ? '12288,0,0' : '12288,90,0',
        '4096,0,0', '7', // an anonymous map that moved as it grew; the map kept its byte
        '4096 238' // the file: cut to one page, with the writes made while it was mapped
      ].join(' | '))
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
