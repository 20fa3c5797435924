'use strict'
// shared-memory.js: two processes talking through one block of shared memory. The parent creates
// a named block (mmap.SharedMemory, Python's multiprocessing.shared_memory) and starts a child
// process that attaches to it by name. Both see the same physical pages, so:
//   - they add to one counter at the same time with Atomics.add, and the total is exact;
//   - they pass messages through two one-slot mailboxes (request and reply), each guarded by a
//     sequence number written with Atomics.store after the message bytes and read with
//     Atomics.load before them.
//
//   node examples/shared-memory.js [MESSAGES] [ADDS]
//     MESSAGES  request/reply round trips (default 3), ADDS  Atomics.add per process (default 100000)
//   Exit status: 0 done, 1 the exchange failed, 2 bad arguments (a message on stderr).
const path = require('path')
const { spawn } = require('child_process')
const mmap = require('mmap-native')

const USAGE = 'usage: node examples/shared-memory.js [MESSAGES] [ADDS]\n'
const HELP = USAGE + `Two processes share one block of shared memory: both add ADDS times to one counter with Atomics.add
(default 100000), then the parent sends MESSAGES requests (default 3) that the child answers.
Exit status: 0 done, 1 the exchange failed, 2 bad arguments.
`
// The counter is one Int32 that both processes add to, and sequence numbers are Int32 too.
const MAX_MESSAGES = 1000000
const MAX_ADDS = 2 ** 30 - 1

// The command line: { messages, adds }, { help: true }, or { error } (a one-line message).
function parseArguments (argv) {
  if (argv.includes('--help') || argv.includes('-h')) return { help: true }
  if (argv.length > 2) return { error: `expected at most 2 arguments, got ${argv.length}` }
  const count = (text, what, fallback, max) => {
    if (text === undefined) return fallback
    if (!/^[0-9]+$/.test(text) || Number(text) < 1 || Number(text) > max) {
      throw new RangeError(`${what} must be a whole number from 1 to ${max}, not '${text}'`)
    }
    return Number(text)
  }
  try {
    return {
      messages: count(argv[0], 'MESSAGES', 3, MAX_MESSAGES),
      adds: count(argv[1], 'ADDS', 100000, MAX_ADDS)
    }
  } catch (err) {
    return { error: err.message }
  }
}

// Int32 slots at the start of the map.
const REQUEST_SEQ = 0 // the parent's last request number; -1 asks the child to exit
const REPLY_SEQ = 1 // the request number the child last answered
const REQUEST_LEN = 2
const REPLY_LEN = 3
const READY = 4 // the child has attached to the block
const GO = 5 // the parent says: start counting
const COUNTER = 6
const DONE = 7 // processes that finished counting
const SLOTS = 8
// The two mailboxes.
const REQUEST_AT = 256
const REPLY_AT = 2048
const BOX = 1792
const SIZE = 4096

// Sleeps without the event loop: Atomics.wait on a private buffer nobody notifies.
const nap = new Int32Array(new SharedArrayBuffer(4))

// Waits until slot `slot` satisfies `ok`, spinning briefly and then napping a millisecond at a time.
function waitFor (slots, slot, ok, what, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs
  for (let spins = 0; ; spins++) {
    const value = Atomics.load(slots, slot)
    if (ok(value)) return value
    if (spins > 1000) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      Atomics.wait(nap, 0, 0, 1)
    }
  }
}

function count (slots, adds) {
  waitFor(slots, GO, (v) => v === 1, 'the start signal')
  for (let i = 0; i < adds; i++) Atomics.add(slots, COUNTER, 1)
  Atomics.add(slots, DONE, 1)
}

function child (name, adds) {
  const shm = new mmap.SharedMemory({ name })
  const m = shm.map
  const slots = new Int32Array(m.buffer, 0, SLOTS)
  Atomics.store(slots, READY, 1)
  count(slots, adds)
  let answered = 0
  for (;;) {
    const seq = waitFor(slots, REQUEST_SEQ, (v) => v === -1 || v > answered, 'a request')
    if (seq === -1) break
    const request = m.slice(REQUEST_AT, REQUEST_AT + Atomics.load(slots, REQUEST_LEN)).toString()
    const reply = Buffer.from(`${request.toUpperCase()} (${Buffer.byteLength(request)} bytes)`)
    m.setSlice(REPLY_AT, REPLY_AT + reply.length, reply)
    Atomics.store(slots, REPLY_LEN, reply.length)
    Atomics.store(slots, REPLY_SEQ, seq)
    answered = seq
  }
  shm.close()
}

// Runs the parent's side; returns the lines it prints. `done(err, lines)` once the child exited.
function parent (messages, adds, done) {
  // A fresh random name (psm_... on POSIX, wnsm_... on Windows); the child attaches by it.
  const shm = new mmap.SharedMemory({ create: true, size: SIZE })
  const m = shm.map
  const slots = new Int32Array(m.buffer, 0, SLOTS)
  const lines = []
  const proc = spawn(process.execPath, [__filename, '--child', shm.name, String(adds)], { stdio: ['ignore', 'inherit', 'inherit'] })
  let failure = null
  try {
    waitFor(slots, READY, (v) => v === 1, 'the child to attach to the block')
    Atomics.store(slots, GO, 1)
    count(slots, adds)
    waitFor(slots, DONE, (v) => v === 2, 'both processes to finish counting')
    lines.push(`counter: ${Atomics.load(slots, COUNTER)} (2 processes x ${adds} Atomics.add)`)
    for (let seq = 1; seq <= messages; seq++) {
      const request = Buffer.from(`message ${seq} from the parent`)
      if (request.length > BOX) throw new RangeError('message too long')
      m.setSlice(REQUEST_AT, REQUEST_AT + request.length, request)
      Atomics.store(slots, REQUEST_LEN, request.length)
      Atomics.store(slots, REQUEST_SEQ, seq)
      waitFor(slots, REPLY_SEQ, (v) => v === seq, `the reply to message ${seq}`)
      const reply = m.slice(REPLY_AT, REPLY_AT + Atomics.load(slots, REPLY_LEN)).toString()
      lines.push(`sent "${request}", got "${reply}"`)
    }
  } catch (err) {
    failure = err
  }
  Atomics.store(slots, REQUEST_SEQ, -1)
  proc.on('exit', (code, signal) => {
    // The name outlives both processes unless someone unlinks it.
    shm.close()
    shm.unlink()
    if (failure === null && code !== 0) failure = new Error(`the child exited with ${signal || code}`)
    done(failure, lines)
  })
}

if (require.main === module) {
  const [first, ...rest] = process.argv.slice(2)
  if (first === '--child') {
    child(rest[0], Number(rest[1]))
  } else {
    const args = parseArguments(process.argv.slice(2))
    if (args.help) {
      process.stdout.write(HELP)
    } else if (args.error) {
      process.stderr.write(`${path.basename(__filename)}: ${args.error}\n${USAGE}`)
      process.exitCode = 2
    } else {
      parent(args.messages, args.adds, (err, lines) => {
        for (const line of lines) console.log(line)
        if (err) {
          console.error(err.message)
          process.exitCode = 1
        }
      })
    }
  }
}

module.exports = { parent, parseArguments }
