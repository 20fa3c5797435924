'use strict'
// guard-stress.js: a bounded stress of the fault guard at the Node level. For `seconds` (default
// 60; the .ci/run stage), a child process runs:
//   - a second process that truncates a pattern file to random page boundaries and writes the
//     pattern back, again and again;
//   - libuv pool threads touching views of maps of that file (zlib.deflate reads them) and of a
//     scratch file (crypto.randomFill writes them);
//   - 4 worker_threads mapping the pattern file and checking every byte their module calls return;
//   - the main thread checking the same, and closing, resizing and flushing maps under all that.
// Fails on any signal death, a hang (no exit within seconds + 60 s), or a wrong byte (a module
// call that returned something other than the file's pattern, or an error other than the ones
// a truncation explains).
//   node scripts/guard-stress.js [seconds]      npm run stress:guard runs 600 s
const { spawn } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')

const ROOT = path.join(__dirname, '..')
const PAGE_SIZE = require(ROOT).PAGESIZE
const SIZE = 64 * PAGE_SIZE // the pattern file: 64 pages
const pattern = (i) => (i * 7 + (i >> 12)) & 0xff

function patternBuffer (from, to) {
  const b = Buffer.alloc(to - from)
  for (let i = from; i < to; i++) b[i - from] = pattern(i)
  return b
}

// Errors a module call may throw while the file is cut under it.
const EXPECTED = new Set(['ERR_MMAP_TRUNCATED', 'ERR_MMAP_CLOSED', 'ERR_OUT_OF_RANGE'])

// Calls on map m of the pattern file: every byte they return is the pattern's.
function checkCalls (mmap, m, rounds, random) {
  let checked = 0
  for (let r = 0; r < rounds; r++) {
    const at = Math.floor(random() * m.length)
    const len = Math.min(m.length - at, 1 + Math.floor(random() * 9000))
    try {
      const b = m.get(at)
      if (b !== pattern(at)) throw new Error(`get(${at}) = ${b}, expected ${pattern(at)}`)
      const s = m.slice(at, at + len)
      for (let i = 0; i < s.length; i++) {
        if (s[i] !== pattern(at + i)) throw new Error(`slice(${at}) byte ${i} = ${s[i]}, expected ${pattern(at + i)}`)
      }
      const needle = patternBuffer(at, at + Math.min(len, 16))
      const found = m.find(needle, at, at + len)
      if (found !== at) throw new Error(`find at ${at} = ${found}`)
      checked += s.length
    } catch (err) {
      if (!EXPECTED.has(err.code)) throw err
    }
  }
  return checked
}

function xorshift (seed) {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13; s >>>= 0
    s ^= s >>> 17
    s ^= s << 5; s >>>= 0
    return s / 4294967296
  }
}

async function peer (file, seconds) {
  // Truncate to a random page boundary, then write the pattern back from
  // there (a write that extends the file leaves no window of zeros).
  const fd = fs.openSync(file, 'r+')
  const random = xorshift(process.pid)
  const end = Date.now() + seconds * 1000
  const page = PAGE_SIZE
  while (Date.now() < end) {
    const cut = Math.floor(random() * (SIZE / page)) * page
    fs.ftruncateSync(fd, cut)
    await new Promise((resolve) => setTimeout(resolve, random() * 3))
    fs.writeSync(fd, patternBuffer(cut, SIZE), 0, SIZE - cut, cut)
    await new Promise((resolve) => setTimeout(resolve, random() * 3))
  }
  fs.closeSync(fd)
}

const WORKER = `
const { parentPort, workerData } = require('worker_threads')
const mmap = require(workerData.root)
const { checkCalls, xorshift } = require(workerData.script)
const random = xorshift(workerData.seed)
let stop = false
parentPort.on('message', () => { stop = true })
let checked = 0
;(function loop () {
  if (stop) { parentPort.postMessage({ checked }); return }
  const m = mmap.open(workerData.file, { access: mmap.ACCESS_READ })
  try {
    checked += checkCalls(mmap, m, 50, random)
  } catch (err) {
    parentPort.postMessage({ error: err.stack })
    return
  } finally {
    m.close()
  }
  setImmediate(loop)
})()
`

