'use strict'
// bench/lines.js: the rows of issue 15 — line iteration, readline(), lineOffsets(), regex
// search with a literal prefilter and read() — each against its anchor measured in the same
// run on the same generated text (one file with ~40-byte lines, one with ~84-byte lines).
//
//   npm run bench:lines                    256 MiB per file, 3 runs (only these rows)
//   node bench/lines.js --size 64M --runs 5
//
// bench/run.js (npm run bench) runs the same rows through lineRows() and adds them to its table.
const fs = require('fs')
const os = require('os')
const path = require('path')
const readline = require('readline')
const { spawnSync } = require('child_process')
const mmap = require('..')

const MiB = 1024 * 1024
const NEEDLE = 'the needle zqxj7'
const WORDS = ('alpha beta gamma delta return struct static const int char if else while for the of and to ' +
  'value index buffer length offset count line file map read write node python kernel record').split(' ')

const now = () => Number(process.hrtime.bigint())
function median (xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
const tick = () => new Promise((resolve) => setImmediate(resolve))
async function timeIt (fn, runs) {
  let value = await fn()
  await tick()
  const times = []
  for (let r = 0; r < runs; r++) {
    const t0 = now()
    value = await fn()
    times.push(now() - t0)
    if (global.gc) global.gc()
    await tick()
  }
  return { ns: median(times), value }
}
function fmtTime (ns) {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)} s`
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(ns >= 1e8 ? 0 : 1)} ms`
  return `${(ns / 1e3).toFixed(1)} µs`
}
function result (ns, bytes) {
  return { ns, bytes, text: bytes ? `${fmtTime(ns)} (${(bytes / ns).toFixed(2)} GB/s)` : fmtTime(ns) }
}

// A text of `size` bytes with lines of about `avg` bytes: words, a `foo_bar(`
// call every ~2000 lines (half of them after a word character, so \b matters),
// and NEEDLE once, in the last line.
function generate (file, size, avg) {
  let seed = avg * 7919
  const rnd = () => { // mulberry32
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const fd = fs.openSync(file, 'w')
  let written = 0
  let chunk = []
  let chunkBytes = 0
  const tail = `${NEEDLE}\n`
  while (written + chunkBytes < size - tail.length - 256) {
    const target = Math.max(2, Math.floor(avg * (0.5 + rnd())))
    let line = ''
    while (line.length < target - 1) line += WORDS[Math.floor(rnd() * WORDS.length)] + ' '
    const r = rnd()
    if (r < 0.0005) line = 'x = foo_bar(1); ' + line
    else if (r < 0.001) line = 'xfoo_bar(2); ' + line
    line = line.slice(0, Math.max(target - 1, line.indexOf(';') + 1)) + '\n'
    chunk.push(line)
    chunkBytes += line.length
    if (chunkBytes > 8 * MiB) {
      fs.writeSync(fd, chunk.join(''))
      written += chunkBytes
      chunk = []
      chunkBytes = 0
    }
  }
  const pad = size - written - chunkBytes - tail.length
  chunk.push('z'.repeat(Math.max(0, pad - 1)) + '\n', tail)
  fs.writeSync(fd, chunk.join(''))
  fs.closeSync(fd)
}

const PYTHON = `
import json, mmap, re, sys, time
path, runs = sys.argv[1], int(sys.argv[2])
out = {}
def timed(name, fn):
    times = []
    for r in range(runs + 1):
        t0 = time.perf_counter_ns()
        v = fn()
        t1 = time.perf_counter_ns()
        if r > 0:
            times.append(t1 - t0)
    out[name] = {'ns': times, 'value': v}
with open(path, 'rb') as f:
    m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    def lines():
        m.seek(0)
        n = s = 0
        for line in iter(m.readline, b''):
            n += 1
            s += len(line)
        return [n, s]
    timed('readline', lines)
    rx = re.compile(rb'${NEEDLE}')
    timed('search', lambda: rx.search(m).start())
    m.close()
print(json.dumps(out))
`

function python (file, runs) {
  const r = spawnSync('python3', ['-c', PYTHON, file, String(runs)], { encoding: 'utf8', maxBuffer: 1 << 20 })
  if (r.error || r.status !== 0) return null
  const out = JSON.parse(r.stdout)
  for (const k of Object.keys(out)) out[k].ns = median(out[k].ns)
  return out
}

function have (cmd) {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0
}

async function nodeReadline (file) {
  const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity })
  let n = 0
  let s = 0
  for await (const line of rl) {
    n++
    s += line.length
  }
  return [n, s]
}

