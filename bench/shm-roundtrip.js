'use strict'
// bench/shm-roundtrip.js: round-trip latency of a request and its reply between two Node
// processes, three ways, measured in one run: through a SharedMemory block (the peer spins on
// Atomics.load), over the child_process IPC channel (process.send), and over a Unix socket
// (a named pipe on Windows). Each exchange carries a 64-byte request and a 64-byte reply.
// Prints one JSON object (medians of --runs runs, each the mean of --trips round trips);
// bench/run.js puts it in its table.
//
//   node bench/shm-roundtrip.js [--trips N] [--runs N]
//
// Why spinning: Atomics.wait() works only on an Int32Array/BigInt64Array over a
// SharedArrayBuffer, and a mapped block is an external ArrayBuffer (Node-API cannot make a
// SharedArrayBuffer over memory it did not allocate): Atomics.wait() throws a TypeError on it,
// and Atomics.notify() on it wakes nobody (returns 0). The other Atomics operations work on any
// integer typed array, so the peer waits by spinning on Atomics.load, and each side then keeps
// one CPU busy.
const fs = require('fs')
const os = require('os')
const net = require('net')
const path = require('path')
const { spawn, fork } = require('child_process')
const mmap = require('..')

const PAYLOAD = 64
const REQUEST_SEQ = 0 // Int32 slots
const REPLY_SEQ = 1
const READY = 2
const REQUEST_AT = 64
const REPLY_AT = 128
const STOP = -1

