'use strict'
// bench/run.js: `npm run bench` — mmap-native against what a Node.js user would use
// instead, measured in the same run on the same bytes; medians of several runs,
// ratios as the headline. Prints one table, writes it to bench/results.md and a
// bar chart to bench/results.svg.
//
//   npm run bench                       1 GiB data file, 5 runs
//   npm run bench -- --size 5G          exact offsets and speed past 2 and 4 GiB
//   npm run bench -- --quick            64 MiB, 3 runs: a smoke run for CI
//   npm run bench:async                 only the thread-pool rows (bench/async.js)
//
// Options: --size N[K|M|G] (default 1G), --runs N (default 5), --dir DIR (data
// file folder, default os.tmpdir()), --svg PATH (default bench/results.svg),
// --md PATH (default bench/results.md), --json PATH, --quick, --rm (delete the
// data file afterwards). With --quick the SVG and markdown go to the temp
// folder unless --svg / --md are given, so a smoke run never overwrites the
// published results.
const fs = require('fs')
const os = require('os')
const path = require('path')
const v8 = require('v8')
const vm = require('vm')
const crypto = require('crypto')
const { spawnSync } = require('child_process')
const mmap = require('..')
const binding = require('../lib/binding')

const KiB = 1024
const MiB = 1024 * KiB
const GiB = 1024 * MiB
const SEED = 0x6d6d6170 // 'mmap'
const FORMAT = 1 // bump when the generated text changes

// A collector we can call between runs that allocate 1 GiB buffers.
v8.setFlagsFromString('--expose-gc')
const gc = (() => { try { return vm.runInNewContext('gc') } catch { return () => {} } })()

// Options ---------------------------------------------------------------------

function parseSize (text) {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(String(text).trim())
  if (!m) throw new Error(`--size: cannot read "${text}" (examples: 256M, 1G, 5G)`)
  const unit = { '': 1, k: KiB, m: MiB, g: GiB, t: 1024 * GiB }[m[2].toLowerCase()]
  return Math.round(Number(m[1]) * unit)
}

function parseArgs (argv) {
  const opts = { size: GiB, runs: 5, dir: os.tmpdir(), svg: null, md: null, json: null, quick: false, rm: false }
  let sizeGiven = false
  let runsGiven = false
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined]
    const value = () => {
      if (inline !== undefined) return inline
      if (i + 1 >= argv.length) throw new Error(`${flag} needs a value`)
      return argv[++i]
    }
    switch (flag) {
      case '--size': opts.size = parseSize(value()); sizeGiven = true; break
      case '--runs': opts.runs = Number(value()); runsGiven = true; break
      case '--dir': opts.dir = path.resolve(value()); break
      case '--svg': opts.svg = path.resolve(value()); break
      case '--md': opts.md = path.resolve(value()); break
      case '--json': opts.json = path.resolve(value()); break
      case '--quick': opts.quick = true; break
      case '--rm': opts.rm = true; break
      case '-h': case '--help':
        console.log('usage: node bench/run.js [--size 1G] [--runs 5] [--dir DIR] [--svg PATH] [--md PATH] [--json PATH] [--quick] [--rm]')
        process.exit(0)
        break
      default: throw new Error(`unknown option ${a} (try --help)`)
    }
  }
  if (opts.quick) {
    if (!sizeGiven) opts.size = 64 * MiB
    if (!runsGiven) opts.runs = 3
  }
  if (!Number.isInteger(opts.runs) || opts.runs < 1) throw new Error('--runs must be a positive integer')
  if (opts.size < 4 * MiB) throw new Error('--size must be at least 4M')
  const tmpOut = path.join(os.tmpdir(), 'mmap-native-bench-quick')
  if (opts.svg === null) opts.svg = opts.quick ? tmpOut + '.svg' : path.join(__dirname, 'results.svg')
  if (opts.md === null) opts.md = opts.quick ? tmpOut + '.md' : path.join(__dirname, 'results.md')
  opts.randomReads = opts.quick ? 50000 : 200000
  opts.openCloseCalls = opts.quick ? 500 : 2000
  return opts
}

// The data file -----------------------------------------------------------------

// Lower-case words, digits, commas and full stops: no ':' and no '~', so every
// needle below (each holds one of them) occurs only where it is planted.
const WORDS = (
  'the of and to in is was that for on with as by at from this be are or an it not which have ' +
  'one had all there were been has their more when will would who so no other into some time ' +
  'these two may first then only new over such after also used any most its between each where ' +
  'under many those however while three both through same because during before upon without ' +
  'number system general page line file memory value search buffer offset length result even ' +
  'node python kernel needle record entries process thread window reader writer engine service ' +
  'request response server client event level table estimate element interest release 2024 17 ' +
  '404 3.14 1000 42 7 99 0.5 2048 65536, there. here, where. more, less. enough. seven, eleven'
).split(' ')

// xorshift32 with a fixed seed: the same file every time.
function makeRng (seed) {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13; s >>>= 0
    s ^= s >>> 17
    s ^= s << 5; s >>>= 0
    return s
  }
}

const NEEDLES = {
  common: Buffer.from('error: code 4711'), // first byte 'e': the most common letter
  rare: Buffer.from('~rare needle 042'), // first byte '~': absent from the text
  rfind: Buffer.from('exit: status 042'), // near the start, for rfind
  absent: Buffer.from('error: code 4710'), // nowhere: a full scan, for speed at an offset
  far2: Buffer.from('far2: past 2 GiB'),
  far4: Buffer.from('far4: past 4 GiB')
}
for (const [name, n] of Object.entries(NEEDLES)) if (n.length !== 16) throw new Error(`needle ${name} is not 16 bytes`)

