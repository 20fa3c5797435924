'use strict'
// stress.js: creates and closes maps over and over (file-backed and anonymous, shared and private,
// some closed, some left to the garbage collector, some failing) and checks that mappings,
// descriptors and memory stay flat.
//   node --expose-gc scripts/stress.js [--count N]     (default 1,000,000 cycles)
// Prints samples at the start (after a warm-up), the middle and the end, then one JSON line; exits
// with status 1 when the module's file and shared mappings grew at all, small private anonymous
// mappings by more than 16, /proc/self/maps by more than 512 lines (the runtime's heap comes and
// goes), /proc/self/fd by more than 4 entries, or RSS by more than 64 MiB after a final collection.
const fs = require('fs')
const os = require('os')
const path = require('path')
const { spawnSync } = require('child_process')

// Finalizers only run if this process can collect on demand.
if (typeof global.gc !== 'function') {
  const r = spawnSync(process.execPath, ['--expose-gc', __filename, ...process.argv.slice(2)], { stdio: 'inherit' })
  process.exit(r.status ?? 1)
}

const mmap = require('..')

const { Mmap, ACCESS_WRITE, ACCESS_COPY, MAP_PRIVATE = 2 } = mmap
const MAPS_SLACK = 512
const SMALL_SLACK = 16
const FDS_SLACK = 4
const RSS_SLACK = 64 * 1024 * 1024
const hasProc = fs.existsSync('/proc/self/maps')

function parseCount (argv) {
  const i = argv.findIndex((a) => a === '--count' || a.startsWith('--count='))
  if (i === -1) return 1000000
  const text = argv[i].includes('=') ? argv[i].split('=')[1] : argv[i + 1]
  const n = Number(text)
  if (!Number.isSafeInteger(n) || n < 1) {
    console.error(`usage: node --expose-gc scripts/stress.js [--count N]   (got --count ${text})`)
    process.exit(2)
  }
  return n
}

const tick = () => new Promise((resolve) => setImmediate(resolve))

// Node-API finalizers run after the collection that found their objects
// dead, from the event loop: collect, then let the loop turn, a few times.
async function collect (rounds = 10) {
  for (let i = 0; i < rounds; i++) {
    global.gc()
    await tick()
  }
}

// Lines of /proc/self/maps: all of them; those that are surely this
// module's (mappings of the data file, and shared anonymous memory, shown as
// /dev/zero); and small private anonymous ones (at most 64 KiB, the size of
// this script's private maps). The runtime maps and unmaps memory of its own
// as it pleases (V8's 256 KiB heap pages, malloc arenas): the total has a
// large slack, the small ones a small slack, the module's none.
function sample (file) {
  const lines = hasProc ? fs.readFileSync('/proc/self/maps', 'utf8').split('\n').filter(Boolean) : []
  const small = lines.filter((line) => {
    const [range, , , , inode, name] = line.split(/\s+/)
    const [from, to] = range.split('-').map((hex) => parseInt(hex, 16))
    return inode === '0' && !name && to - from <= 65536
  })
  return {
    maps: hasProc ? lines.length : null,
    ours: hasProc ? lines.filter((l) => l.endsWith(' ' + file) || l.endsWith('/dev/zero (deleted)')).length : null,
    small: hasProc ? small.length : null,
    fds: hasProc ? fs.readdirSync('/proc/self/fd').length : null,
    rss: process.memoryUsage.rss()
  }
}

function show (name, s) {
  const mib = (s.rss / 1048576).toFixed(1)
  console.log(`${name.padEnd(7)} maps=${s.maps ?? 'n/a'} (module's: ${s.ours ?? 'n/a'}, small anonymous: ${s.small ?? 'n/a'}) fds=${s.fds ?? 'n/a'} rss=${mib} MiB`)
}

