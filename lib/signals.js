'use strict'
// signals.js: keeps the fault guard in front of SIGBUS while process.on('SIGBUS') listeners come
// and go (installed once, at load); under Node it starts the binding's libuv watcher of SIGBUS, under
// Bun it keeps Bun's handler in place with a listener of its own.
const os = require('os')
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
// Under Bun a listener of the module's own holds Bun's handler in place (holdBunHandler); it is
// not the program's.
let own = 0
const count = (extra) => {
  if (binding.guardListeners && isMainThread) binding.guardListeners(process.listenerCount('SIGBUS') - own + extra)
}
function keepGuardOnSignalListeners () {
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
  // The binding's libuv watcher of SIGBUS (see above) is Node's alone: Bun's uv_signal_init
  // ends the process and Deno has none.
  if (binding.guardWatch && process.versions.bun === undefined && process.versions.deno === undefined) {
    binding.guardWatch()
  }
  if (process.versions.bun !== undefined) holdBunHandler()
}

// Bun starts and stops its handler after the 'newListener' and 'removeListener' listeners
// ran, inside the call that added or removed the listener, so a view touched right after
// process.on('SIGBUS', ...) would spin on its fault until the microtask above: there the
// guard goes back in front as each of these calls returns.
function holdBunHandler () {
  // Bun sets SIGBUS back to the default action when the last listener goes, and a worker
  // thread faulting before the guard is back would die: a listener of the module's own
  // (no-op, on the main thread) keeps Bun's handler there, as the libuv watcher does under
  // Node, and the guard chains to it only while the program listens.
  const hold = () => {}
  const addOn = process.on
  if (isMainThread && binding.guardHold) {
    process.on('SIGBUS', hold)
    own = 1
    binding.guardHold()
    count(0)
  }
  for (const name of ['addListener', 'on', 'once', 'prependListener', 'prependOnceListener',
    'removeListener', 'off', 'removeAllListeners']) {
    const original = process[name]
    if (typeof original !== 'function') continue
    Object.defineProperty(process, name, {
      configurable: true,
      writable: true,
      value: function (event, ...rest) {
        const result = Reflect.apply(original, this, [event, ...rest])
        if (name === 'removeAllListeners' && own === 1 && (event === 'SIGBUS' || event === undefined) &&
          !process.listeners('SIGBUS').includes(hold)) Reflect.apply(addOn, process, ['SIGBUS', hold])
        if (event === 'SIGBUS' || (name === 'removeAllListeners' && event === undefined)) {
          count(0)
          binding.guardReinstall()
        }
        return result
      }
    })
  }
  // Bun's process.kill() of its own process sets SIGBUS to the default action first unless
  // its own handler is in front (strace shows rt_sigaction(SIGBUS, SIG_DFL) before kill()),
  // so with the guard there a listener would never hear it: the guard steps aside for the
  // kill() (the signal arrives before kill() returns) and comes back after it.
  const kill = process.kill
  Object.defineProperty(process, 'kill', {
    configurable: true,
    writable: true,
    value: function (pid, signal, ...rest) {
      const self = Number(pid) === process.pid &&
        (signal === 'SIGBUS' || (signal !== undefined && signal === os.constants.signals.SIGBUS))
      if (!self || process.listenerCount('SIGBUS') - own === 0) return Reflect.apply(kill, this, [pid, signal, ...rest])
      binding.guardStepAside()
      try {
        return Reflect.apply(kill, this, [pid, signal, ...rest])
      } finally {
        binding.guardReinstall()
      }
    }
  })
}
keepGuardOnSignalListeners()