// Where the needles go, from the size alone. The head-to-head comparisons run on
// a window: the whole file up to 2 GiB, else its last 1 GiB (Node 20's
// Buffer.indexOf/lastIndexOf return wrong positions past 2^31 inside one Buffer,
// and fs.readFileSync refuses files over 2 GiB).
function layout (size) {
  const win = size <= 2 * GiB - 1 ? size : GiB
  const ws = size - win
  const margin = Math.max(64 * KiB, Math.floor(win / 1024))
  const pos = {
    common: size - margin - 7,
    rare: size - margin + 4096 + 3,
    rfind: ws + margin + 11
  }
  if (size >= 2 * GiB + 64 * MiB) pos.far2 = 2 * GiB + 4093
  if (size >= 4 * GiB + 64 * MiB) pos.far4 = 4 * GiB + 8197
  return { size, ws, we: size, win, pos }
}

function generate (file, size, log) {
  const tmp = `${file}.${process.pid}.tmp`
  const words = WORDS.map((w) => Buffer.from(w))
  const flat = Buffer.concat(words)
  const starts = new Int32Array(words.length)
  const lens = new Int32Array(words.length)
  for (let i = 0, o = 0; i < words.length; o += words[i].length, i++) { starts[i] = o; lens[i] = words[i].length }
  const nw = words.length
  const rng = makeRng(SEED)
  const CHUNK = 16 * MiB
  const buf = Buffer.allocUnsafe(CHUNK + 512)
  const fd = fs.openSync(tmp, 'w')
  const t0 = Date.now()
  let written = 0
  let lastReport = t0
  try {
    while (written < size) {
      let p = 0
      while (p < CHUNK) {
        const lineStart = p
        const target = 50 + (rng() % 60) // ~84 bytes with the last word and the newline
        for (;;) {
          const w = rng() % nw
          const s = starts[w]
          const l = lens[w]
          for (let j = 0; j < l; j++) buf[p + j] = flat[s + j]
          p += l
          if (p - lineStart >= target) break
          buf[p++] = 32
        }
        buf[p++] = 10
      }
      const n = Math.min(p, size - written)
      fs.writeSync(fd, buf, 0, n, written)
      written += n
      if (Date.now() - lastReport > 2000) {
        lastReport = Date.now()
        log(`  generating: ${(100 * written / size).toFixed(0)}%`)
      }
    }
    const { pos } = layout(size)
    for (const [name, at] of Object.entries(pos)) fs.writeSync(fd, NEEDLES[name], 0, 16, at)
  } catch (err) {
    fs.closeSync(fd)
    fs.rmSync(tmp, { force: true })
    throw err
  }
  fs.closeSync(fd)
  fs.renameSync(tmp, file)
  log(`  generated ${fmtBytes(size)} in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
}

// The data file for `size` bytes in dir, generated when missing.
function dataFile (dir, size, log) {
  fs.mkdirSync(dir, { recursive: true })
  const file = path.join(dir, `mmap-native-bench-${size}-s${SEED.toString(16)}-v${FORMAT}.txt`)
  const st = fs.existsSync(file) ? fs.statSync(file) : null
  if (st === null || st.size !== size) generate(file, size, log)
  else log('  reusing the data file')
  return file
}

// Reads the file once so that every measurement starts with a warm page cache.
function warm (file, size) {
  const fd = fs.openSync(file, 'r')
  const buf = Buffer.allocUnsafe(16 * MiB)
  let lines = 0
  for (let off = 0; off < size;) {
    const n = fs.readSync(fd, buf, 0, buf.length, off)
    if (n === 0) break
    off += n
    lines += n // touch only; the count is not used
  }
  fs.closeSync(fd)
  return lines
}

// Timing ------------------------------------------------------------------------

const now = () => Number(process.hrtime.bigint())

function median (xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

// Lets the event loop turn: Node-API finalizers (which free the memory of
// external buffers such as read()'s results) run only then, as in a real program.
const tick = () => new Promise((resolve) => setImmediate(resolve))

// Runs fn (1 warm-up + runs), returns the median in ns and fn's last value.
// Between runs: the optional between(), then a turn of the event loop.
async function timeIt (fn, runs, { warmup = 1, between } = {}) {
  let value
  for (let i = 0; i < warmup; i++) {
    value = fn()
    if (between) between()
    await tick()
  }
  const times = []
  for (let r = 0; r < runs; r++) {
    const t0 = now()
    value = fn()
    times.push(now() - t0)
    if (between) between()
    await tick()
  }
  return { ns: median(times), times, value }
}

// Formatting --------------------------------------------------------------------

function sig3 (x) {
  if (x >= 100) return x.toFixed(0)
  if (x >= 10) return x.toFixed(1)
  return x.toFixed(2)
}
function fmtTime (ns) {
  if (ns >= 1e9) return `${sig3(ns / 1e9)} s`
  if (ns >= 1e6) return `${sig3(ns / 1e6)} ms`
  if (ns >= 1e3) return `${sig3(ns / 1e3)} µs`
  return `${sig3(ns)} ns`
}
function fmtBytes (n) {
  if (n >= GiB && n % (GiB / 4) === 0) return `${n / GiB} GiB`
  if (n >= GiB) return `${(n / GiB).toFixed(2)} GiB`
  if (n >= MiB) return `${+(n / MiB).toFixed(1)} MiB`
  return `${+(n / KiB).toFixed(1)} KiB`
}
const fmtRate = (bytes, ns) => `${(bytes / ns).toFixed(1)} GB/s`
function fmtRatio (r) {
  if (!Number.isFinite(r)) return '—'
  return `${sig3(r)}×`
}

// One measured thing: a label, a median time and, when it moved bytes, how many.
function result (ns, bytes, extra = {}) {
  return { ns, bytes, text: bytes ? `${fmtTime(ns)} (${fmtRate(bytes, ns)})` : fmtTime(ns), ...extra }
}

// External tools ----------------------------------------------------------------

function have (cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'ignore' })
  return r.status === 0
}

const C_ENV = { ...process.env, LC_ALL: 'C' }

// Times a whole command (process start included; nothing subtracted).
async function timeCommand (cmd, args, runs) {
  let out
  const r = await timeIt(() => {
    const p = spawnSync(cmd, args, { env: C_ENV, encoding: 'latin1', maxBuffer: 1 << 20 })
    if (p.error) throw p.error
    if (p.status !== 0 && !(cmd === 'grep' && p.status === 1)) throw new Error(`${cmd} failed: ${p.stderr}`)
    out = p.stdout
    return out
  }, runs)
  return { ns: r.ns, out }
}

function buildMemmem (dir, log) {
  if (!have('cc', ['--version'])) return { note: 'glibc memmem: skipped (no cc on this machine)' }
  const src = path.join(__dirname, 'memmem.c')
  const hash = crypto.createHash('sha1').update(fs.readFileSync(src)).digest('hex').slice(0, 10)
  const exe = path.join(dir, `mmap-native-bench-memmem-${hash}`)
  if (!fs.existsSync(exe)) {
    const r = spawnSync('cc', ['-O2', '-o', exe, src], { encoding: 'utf8' })
    if (r.status !== 0) return { note: `glibc memmem: skipped (cc failed: ${(r.stderr || '').trim().split('\n')[0]})` }
    log(`  compiled ${exe}`)
  }
  return { exe }
}

function runMemmem (exe, file, L, needles, runs) {
  const args = [file, String(L.ws), String(L.we), String(runs), ...needles.map((n) => n.toString('hex'))]
  const r = spawnSync(exe, args, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`memmem helper failed: ${r.stderr}`)
  return JSON.parse(r.stdout).map((x) => ({ ns: median(x.ns), pos: x.pos }))
}

const PYTHON = `
import json, mmap, sys, time
path, start, end, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
out = []
with open(path, 'rb') as f:
    m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    for spec in sys.argv[5:]:
        op, hexneedle = spec.split(':')
        needle = bytes.fromhex(hexneedle)
        fn = m.find if op == 'find' else m.rfind
        times = []
        for r in range(runs + 1):
            t0 = time.perf_counter_ns()
            pos = fn(needle, start, end)
            t1 = time.perf_counter_ns()
            if r > 0:
                times.append(t1 - t0)
        out.append({'op': op, 'pos': pos, 'ns': times})
    m.close()
print(json.dumps(out))
`

function runPython (file, L, specs, runs) {
  const args = ['-c', PYTHON, file, String(L.ws), String(L.we), String(runs),
    ...specs.map(([op, n]) => `${op}:${n.toString('hex')}`)]
  const r = spawnSync('python3', args, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`)
  return JSON.parse(r.stdout).map((x) => ({ ns: median(x.ns), pos: x.pos }))
}

