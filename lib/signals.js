'use strict'
// signals.js: keeps the fault guard in front of SIGBUS while process.on('SIGBUS') listeners come
// and go (installed once, at load).
const { isMainThread } = require('worker_threads')
const binding = require('./binding')

// A process.on('SIGBUS') listener makes libuv install its own SIGBUS handler
// (taking the fault guard's place), and removing the last one makes libuv
// restore the default action: either way a truncated map would then kill the
// process, or spin on the faulting access. Node's own 'newListener' and
// 'removeListener' listeners (which start and stop libuv's handler) were
// registered before ours, so when ours runs libuv has acted: the guard goes
// back in front, and chains to libuv's handler for every SIGBUS that is not a
// fault in this module's maps (kill(), other memory), so the user's listener
// still hears those.
// The binding also keeps a libuv watcher of SIGBUS of its own, so libuv
// never restores the default action while the guard is needed, and is told
// how many listeners there are: a SIGBUS that is not a fault in a map (kill())
// goes to libuv only when a listener will hear it, and otherwise kills the
// process as it would without this module. Only the main thread's listeners
// hear signals in Node.
function keepGuardOnSignalListeners () {
  const count = (extra) => {
    if (binding.guardListeners && isMainThread) binding.guardListeners(process.listenerCount('SIGBUS') + extra)
  }
  const reinstall = (event, extra) => {
    if (event !== 'SIGBUS') return
    count(extra)
    binding.guardReinstall()
    // Should another listener of these events run after ours, check again.
    queueMicrotask(() => {
      count(0)
      binding.guardReinstall()
    })
  }
  // 'newListener' runs before the listener is added, 'removeListener' after
  // it was removed.
  process.on('newListener', (event) => reinstall(event, 1))
  process.on('removeListener', (event) => reinstall(event, 0))
  count(0)
}
keepGuardOnSignalListeners()