// THP mode of this machine ("always", "madvise", "never"), or "unknown".
function thpMode () {
  try {
    return /\[(\w+)\]/.exec(fs.readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))[1]
  } catch {
    return 'unknown'
  }
}

// The rows, in bench/run.js's shape: { op, native, baseline, base, goal }.
// check(what, got, want) records exactness failures.
async function lineRows ({ dir, size, runs, log, check }) {
  const rows = []
  const row = (r) => {
    rows.push(r)
    log(`  ${r.op} | ${r.native.text} | ${r.baseline} ${r.base ? r.base.text : ''}`)
  }
  for (const avg of [40, 84]) {
    const file = path.join(dir, `mmap-native-bench-lines-${size}-${avg}.txt`)
    if (!fs.existsSync(file) || fs.statSync(file).size !== size) {
      log(`  generating ${file}`)
      generate(file, size, avg)
    }
    fs.readFileSync(file) // warm the page cache
    const m = mmap.open(file)
    const label = `${avg}-byte lines, ${size / MiB} MiB`
    const wantLines = m.count('\n')

    const lines = await timeIt(() => {
      let n = 0
      let s = 0
      for (const line of m.lines()) {
        n++
        s += line.length
      }
      return [n, s]
    }, runs)
    check(`lines() count (${avg})`, lines.value[0], wantLines)
    const rl = await timeIt(() => {
      m.seek(0)
      let n = 0
      let s = 0
      for (let line = m.readline(); line.length > 0; line = m.readline()) {
        n++
        s += line.length
      }
      return [n, s]
    }, runs)
    check(`readline() bytes (${avg})`, rl.value[1], size)
    const nodeRl = await timeIt(() => nodeReadline(file), runs)
    check(`node readline count (${avg})`, nodeRl.value[0], wantLines)
    const py = python(file, runs)

    row({ op: `lines(): count + sum of lengths, ${label}`, native: result(lines.ns, size), baseline: 'Node readline over fs.createReadStream', base: result(nodeRl.ns, size), goal: 3 })
    if (py) {
      check(`python readline count (${avg})`, py.readline.value[0], wantLines)
      row({ op: `lines(): count + sum of lengths, ${label}`, native: result(lines.ns, size), baseline: "Python for line in iter(mm.readline, b'')", base: result(py.readline.ns, size), goal: 1.5 })
      row({ op: `readline() loop, ${label}`, native: result(rl.ns, size), baseline: "Python for line in iter(mm.readline, b'')", base: result(py.readline.ns, size), goal: 1 })
    }

    const offsets = await timeIt(() => m.lineOffsets().length, runs)
    check(`lineOffsets length (${avg})`, offsets.value, wantLines)
    const count = await timeIt(() => m.count('\n'), runs)
    row({ op: `lineOffsets() of the whole file, ${label}`, native: result(offsets.ns, size), baseline: "count('\\n') (goal: ≤ 2× its time)", base: result(count.ns, size), goal: 0.5 })

    const rx = new RegExp(NEEDLE)
    const search = await timeIt(() => m.search(rx).index, runs)
    check(`search(literal) (${avg})`, search.value, size - NEEDLE.length - 1)
    if (py) row({ op: `search(/${NEEDLE}/), ${label}`, native: result(search.ns, size), baseline: 'Python re.search over the mmap', base: result(py.search.ns, size), goal: 3 })

    const re = /\bfoo_bar\(/g
    const all = await timeIt(() => {
      let n = 0
      for (const _ of m.matchAll(re)) n++ // eslint-disable-line no-unused-vars
      return n
    }, runs)
    if (have('rg')) {
      let out = ''
      const rg = await timeIt(() => {
        const p = spawnSync('rg', ['--count-matches', '--no-config', '--no-filename', '\\bfoo_bar\\(', file], { encoding: 'latin1' })
        out = p.stdout
        return Number(out.trim())
      }, runs)
      check(`rg count = matchAll count (${avg})`, rg.value, all.value)
      row({ op: `matchAll(/\\bfoo_bar\\(/g) count (${all.value} matches), ${label}`, native: result(all.ns, size), baseline: '`rg --count-matches` (whole command)', base: result(rg.ns, size), goal: 1 })
    } else {
      log('  ripgrep missing: run scripts/apt-need.sh rg=ripgrep')
    }

    if (avg === 84) {
      // In a child each, with huge pages allowed and refused
      // (MMAP_NATIVE_HUGEPAGES=0), so one run covers both states.
      for (const huge of ['1', '0']) {
        const p = spawnSync(process.execPath, ['--expose-gc', __filename, '--read', file, String(runs)],
          { encoding: 'utf8', env: { ...process.env, MMAP_NATIVE_HUGEPAGES: huge } })
        if (p.status !== 0) throw new Error(`read() child failed: ${p.stderr}`)
        const t = JSON.parse(p.stdout)
        check(`read() length (huge pages ${huge})`, t.length, size)
        const thp = `THP ${thpMode()}, ${huge === '1' ? 'huge pages allowed (the cheaper page kind, measured)' : 'MMAP_NATIVE_HUGEPAGES=0 (4 KiB pages)'}`
        row({ op: `read() of the whole map, ${size / MiB} MiB, ${thp}`, native: result(t.read, size), baseline: 'fs.readFileSync', base: result(t.rfs, size), goal: 3 })
        row({ op: `read() of the whole map, ${size / MiB} MiB, ${thp}`, native: result(t.read, size), baseline: 'Buffer.from(m.subarray())', base: result(t.from, size), goal: 1 })
      }
    }
    m.close()
  }
  return rows
}

// The child of the read() rows: medians of read(), readFileSync and
// Buffer.from(subarray) of `file`, as JSON.
async function readChild (file, runs) {
  const m = mmap.open(file)
  const read = await timeIt(() => {
    m.seek(0)
    return m.read().length
  }, runs)
  const rfs = await timeIt(() => fs.readFileSync(file).length, runs)
  const from = await timeIt(() => Buffer.from(m.subarray()).length, runs)
  m.close()
  process.stdout.write(JSON.stringify({ read: read.ns, rfs: rfs.ns, from: from.ns, length: read.value }))
}

async function main () {
  const argv = process.argv.slice(2)
  if (argv[0] === '--read') return readChild(argv[1], Number(argv[2]))
  let size = 256 * MiB
  let runs = 3
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--size') size = Math.round(parseFloat(argv[++i]) * MiB)
    else if (argv[i] === '--runs') runs = Number(argv[++i])
    else throw new Error(`unknown option ${argv[i]} (--size MiB, --runs N)`)
  }
  const problems = []
  const check = (what, got, want) => { if (got !== want) problems.push(`${what}: got ${got}, want ${want}`) }
  const log = (s) => process.stderr.write(s + '\n')
  const rows = await lineRows({ dir: os.tmpdir(), size, runs, log, check })
  const out = ['| operation | mmap-native | baseline | baseline time | ratio | goal | met? |', '|---|---|---|---|---|---|---|']
  for (const r of rows) {
    const ratio = r.base.ns / r.native.ns
    out.push(`| ${r.op} | ${r.native.text} | ${r.baseline} | ${r.base.text} | ${ratio.toFixed(2)}× | ≥ ${r.goal}× | ${ratio >= r.goal ? 'yes' : '**no**'} |`)
  }
  out.push('', `\`node bench/lines.js --size ${size / MiB} --runs ${runs}\` — medians of ${runs} runs, page cache warm; Node ${process.version}, ` +
    `${os.cpus()[0].model}, ${os.cpus().length} CPUs; ${new Date().toISOString()}`)
  if (problems.length) out.push('', 'Exactness failures:', ...problems.map((p) => `- ${p}`))
  process.stdout.write(out.join('\n') + '\n')
  if (problems.length) process.exitCode = 1
}

if (require.main === module) main()

module.exports = { lineRows }