const now = () => Number(process.hrtime.bigint())
function median (xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

// The peer's sides ----------------------------------------------------------------------

function shmPeer (name) {
  const shm = new mmap.SharedMemory({ name })
  const slots = new Int32Array(shm.buffer, 0, 4)
  const bytes = new Uint8Array(shm.buffer)
  Atomics.store(slots, READY, 1)
  let last = 0
  for (;;) {
    let seq
    while ((seq = Atomics.load(slots, REQUEST_SEQ)) === last) { /* spin */ }
    if (seq === STOP) break
    // The reply: the request with every byte + 1.
    for (let i = 0; i < PAYLOAD; i++) bytes[REPLY_AT + i] = bytes[REQUEST_AT + i] + 1
    Atomics.store(slots, REPLY_SEQ, seq)
    last = seq
  }
  shm.close()
}

function ipcPeer () {
  process.on('message', (msg) => {
    if (msg === null) return process.disconnect()
    const reply = Buffer.from(msg, 'latin1')
    for (let i = 0; i < reply.length; i++) reply[i]++
    process.send(reply.toString('latin1'))
  })
}

function socketPeer (where) {
  const sock = net.connect(where)
  sock.setNoDelay(true)
  let pending = Buffer.alloc(0)
  sock.on('data', (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk
    while (pending.length >= PAYLOAD) {
      const reply = Buffer.from(pending.subarray(0, PAYLOAD))
      pending = pending.subarray(PAYLOAD)
      for (let i = 0; i < PAYLOAD; i++) reply[i]++
      sock.write(reply)
    }
  })
  sock.on('end', () => sock.end())
}

// The parent's sides --------------------------------------------------------------------

const request = Buffer.alloc(PAYLOAD, 0x40)
function checkReply (reply) {
  if (reply.length !== PAYLOAD || reply[0] !== 0x41 || reply[PAYLOAD - 1] !== 0x41) throw new Error('wrong reply')
}

// Mean round-trip time (ns) of each of `runs` runs of `trips` exchanges through a block.
async function shmTrips (trips, runs) {
  const shm = new mmap.SharedMemory({ create: true, size: 4096 })
  const slots = new Int32Array(shm.buffer, 0, 4)
  const bytes = new Uint8Array(shm.buffer)
  // Atomics.wait on the block: what the header says, checked.
  let waitError = null
  try {
    Atomics.wait(slots, READY, 12345, 0)
  } catch (err) {
    waitError = `${err.name}: ${err.message}`
  }
  const peer = spawn(process.execPath, [__filename, '--peer-shm', shm.name], { stdio: 'inherit' })
  const exited = new Promise((resolve) => peer.on('exit', resolve))
  const times = []
  try {
    const deadline = Date.now() + 60000
    while (Atomics.load(slots, READY) !== 1) {
      if (Date.now() > deadline) throw new Error('the shared-memory peer never attached')
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    // Both processes have the block: the name can go now.
    shm.unlink()
    let seq = 0
    const reply = Buffer.alloc(PAYLOAD)
    for (let r = 0; r <= runs; r++) { // run 0 warms up
      const t0 = now()
      for (let i = 0; i < trips; i++) {
        bytes.set(request, REQUEST_AT)
        Atomics.store(slots, REQUEST_SEQ, ++seq)
        while (Atomics.load(slots, REPLY_SEQ) !== seq) { /* spin */ }
        reply.set(bytes.subarray(REPLY_AT, REPLY_AT + PAYLOAD))
      }
      if (r > 0) times.push((now() - t0) / trips)
      checkReply(reply)
    }
  } finally {
    Atomics.store(slots, REQUEST_SEQ, STOP)
    await exited
    shm.close()
  }
  return { times, waitError }
}

async function ipcTrips (trips, runs) {
  const peer = fork(__filename, ['--peer-ipc'], { stdio: 'inherit' })
  const message = request.toString('latin1')
  const times = []
  let resolveReply = null
  peer.on('message', (msg) => resolveReply(msg))
  const exchange = () => new Promise((resolve) => {
    resolveReply = resolve
    peer.send(message)
  })
  for (let r = 0; r <= runs; r++) {
    const t0 = now()
    let reply
    for (let i = 0; i < trips; i++) reply = await exchange()
    if (r > 0) times.push((now() - t0) / trips)
    checkReply(Buffer.from(reply, 'latin1'))
  }
  peer.send(null)
  await new Promise((resolve) => peer.on('exit', resolve))
  return { times }
}

async function socketTrips (trips, runs) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmap-bench-sock-'))
  const where = process.platform === 'win32'
    ? `\\\\?\\pipe\\mmap-native-bench-${process.pid}`
    : path.join(dir, 'sock')
  const server = net.createServer()
  await new Promise((resolve) => server.listen(where, resolve))
  const accepted = new Promise((resolve) => server.once('connection', resolve))
  const peer = spawn(process.execPath, [__filename, '--peer-socket', where], { stdio: 'inherit' })
  const exited = new Promise((resolve) => peer.on('exit', resolve))
  const sock = await accepted
  sock.setNoDelay(true)
  let pending = Buffer.alloc(0)
  let resolveReply = null
  sock.on('data', (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk
    if (pending.length >= PAYLOAD) {
      const reply = pending.subarray(0, PAYLOAD)
      pending = pending.subarray(PAYLOAD)
      resolveReply(reply)
    }
  })
  const exchange = () => new Promise((resolve) => {
    resolveReply = resolve
    sock.write(request)
  })
  const times = []
  for (let r = 0; r <= runs; r++) {
    const t0 = now()
    let reply
    for (let i = 0; i < trips; i++) reply = await exchange()
    if (r > 0) times.push((now() - t0) / trips)
    checkReply(reply)
  }
  sock.end()
  await exited
  server.close()
  fs.rmSync(dir, { recursive: true, force: true })
  return { times }
}

// Runs all three; returns { shm, ipc, socket } medians (ns per round trip) and notes.
async function measure ({ trips = 20000, runs = 5 } = {}) {
  const shm = await shmTrips(trips * 5, runs)
  const ipc = await ipcTrips(trips, runs)
  const socket = await socketTrips(trips, runs)
  return {
    trips: { shm: trips * 5, ipc: trips, socket: trips },
    runs,
    payload: PAYLOAD,
    shm: median(shm.times),
    ipc: median(ipc.times),
    socket: median(socket.times),
    all: { shm: shm.times, ipc: ipc.times, socket: socket.times },
    atomicsWait: shm.waitError === null ? 'works on the block' : `throws on the block (${shm.waitError})`
  }
}

function parseArgs (argv) {
  const opts = { trips: 20000, runs: 5 }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    if (flag === '-h' || flag === '--help') {
      console.log('usage: node bench/shm-roundtrip.js [--trips N] [--runs N]')
      process.exit(0)
    }
    if (flag !== '--trips' && flag !== '--runs') throw new Error(`unknown option ${flag} (try --help)`)
    const value = Number(argv[++i])
    if (!Number.isInteger(value) || value < 1) throw new Error(`${flag} needs a positive integer`)
    opts[flag.slice(2)] = value
  }
  return opts
}

if (require.main === module) {
  const [role, arg] = process.argv.slice(2)
  if (role === '--peer-shm') shmPeer(arg)
  else if (role === '--peer-ipc') ipcPeer()
  else if (role === '--peer-socket') socketPeer(arg)
  else {
    measure(parseArgs(process.argv.slice(2))).then((r) => console.log(JSON.stringify(r)), (err) => {
      console.error(err.stack)
      process.exitCode = 1
    })
  }
}

module.exports = { measure }