async function main (dir, seconds) {
  const mmap = require(ROOT)
  const crypto = require('crypto')
  const zlib = require('zlib')
  const { Worker } = require('worker_threads')
  const PAGE = mmap.PAGESIZE
  const file = path.join(dir, 'pattern')
  const scratch = path.join(dir, 'scratch')
  fs.writeFileSync(file, patternBuffer(0, SIZE))
  fs.writeFileSync(scratch, Buffer.alloc(SIZE))
  const peerProcess = spawn(process.execPath, [__filename, 'peer', file, String(seconds)], { stdio: 'inherit' })
  const peerExit = new Promise((resolve) => peerProcess.on('exit', (code, signal) => resolve({ code, signal })))
  const workers = []
  const results = []
  for (let i = 0; i < 4; i++) {
    const w = new Worker(WORKER, { eval: true, workerData: { root: ROOT, script: __filename, file, seed: i + 1 } })
    results.push(new Promise((resolve, reject) => {
      w.on('message', (msg) => msg.error ? reject(new Error('worker: ' + msg.error)) : resolve(msg.checked))
      w.on('error', reject)
    }))
    workers.push(w)
  }
  const random = xorshift(12345)
  const end = Date.now() + seconds * 1000
  const stats = { rounds: 0, checked: 0, closes: 0, resizes: 0, flushes: 0, flushTruncated: 0, poolJobs: 0 }
  while (Date.now() < end) {
    stats.rounds++
    const a = mmap.open(file, { access: mmap.ACCESS_WRITE })
    const b = mmap.open(scratch, { access: mmap.ACCESS_WRITE })
    const av = a.subarray()
    const bv = b.subarray()
    const jobs = []
    for (let i = 0; i < 64; i++) {
      const at = Math.floor(random() * (SIZE / PAGE)) * PAGE
      jobs.push(new Promise((resolve) => crypto.randomFill(bv, at, 1 + Math.floor(random() * PAGE), () => resolve())))
      jobs.push(new Promise((resolve) => zlib.deflateRaw(av.subarray(at, at + PAGE), () => resolve())))
    }
    stats.poolJobs += jobs.length
    stats.checked += checkCalls(mmap, a, 20, random)
    await new Promise((resolve) => setTimeout(resolve, random() * 3))
    for (const m of [a, b]) {
      try {
        m.flush()
        stats.flushes++
      } catch (err) {
        if (err.code !== 'ERR_MMAP_TRUNCATED') throw err
        stats.flushTruncated++
      }
    }
    try {
      await a.flushAsync()
    } catch (err) {
      if (err.code !== 'ERR_MMAP_TRUNCATED') throw err
    }
    // The scratch map is resized under its pool jobs; the pattern map is closed under its own.
    const grow = SIZE + Math.floor(random() * 4) * PAGE
    b.resize(grow)
    b.resize(SIZE)
    stats.resizes += 2
    a.close()
    stats.closes++
    await Promise.all(jobs)
    b.close()
    stats.closes++
  }
  for (const w of workers) w.postMessage('stop')
  const counts = await Promise.all(results)
  for (const w of workers) await w.terminate()
  const p = await peerExit
  if (p.signal !== null || p.code !== 0) throw new Error(`the truncating process exited with ${p.code} (${p.signal})`)
  stats.workerChecked = counts.reduce((x, y) => x + y, 0)
  console.log(`guard-stress: ${seconds} s: ${JSON.stringify(stats)}`)
}

function run (seconds) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmap-guard-stress-'))
  const started = Date.now()
  const child = spawn(process.execPath, [__filename, 'main', dir, String(seconds)], { stdio: 'inherit' })
  const timer = setTimeout(() => {
    console.error(`guard-stress: no exit after ${seconds + 60} s: hung`)
    child.kill('SIGKILL')
  }, (seconds + 60) * 1000)
  child.on('exit', (code, signal) => {
    clearTimeout(timer)
    fs.rmSync(dir, { recursive: true, force: true })
    const took = ((Date.now() - started) / 1000).toFixed(1)
    if (signal !== null || code !== 0) {
      console.error(`guard-stress: FAILED after ${took} s: exit ${code}, signal ${signal}`)
      process.exit(1)
    }
    console.log(`guard-stress: passed in ${took} s`)
  })
}

module.exports = { checkCalls, xorshift }

if (require.main === module) {
  const [role, a, b] = process.argv.slice(2)
  if (role === 'peer') {
    peer(a, Number(b)).catch((err) => { console.error(err); process.exit(1) })
  } else if (role === 'main') {
    main(a, Number(b)).catch((err) => { console.error(err); process.exit(1) })
  } else {
    run(Number(role) > 0 ? Number(role) : 60)
  }
}