async function main () {
  const count = parseCount(process.argv.slice(2))
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmap-native-stress-'))
  const file = path.join(dir, 'data')
  fs.writeFileSync(file, Buffer.alloc(65536, 0x41))
  const fd = fs.openSync(file, 'r+')
  const kept = []

  // One create/close cycle; i picks the kind.
  function cycle (i) {
    switch (i % 10) {
      case 0: {
        const m = mmap.open(file, { access: ACCESS_WRITE })
        m.set(i % 65536, i & 255)
        m.close()
        break
      }
      case 1:
        // Dropped: the collector unmaps it and closes its descriptor.
        mmap.open(file).get(i % 65536)
        break
      case 2: {
        const m = new Mmap(fd, 4096, { offset: (i % 13) * 4097 })
        m.subarray(0, 64).fill(0x42)
        m.close()
        break
      }
      case 3: {
        const m = new Mmap(-1, 4096)
        m.writeByte(1)
        m.close()
        break
      }
      case 4: {
        // A view outlives its map for a while.
        const m = new Mmap(-1, 8192, { flags: MAP_PRIVATE })
        kept.push(m.subarray(0, 16))
        if (kept.length > 100) kept.shift()
        break
      }
      case 5: {
        const m = new Mmap(-1, 4096, { flags: MAP_PRIVATE })
        m.resize(12288)
        m.set(12287, 1)
        m.close()
        break
      }
      case 6:
        // Failing maps leave nothing behind either.
        try {
          mmap.open(file, { offset: 1 << 20 })
        } catch (err) {
          if (err.code !== 'ERR_OUT_OF_RANGE') throw err
        }
        break
      case 7: {
        const m = mmap.open(file, { access: ACCESS_COPY })
        new Uint8Array(m.buffer)[i % 65536] = 7
        m.close()
        break
      }
      case 8: {
        const m = new Mmap(fd, 0, { trackfd: false })
        m.find('AB')
        m.close()
        break
      }
      case 9:
        new Mmap(-1, 4096).set(0, 1)
        break
    }
  }

  async function run (from, to) {
    for (let i = from; i < to; i++) {
      cycle(i)
      if (i % 1000 === 999) {
        global.gc()
        await tick()
      }
    }
  }

  const started = Date.now()
  // Warm up: the runtime's own heap and code caches settle first.
  const warmup = Math.min(10000, Math.ceil(count / 10))
  await run(0, warmup)
  kept.length = 0
  await collect()
  const start = sample(file)
  show('start', start)
  const half = Math.floor(count / 2)
  await run(0, half)
  const middle = sample(file)
  show('middle', middle)
  await run(half, count)
  kept.length = 0
  await collect()
  const end = sample(file)
  show('end', end)
  fs.closeSync(fd)
  fs.rmSync(dir, { recursive: true, force: true })

  const problems = []
  if (hasProc && end.maps - start.maps > MAPS_SLACK) problems.push(`mappings grew from ${start.maps} to ${end.maps}`)
  if (hasProc && end.ours > start.ours) problems.push(`the module's mappings grew from ${start.ours} to ${end.ours}`)
  if (hasProc && end.small - start.small > SMALL_SLACK) {
    problems.push(`small anonymous mappings grew from ${start.small} to ${end.small}`)
  }
  if (hasProc && end.fds - start.fds > FDS_SLACK) problems.push(`descriptors grew from ${start.fds} to ${end.fds}`)
  if (end.rss - start.rss > RSS_SLACK) {
    problems.push(`RSS grew by ${((end.rss - start.rss) / 1048576).toFixed(1)} MiB (limit ${RSS_SLACK / 1048576} MiB)`)
  }
  const seconds = (Date.now() - started) / 1000
  console.log(`${count} cycles in ${seconds.toFixed(1)} s: ${problems.length ? problems.join('; ') : 'flat'}`)
  console.log(JSON.stringify({ count, seconds, start, middle, end, problems }))
  process.exitCode = problems.length ? 1 : 0
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