// Machine -------------------------------------------------------------------------

function cpuModel () {
  try {
    const info = fs.readFileSync('/proc/cpuinfo', 'utf8')
    const m = /^model name\s*:\s*(.+)$/m.exec(info)
    return m ? m[1].trim() : os.cpus()[0]?.model ?? 'unknown CPU'
  } catch {
    return os.cpus()[0]?.model ?? 'unknown CPU'
  }
}

function commandLine () {
  const args = process.argv.slice(2).map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`))
  if (process.env.npm_lifecycle_event === 'bench') return `npm run bench${args.length ? ' -- ' + args.join(' ') : ''}`
  return `node bench/run.js${args.length ? ' ' + args.join(' ') : ''}`
}

const KERNEL_NAMES = { 1: 'scalar', 2: 'SSE2', 3: 'AVX2', 4: 'NEON' }

// The benchmark -----------------------------------------------------------------

async function main () {
  const opts = parseArgs(process.argv.slice(2))
  const log = (s) => process.stderr.write(s + '\n')
  const { runs } = opts
  const size = opts.size
  const L = layout(size)
  const { ws, we, win } = L
  const file = dataFile(opts.dir, size, log)
  log(`mmap-native bench: ${fmtBytes(size)}, ${runs} runs, data file ${file}`)
  const t0 = now()
  warm(file, size)
  log(`  warmed the page cache in ${fmtTime(now() - t0)}`)

  const autoKernel = binding.searchKernel()
  const notes = []
  const problems = [] // exactness failures
  const check = (what, got, want) => {
    if (got !== want) problems.push(`${what}: got ${got}, want ${want}`)
  }

  const rows = []
  const row = (r) => { rows.push(r); log(`  ${r.op} | ${r.native?.text ?? '—'} | ${r.baseline} ${r.base?.text ?? ''}`) }

  const m = mmap.open(file)
  const winView = m.subarray(ws, we) // a zero-copy Buffer over the window, < 2 GiB
  const winLabel = ws === 0 ? '' : ` (last ${fmtBytes(win)})`
  const P = L.pos

  // find, common first byte -------------------------------------------------------
  log('find, rfind, count ...')
  const nativeFind = await timeIt(() => m.find(NEEDLES.common, ws, we), runs)
  check('m.find(common)', nativeFind.value, P.common)
  check('m.find(common, 0)', m.find(NEEDLES.common, 0), P.common)
  const bufFind = await timeIt(() => winView.indexOf(NEEDLES.common), runs)
  check('Buffer.indexOf(common) + window start', bufFind.value + ws, P.common)
  const nativeRare = await timeIt(() => m.find(NEEDLES.rare, ws, we), runs)
  check('m.find(rare)', nativeRare.value, P.rare)
  const bufRare = await timeIt(() => winView.indexOf(NEEDLES.rare), runs)
  check('Buffer.indexOf(rare) + window start', bufRare.value + ws, P.rare)
  const nativeRfind = await timeIt(() => m.rfind(NEEDLES.rfind, ws, we), runs)
  check('m.rfind(rfind needle)', nativeRfind.value, P.rfind)
  check('m.rfind(rfind needle, 0)', m.rfind(NEEDLES.rfind, 0), P.rfind)
  const bufRfind = await timeIt(() => winView.lastIndexOf(NEEDLES.rfind), runs)
  check('Buffer.lastIndexOf + window start', bufRfind.value + ws, P.rfind)

  const bytesFind = P.common - ws + 16
  const bytesRare = P.rare - ws + 16
  const bytesRfind = we - P.rfind

  // glibc memmem
  const mm = buildMemmem(opts.dir, log)
  let memmem = null
  if (mm.exe) {
    log('glibc memmem ...')
    const [c, r] = runMemmem(mm.exe, file, L, [NEEDLES.common, NEEDLES.rare], runs)
    check('memmem(common)', c.pos, P.common)
    check('memmem(rare)', r.pos, P.rare)
    memmem = { common: c.ns, rare: r.ns }
  } else notes.push(mm.note)

  // Python
  let py = null
  if (have('python3', ['-c', 'import mmap'])) {
    log('python3 mmap.find / rfind ...')
    const [c, r] = runPython(file, L, [['find', NEEDLES.common], ['rfind', NEEDLES.rfind]], runs)
    check('python mmap.find(common)', c.pos, P.common)
    check('python mmap.rfind', r.pos, P.rfind)
    py = { find: c.ns, rfind: r.ns }
  } else notes.push('Python mmap.find/rfind: skipped (no python3)')

  const nf = result(nativeFind.ns, bytesFind)
  row({ op: `find 16 B, common first byte${winLabel}`, native: nf, baseline: 'Buffer.indexOf (view of the same map)', base: result(bufFind.ns, bytesFind), goal: 5, chart: 'find, common 1st byte vs Buffer.indexOf' })
  if (memmem) row({ op: 'find 16 B, common first byte', native: nf, baseline: 'glibc memmem (C, same file)', base: result(memmem.common, bytesFind), goal: 2, chart: 'find, common 1st byte vs glibc memmem' })
  if (py) row({ op: 'find 16 B, common first byte', native: nf, baseline: 'Python mmap.find', base: result(py.find, bytesFind), chart: 'find, common 1st byte vs Python mmap.find' })
  const nr = result(nativeRare.ns, bytesRare)
  row({ op: `find 16 B, rare first byte${winLabel}`, native: nr, baseline: 'Buffer.indexOf (view of the same map)', base: result(bufRare.ns, bytesRare), goal: 1, chart: 'find, rare 1st byte vs Buffer.indexOf' })
  if (memmem) row({ op: 'find 16 B, rare first byte', native: nr, baseline: 'glibc memmem (C, same file)', base: result(memmem.rare, bytesRare), chart: 'find, rare 1st byte vs glibc memmem' })
  const nrf = result(nativeRfind.ns, bytesRfind)
  row({ op: `rfind 16 B${winLabel}`, native: nrf, baseline: 'Buffer.lastIndexOf (view of the same map)', base: result(bufRfind.ns, bytesRfind), goal: 6, chart: 'rfind vs Buffer.lastIndexOf' })
  if (py) row({ op: 'rfind 16 B', native: nrf, baseline: 'Python mmap.rfind', base: result(py.rfind, bytesRfind), chart: 'rfind vs Python mmap.rfind' })

  // count ------------------------------------------------------------------------
  const nativeCount = await timeIt(() => m.count('\n'), runs)
  const nativeCountWin = ws === 0 ? nativeCount : await timeIt(() => m.count('\n', ws, we), runs)
  const loopCount = await timeIt(() => {
    let n = 0
    let p = winView.indexOf(10)
    while (p !== -1) { n++; p = winView.indexOf(10, p + 1) }
    return n
  }, runs, { warmup: 2 })
  check("indexOf(10) loop vs m.count('\\n', window)", loopCount.value, nativeCountWin.value)
  const lines = nativeCount.value
  if (have('wc', ['--version'])) {
    log('wc -l ...')
    const wc = await timeCommand('wc', ['-l', file], runs)
    check("wc -l vs m.count('\\n')", Number(wc.out.trim().split(/\s+/)[0]), lines)
    row({ op: "count('\\n'), whole file", native: result(nativeCount.ns, size), baseline: '`wc -l` (whole command)', base: result(wc.ns, size), goal: 2.5, chart: "count('\\n') vs wc -l" })
  } else notes.push('wc -l: skipped (not found)')
  row({ op: `count('\\n')${winLabel}`, native: result(nativeCountWin.ns, win), baseline: 'Buffer.indexOf(10, p) loop', base: result(loopCount.ns, win), chart: "count('\\n') vs indexOf(10) loop" })
  if (have('grep', ['--version'])) {
    log('grep -c -F ...')
    const nativeCountNeedle = await timeIt(() => m.count(NEEDLES.common), runs)
    check('m.count(common)', nativeCountNeedle.value, 1)
    const gr = await timeCommand('grep', ['-c', '-F', '--', NEEDLES.common.toString('latin1'), file], runs)
    check('grep -c -F common', Number(gr.out.trim()), 1)
    row({ op: 'count 16 B needle, whole file', native: result(nativeCountNeedle.ns, size), baseline: '`grep -c -F` (whole command)', base: result(gr.ns, size), chart: 'count 16 B needle vs grep -c -F' })
  } else notes.push('grep -c -F: skipped (not found)')

  // open + find on a fresh map vs readFileSync + indexOf; read() vs readFileSync --
  log('open + find, read() vs readFileSync ...')
  const bigFile = size > 2 * GiB - 1
  const readWhole = bigFile
    ? () => { // what readFileSync does, on the window (readFileSync refuses > 2 GiB)
        const fd = fs.openSync(file, 'r')
        const b = Buffer.allocUnsafe(win)
        for (let off = 0; off < win;) {
          const n = fs.readSync(fd, b, off, win - off, ws + off)
          if (n === 0) break
          off += n
        }
        fs.closeSync(fd)
        return b
      }
    : () => fs.readFileSync(file)
  const readName = bigFile ? `fs.readSync of the last ${fmtBytes(win)} into a new Buffer` : 'fs.readFileSync'
  const openFind = await timeIt(() => {
    const f = mmap.open(file)
    const at = f.find(NEEDLES.common, ws)
    f.close()
    return at
  }, runs, { warmup: 1, between: gc })
  check('open + find', openFind.value, P.common)
  const rfTotal = []
  const rfRead = []
  gc()
  for (let r = 0; r < runs; r++) {
    const t0 = now()
    let b = readWhole()
    const t1 = now()
    const at = b.indexOf(NEEDLES.common)
    const t2 = now()
    check('readFileSync + indexOf', at + ws, P.common)
    rfTotal.push(t2 - t0)
    rfRead.push(t1 - t0)
    b = null
    gc()
    await tick()
  }
  row({ op: 'open + find + close, fresh map' + winLabel, native: result(openFind.ns, bytesFind), baseline: `${readName} + indexOf`, base: result(median(rfTotal), bytesFind), goal: 8, chart: `open + find vs ${bigFile ? 'readSync' : 'readFileSync'} + indexOf` })
  const mRead = await timeIt(() => {
    m.seek(ws)
    const b = bigFile ? m.read(win) : m.read()
    return b.length
  }, runs, { warmup: 1, between: gc })
  check('m.read() length', mRead.value, win)
  {
    m.seek(ws)
    const probe = m.read(64)
    check('m.read() bytes', probe.equals(winView.subarray(0, 64)), true)
  }
  row({ op: bigFile ? `read(${fmtBytes(win)}) into a Buffer` : `read() of the whole ${fmtBytes(size)} map`, native: result(mRead.ns, win), baseline: readName, base: result(median(rfRead), win), goal: 3, chart: `read() vs ${bigFile ? 'fs.readSync' : 'readFileSync'}` })

  // random 8-byte reads ------------------------------------------------------------
  log('random reads ...')
  const N = opts.randomReads
  const rng = makeRng(SEED ^ 0x5a5a5a5a)
  const offs = new Float64Array(N)
  for (let i = 0; i < N; i++) offs[i] = Math.floor(((rng() * 2 ** 21) + (rng() >>> 11)) / 2 ** 53 * (size - 8))
  const fd = fs.openSync(file, 'r')
  const b8 = Buffer.alloc(8)
  let sink = 0
  const readSync = await timeIt(() => {
    let s = 0
    for (let i = 0; i < N; i++) { fs.readSync(fd, b8, 0, 8, offs[i]); s += b8.readDoubleLE(0) }
    return s
  }, runs)
  // DataView over the map: m.buffer when one ArrayBuffer can hold the map, else
  // 1 GiB subarray() windows (overlapping by 8 bytes) picked per read.
  const whole = size <= require('buffer').constants.MAX_LENGTH
  // (A read loop per case, written out: V8 keeps a DataView's checks out of the
  // loop only when it sees one DataView.)
  let viewF64, viewU64
  const REP = 10
  if (whole) {
    const dv = new DataView(m.buffer)
    const getU64 = (o) => dv.getBigUint64(o, true)
    verifyReads(fd, b8, offs, getU64, check)
    viewF64 = await timeIt(() => {
      let s = 0
      for (let r = 0; r < REP; r++) for (let i = 0; i < N; i++) s += dv.getFloat64(offs[i], true)
      return s
    }, runs, { warmup: 2 })
    viewU64 = await timeIt(() => {
      let x = 0n
      for (let i = 0; i < N; i++) x ^= dv.getBigUint64(offs[i], true)
      return x
    }, runs, { warmup: 2 })
  } else {
    const dvs = []
    for (let s = 0; s < size; s += GiB) {
      const b = m.subarray(s, Math.min(size, s + GiB + 8))
      dvs.push(new DataView(b.buffer, b.byteOffset, b.length))
    }
    const getU64 = (o) => { const w = (o / GiB) | 0; return dvs[w].getBigUint64(o - w * GiB, true) }
    verifyReads(fd, b8, offs, getU64, check)
    viewF64 = await timeIt(() => {
      let s = 0
      for (let r = 0; r < REP; r++) {
        for (let i = 0; i < N; i++) {
          const o = offs[i]
          const w = (o / GiB) | 0
          s += dvs[w].getFloat64(o - w * GiB, true)
        }
      }
      return s
    }, runs, { warmup: 2 })
    viewU64 = await timeIt(() => {
      let x = 0n
      for (let i = 0; i < N; i++) {
        const o = offs[i]
        const w = (o / GiB) | 0
        x ^= dvs[w].getBigUint64(o - w * GiB, true)
      }
      return x
    }, runs, { warmup: 2 })
  }
  sink += viewF64.value + readSync.value + Number(viewU64.value & 1n)
  fs.closeSync(fd)
  const perRead = readSync.ns / N
  const viewWhat = whole ? 'm.buffer' : '1 GiB m.subarray() windows'
  if (!whole) {
    notes.push('Random reads past 4 GiB go through 1 GiB `subarray()` windows (Node 20 caps one ArrayBuffer at 4 GiB), ' +
      'the window picked per read; V8 cannot hoist a DataView\'s checks out of the loop then, so each read costs more than through one `m.buffer` view.')
  }
  row({ op: `random 8 B reads, DataView.getFloat64 on ${viewWhat}`, native: result(viewF64.ns / (N * REP)), baseline: 'fs.readSync 8 B at the same offsets', base: result(perRead), goal: 80, perOp: true, chart: 'random reads: DataView getFloat64 vs fs.readSync' })
  row({ op: `random 8 B reads, DataView.getBigUint64 on ${viewWhat}`, native: result(viewU64.ns / N), baseline: 'fs.readSync 8 B at the same offsets', base: result(perRead), perOp: true, chart: 'random reads: DataView getBigUint64 vs fs.readSync' })

  // open + close ----------------------------------------------------------------------
  log('open + close ...')
  const small = path.join(opts.dir, 'mmap-native-bench-4k.bin')
  if (!fs.existsSync(small) || fs.statSync(small).size !== 4096) fs.writeFileSync(small, Buffer.alloc(4096, 0x61))
  const K = opts.openCloseCalls
  for (const [f, label] of [[file, fmtBytes(size)], [small, '4 KiB']]) {
    const oc = await timeIt(() => { for (let i = 0; i < K; i++) mmap.open(f).close() }, runs)
    const fsoc = await timeIt(() => { for (let i = 0; i < K; i++) fs.closeSync(fs.openSync(f, 'r')) }, runs)
    row({ op: `mmap.open + close, ${label} file`, native: result(oc.ns / K), baseline: 'fs.openSync + closeSync', base: result(fsoc.ns / K), goalMaxNs: 20000, perOp: true })
  }

  // request/reply between two processes ------------------------------------------------
  // bench/shm-roundtrip.js: SharedMemory against child_process IPC and a Unix socket, one run.
  log('round trips between two processes ...')
  const rt = await require('./shm-roundtrip').measure({ trips: opts.quick ? 2000 : 20000, runs })
  const rtOp = 'request/reply round trip, 2 processes, SharedMemory'
  row({ op: rtOp, native: result(rt.shm), baseline: 'child_process IPC (process.send)', base: result(rt.ipc), perOp: true, chart: 'round trip: SharedMemory vs IPC' })
  row({ op: rtOp, native: result(rt.shm), baseline: `${process.platform === 'win32' ? 'named pipe' : 'Unix socket'} (net)`, base: result(rt.socket), perOp: true, chart: 'round trip: SharedMemory vs socket' })
  notes.push('Round trips: a 64-byte request and a 64-byte reply between this process and a child; mean per round trip ' +
    `(${rt.trips.shm} through the block, ${rt.trips.ipc} over IPC and the socket), median of ${runs} runs. ` +
    `Atomics.wait ${rt.atomicsWait}, so both sides of the SharedMemory exchange spin on Atomics.load (each keeps a CPU busy ` +
    'while it waits, and a busy machine can deschedule either spinner: this row is the most sensitive to load).')

  // other kernels -----------------------------------------------------------------------
  log('forced search kernels ...')
  try {
    for (const level of [3, 2, 1]) {
      if (level === autoKernel) continue
      try {
        binding.searchKernel(level) // throws where the CPU lacks the level (x86 levels on ARM)
      } catch {
        continue
      }
      const kf = await timeIt(() => m.find(NEEDLES.common, ws, we), runs)
      check(`m.find(common) with the ${KERNEL_NAMES[level]} kernel`, kf.value, P.common)
      if (memmem) row({ op: `find 16 B, common first byte, ${KERNEL_NAMES[level]} kernel`, native: result(kf.ns, bytesFind), baseline: 'glibc memmem', base: result(memmem.common, bytesFind), kernelRow: true, chart: `find, common 1st byte, ${KERNEL_NAMES[level]} vs memmem` })
      const kc = await timeIt(() => m.count('\n'), runs)
      check(`m.count('\\n') with the ${KERNEL_NAMES[level]} kernel`, kc.value, lines)
      const wcRow = rows.find((r) => r.baseline.startsWith('`wc -l`'))
      if (wcRow) row({ op: `count('\\n'), ${KERNEL_NAMES[level]} kernel`, native: result(kc.ns, size), baseline: '`wc -l`', base: wcRow.base, kernelRow: true, chart: `count('\\n'), ${KERNEL_NAMES[level]} vs wc -l` })
    }
  } finally {
    binding.searchKernel(0)
  }

  // past 2 and 4 GiB -------------------------------------------------------------------
  for (const [name, at, boundary] of [['far2', P.far2, 2 * GiB], ['far4', P.far4, 4 * GiB]]) {
    if (at === undefined) continue
    log(`past ${boundary / GiB} GiB ...`)
    check(`m.find(${name})`, m.find(NEEDLES[name], 0), at)
    check(`m.find(${name}, ${boundary})`, m.find(NEEDLES[name], boundary), at)
    check(`m.rfind(${name})`, m.rfind(NEEDLES[name], 0), at)
    check(`m.count(${name})`, m.count(NEEDLES[name]), 1)
    check(`m.find(${name}) before it`, m.find(NEEDLES[name], 0, at + 15), -1)
    const len = Math.min(GiB, size - boundary)
    const low = await timeIt(() => m.find(NEEDLES.absent, 0, len), runs)
    const high = await timeIt(() => m.find(NEEDLES.absent, boundary, boundary + len), runs)
    check('m.find(absent)', high.value, -1)
    row({ op: `find, ${fmtBytes(len)} starting at ${boundary / GiB} GiB`, native: result(high.ns, len), baseline: `mmap-native find, first ${fmtBytes(len)}`, base: result(low.ns, len), goal: 0.9, sameSpeed: true, chart: `find at ${boundary / GiB} GiB vs at 0` })
    const lowC = await timeIt(() => m.count('\n', 0, len), runs)
    const highC = await timeIt(() => m.count('\n', boundary, boundary + len), runs)
    row({ op: `count('\\n'), ${fmtBytes(len)} starting at ${boundary / GiB} GiB`, native: result(highC.ns, len), baseline: `mmap-native count, first ${fmtBytes(len)}`, base: result(lowC.ns, len), goal: 0.9, sameSpeed: true, chart: `count('\\n') at ${boundary / GiB} GiB vs at 0` })
  }
  m.close()
  if (sink === 42) log('')

  // the thread pool (bench/async.js): after m.close(), so the file's pages can leave the cache
  log('thread pool: findAsync, countAsync, prefetch ...')
  const { asyncRows } = require('./async')
  const asyncCtx = { file, size, from: ws, runs, needles: { late: NEEDLES.common, early: NEEDLES.rfind }, pos: { late: P.common, early: P.rfind }, log, check, result }
  for (const r of await asyncRows(asyncCtx)) row(r)
  // lines, readline, lineOffsets, regex prefilter, read() (bench/lines.js; on
  // their own: npm run bench:lines) ----------------------------------------------
  log('lines, readline, lineOffsets, regex prefilter, read() ...')
  const { lineRows } = require('./lines')
  for (const r of await lineRows({ dir: opts.dir, size: Math.min(size, 256 * MiB), runs, log: () => {}, check })) row(r)

  // report ---------------------------------------------------------------------------
  for (const r of rows) {
    r.ratio = r.base ? r.base.ns / r.native.ns : NaN
    if (r.goalMaxNs !== undefined) {
      r.goalText = r.goalMaxNs >= 1e6 ? `≤ ${r.goalMaxNs / 1e6} ms` : `≤ ${r.goalMaxNs / 1000} µs`
      r.met = r.native.ns <= r.goalMaxNs
    } else if (r.goal !== undefined) {
      r.goalText = r.sameSpeed ? `same speed (≥ ${r.goal}×)` : `≥ ${r.goal}×`
      r.met = r.ratio >= r.goal
    } else {
      r.goalText = '—'
      r.met = null
    }
  }
  const exact = problems.length === 0
  const header = ['operation', 'mmap-native', 'baseline', 'baseline time', 'ratio', 'goal', 'met?']
  const cells = rows.map((r) => [r.op, r.native.text, r.baseline, r.base ? r.base.text : '—', fmtRatio(r.ratio), r.goalText,
    r.met === null ? '—' : r.met ? 'yes' : '**no**'])
  const table = mdTable(header, cells)
  const kernel = `${KERNEL_NAMES[autoKernel]} (auto)`
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
  const cmd = commandLine()
  const cpu = `${cpuModel()}, ${os.cpus().length} CPUs`
  const meta = `\`${cmd}\` — ${fmtBytes(size)} text file (${(size / lines).toFixed(0)}-byte lines), medians of ${runs} runs, ` +
    `page cache warm; Node ${process.version}, ${cpu}, ${os.type()} ${os.release()}, search kernel ${kernel}; ${date}`
  const missed = rows.filter((r) => r.met === false)
  const lines2 = [
    table,
    '',
    meta,
    '',
    `exact: ${exact ? 'yes' : 'no'} — find/rfind/count offsets checked against the planted needles` +
      (P.far2 !== undefined ? `, past 2 GiB${P.far4 !== undefined ? ' and past 4 GiB' : ''}` : '') +
      ', and against every baseline’s answer',
    '',
    `Ratios are baseline time ÷ mmap-native time (higher is better for mmap-native). Buffer baselines search a zero-copy view of the same map${ws ? `, limited to the last ${fmtBytes(win)}` : ''} ` +
      '(Node 20’s `Buffer.indexOf`/`lastIndexOf` return wrong positions past 2 GiB inside one Buffer, so they are only compared on views shorter than 2 GiB). ' +
      '`wc -l` and `grep -c -F` are timed as whole commands (LC_ALL=C), process start included. GB/s counts the bytes each operation had to look at.'
  ]
  for (const n of notes) lines2.push('', n)
  if (!exact) lines2.push('', 'Exactness failures:', ...problems.map((p) => `- ${p}`))
  const md = lines2.join('\n') + '\n'
  process.stdout.write('\n' + md)
  if (missed.length) {
    process.stdout.write('\nGoals not met:\n' + missed.map((r) => `- ${r.op} vs ${r.baseline}: ${fmtRatio(r.ratio)}` +
      (r.goalMaxNs !== undefined ? `, ${r.native.text} (goal ${r.goalText})` : ` (goal ${r.goalText}, ${(100 * (1 - r.ratio / r.goal)).toFixed(0)}% short)`)).join('\n') + '\n')
  }

  fs.mkdirSync(path.dirname(opts.md), { recursive: true })
  fs.writeFileSync(opts.md, md)
  fs.mkdirSync(path.dirname(opts.svg), { recursive: true })
  fs.writeFileSync(opts.svg, svgChart(rows, { title: `mmap-native speed-up, ${fmtBytes(size)} file, medians of ${runs} runs`, cmd, meta: `Node ${process.version} · ${cpu} · kernel ${kernel} · ${date}` }))
  process.stdout.write(`\nwrote ${opts.md}\nwrote ${opts.svg}\n`)
  if (opts.json) {
    fs.writeFileSync(opts.json, JSON.stringify({
      command: cmd,
      node: process.version,
      cpu,
      os: `${os.type()} ${os.release()}`,
      date,
      size,
      runs,
      kernel: KERNEL_NAMES[autoKernel],
      exact,
      problems,
      notes,
      rows: rows.map((r) => ({ op: r.op, nativeNs: r.native.ns, nativeBytes: r.native.bytes, baseline: r.baseline, baselineNs: r.base?.ns, ratio: r.ratio, goal: r.goalText, met: r.met }))
    }, null, 2) + '\n')
    process.stdout.write(`wrote ${opts.json}\n`)
  }
  if (opts.rm) fs.rmSync(file, { force: true })
  if (!exact) process.exitCode = 1
}

// The view reads and fs.readSync agree, byte for byte, on the first offsets.
function verifyReads (fd, b8, offs, getU64, check) {
  for (let i = 0; i < Math.min(offs.length, 2000); i++) {
    fs.readSync(fd, b8, 0, 8, offs[i])
    const want = b8.readBigUInt64LE(0)
    const got = getU64(offs[i])
    if (got !== want) { check(`view read at ${offs[i]}`, got, want); break }
  }
}

function mdTable (header, rows) {
  const all = [header, ...rows]
  const width = header.map((_, c) => Math.max(...all.map((r) => [...r[c]].length)))
  const line = (r) => '| ' + r.map((x, c) => x + ' '.repeat(width[c] - [...x].length)).join(' | ') + ' |'
  return [line(header), '|' + width.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)].join('\n')
}

