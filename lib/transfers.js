'use strict'
// transfers.js: the one change this package makes to a global: mapped ArrayBuffers refuse
// transfer() and transferToFixedLength() (patched into ArrayBuffer.prototype once, at load).
const errors = require('./errors')

// Every ArrayBuffer over mapped memory the module has handed out.
const mapped = new WeakSet()

// Node 22 and later let any code move an ArrayBuffer's memory into a new
// ArrayBuffer (transfer(), transferToFixedLength()). The module could not
// detach that one when the map is closed or moved, so it would reach
// unmapped memory: mapped buffers refuse to be transferred. Other buffers
// are untouched. (structuredClone() and postMessage() copy mapped buffers.)
function refuseTransfers () {
  for (const name of ['transfer', 'transferToFixedLength']) {
    const original = ArrayBuffer.prototype[name]
    if (typeof original !== 'function' || original.mmapNativeGuard) continue
    const guarded = {
      [name] (...args) {
        if (mapped.has(this)) {
          throw errors.coded(TypeError, 'ERR_MMAP_TRANSFER',
            `an ArrayBuffer over mapped memory cannot be transferred (${name}()): copy it, or use the map`)
        }
        return original.apply(this, args)
      }
    }[name]
    Object.defineProperty(guarded, 'mmapNativeGuard', { value: true })
    // eslint-disable-next-line no-extend-native -- replaces an existing method, see above
    Object.defineProperty(ArrayBuffer.prototype, name, { value: guarded, writable: true, configurable: true, enumerable: false })
  }
}
refuseTransfers()

// Remembers ab as an ArrayBuffer over mapped memory.
function markMapped (ab) {
  mapped.add(ab)
  return ab
}

module.exports = { markMapped }