// SVG chart: one horizontal bar per ratio row, log scale, goal marked ---------------

function esc (s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function svgChart (rows, { title, cmd, meta }) {
  const bars = rows.filter((r) => Number.isFinite(r.ratio) && r.goalMaxNs === undefined)
  const absolute = rows.filter((r) => r.goalMaxNs !== undefined)
  const labelW = 350
  const plotW = 460
  const rowH = 22
  const top = 62
  const W = labelW + plotW + 70
  const H = top + bars.length * rowH + 30 + absolute.length * 17 + 48
  const vals = bars.flatMap((r) => [r.ratio, r.goal ?? r.ratio])
  const lo = Math.min(0.5, ...vals.map((v) => v / 1.25))
  const hi = Math.max(2, ...vals.map((v) => v * 1.6))
  const lmin = Math.log10(lo)
  const lmax = Math.log10(hi)
  const x = (v) => labelW + ((Math.log10(v) - lmin) / (lmax - lmin)) * plotW
  const f = (n) => n.toFixed(1)
  const out = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="-apple-system,Segoe UI,Helvetica,Arial,sans-serif" font-size="12">`)
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`)
  out.push(`<text x="12" y="22" font-size="15" font-weight="bold" fill="#222">${esc(title)}</text>`)
  out.push('<text x="12" y="40" fill="#555">speed-up = baseline time ÷ mmap-native time, log scale. Black tick: goal. ' +
    '<tspan fill="#2e9d4a">■ met</tspan> <tspan fill="#d0423b">■ missed</tspan> <tspan fill="#9aa3ad">■ no goal</tspan></text>')
  const plotBottom = top + bars.length * rowH
  let lastLabel = -Infinity
  for (const t of [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]) {
    if (t < lo || t > hi) continue
    const tx = x(t)
    out.push(`<line x1="${f(tx)}" y1="${top - 6}" x2="${f(tx)}" y2="${plotBottom}" stroke="${t === 1 ? '#666' : '#e6e6e6'}" stroke-width="1"/>`)
    if (tx - lastLabel >= 34) {
      out.push(`<text x="${f(tx)}" y="${plotBottom + 14}" text-anchor="middle" fill="#666">${t}×</text>`)
      lastLabel = tx
    }
  }
  const one = x(1)
  bars.forEach((r, i) => {
    const y = top + i * rowH
    const color = r.met === true ? '#2e9d4a' : r.met === false ? '#d0423b' : '#9aa3ad'
    const label = r.chart ?? `${r.op} vs ${r.baseline.replace(/`/g, '')}`
    const xr = x(r.ratio)
    const x0 = Math.min(one, xr)
    out.push(`<text x="${labelW - 8}" y="${y + 15}" text-anchor="end" fill="#222">${esc(label)}</text>`)
    out.push(`<rect x="${f(x0)}" y="${y + 4}" width="${f(Math.max(1.5, Math.abs(xr - one)))}" height="${rowH - 8}" fill="${color}"/>`)
    let tx = Math.max(xr, one) + 5
    if (r.goal !== undefined) {
      const gx = x(r.goal)
      out.push(`<line x1="${f(gx)}" y1="${y + 1}" x2="${f(gx)}" y2="${y + rowH - 1}" stroke="#111" stroke-width="2.5"/>`)
      if (gx + 5 > tx && gx - 5 < tx + 40) tx = gx + 5
    }
    out.push(`<text x="${f(tx)}" y="${y + 15}" fill="#222">${esc(fmtRatio(r.ratio))}</text>`)
  })
  let y = plotBottom + 38
  for (const r of absolute) {
    out.push(`<text x="12" y="${y}" fill="${r.met ? '#2e9d4a' : '#d0423b'}">${r.met ? '✓' : '✗'} ${esc(r.op)}: ${esc(r.native.text)} per call ` +
      `(goal ${esc(r.goalText)}; ${esc(r.baseline)}: ${esc(r.base.text)})</text>`)
    y += 17
  }
  out.push(`<text x="12" y="${y + 12}" fill="#555" font-family="ui-monospace,Menlo,Consolas,monospace">${esc(cmd)}</text>`)
  out.push(`<text x="12" y="${y + 29}" fill="#555">${esc(meta)}</text>`)
  out.push('</svg>')
  return out.join('\n') + '\n'
}

module.exports = { dataFile, layout, NEEDLES, result, mdTable, fmtBytes, fmtTime, fmtRatio, median }

if (require.main === module) {
  main().catch((err) => {
    console.error(err)
    process.exit(1)
  })
}
