'use strict'
// bench/async.js: the thread-pool rows of `npm run bench`: how long the event loop stalls while a
// cold file is scanned (countAsync vs count), the parallel speed-up of countAsync/findAsync over a
// warm map, a cold find() after prefetch() vs alone, and the time findAsync takes to its answer on
// a cold file. bench/run.js adds these rows to its table; alone:
//
//   npm run bench:async [-- --size 1G --runs 5 --dir DIR]
//
// "Cold" means the file's page cache was dropped first with `dd if=FILE iflag=nocache count=0`
// (posix_fadvise DONTNEED, no root needed) and the map is opened after that; residency() of the
// fresh map says how much of the file was still in memory, and is printed.
const { spawnSync } = require('child_process')
const mmap = require('..')
const { DEFAULT_THREADS } = require('../lib/async')

const now = () => Number(process.hrtime.bigint())
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function median (xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

// Drops the file's pages from the page cache; false when dd cannot.
function dropCache (file) {
  const r = spawnSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0'], { stdio: 'ignore' })
  return r.status === 0
}

// The largest gap beyond its 1 ms period that a setInterval sees while work()
// runs (a promise is awaited; a sync call blocks the loop for its duration),
// and how long work() took.
async function loopDelay (work) {
  let last = now()
  let worst = 0
  const timer = setInterval(() => {
    const t = now()
    worst = Math.max(worst, t - last - 1e6)
    last = t
  }, 1)
  await sleep(30)
  worst = 0
  last = now()
  const t0 = now()
  const value = await work()
  const total = now() - t0
  await sleep(10) // the tick held back by a sync scan lands here
  clearInterval(timer)
  return { worst, total, value }
}

// Runs fn(map) `runs` times on a fresh map of a cold file; medians of what it returns ({ ns, ... }).
async function cold (file, runs, fn, log, label) {
  const out = []
  for (let r = 0; r < runs; r++) {
    let m = null
    // Pages a map released a moment ago may still be held for a while: drop again until gone.
    for (let tries = 0; ; tries++) {
      if (!dropCache(file)) throw new Error('dd iflag=nocache failed: cannot drop the page cache')
      m = mmap.open(file)
      const { resident, total } = m.residency()
      if (resident <= total / 100 || tries === 10) {
        if (r === 0) log(`  ${label}: ${(100 * resident / total).toFixed(1)}% of the file resident after the drop`)
        break
      }
      m.close()
      await sleep(50)
    }
    try {
      out.push(await fn(m))
    } finally {
      m.close()
    }
  }
  return out
}

// ctx: { file, size, from (where find starts), runs, needles: { late, early }, pos: { late, early }, log, check, result }
// Returns rows in bench/run.js's format.
async function asyncRows (ctx) {
  const { file, size, from = 0, runs, needles, pos, log, check, result } = ctx
  const threads = DEFAULT_THREADS
  const rows = []
  const label = `${(size / 2 ** 30).toFixed(size % 2 ** 30 ? 2 : 0)} GiB`

  // Parallel speed-up, warm ----------------------------------------------------------
  log(`countAsync / findAsync on ${threads} threads, warm ...`)
  const m = mmap.open(file)
  await m.prefetch()
  const lines = m.count('\n')
  // The sync and the async call take turns, run by run, so that load from
  // elsewhere on a shared machine weighs on both alike.
  const pair = async (syncFn, asyncFn) => {
    syncFn()
    await asyncFn() // warm-up
    const a = []
    const b = []
    let syncValue, asyncValue
    for (let r = 0; r < runs; r++) {
      let t0 = now()
      syncValue = syncFn()
      a.push(now() - t0)
      t0 = now()
      asyncValue = await asyncFn()
      b.push(now() - t0)
    }
    return [{ ns: median(a), value: syncValue }, { ns: median(b), value: asyncValue }]
  }
  const [syncCount, asyncCount] = await pair(() => m.count('\n'), () => m.countAsync('\n'))
  check("countAsync('\\n') vs count", asyncCount.value, syncCount.value)
  const [syncFind, asyncFind] = await pair(() => m.find(needles.late, from), () => m.findAsync(needles.late, from))
  check('findAsync(late needle)', asyncFind.value, pos.late)
  check('find(late needle)', syncFind.value, pos.late)
  const [syncNeedles, asyncNeedles] = await pair(() => m.count(needles.late), () => m.countAsync(needles.late))
  check('countAsync(late needle)', asyncNeedles.value, syncNeedles.value)
  m.close()
  const speedNote = `${threads} threads (default: the smaller of the pool's size and the CPUs)`
  rows.push({ op: `countAsync('\\n'), warm ${label}, ${speedNote}`, native: result(asyncCount.ns, size), baseline: "sync count('\\n')", base: result(syncCount.ns, size), goal: 1.6, chart: "countAsync('\\n') vs count, warm" })
  rows.push({ op: `findAsync 16 B, needle near the end, warm ${label}, ${threads} threads`, native: result(asyncFind.ns, pos.late - from + 16), baseline: 'sync find', base: result(syncFind.ns, pos.late - from + 16), goal: 1.6, chart: 'findAsync vs find, warm' })
  rows.push({ op: `countAsync 16 B needle, warm ${label}, ${threads} threads`, native: result(asyncNeedles.ns, size), baseline: 'sync count', base: result(syncNeedles.ns, size), goal: 1.6, chart: 'countAsync 16 B vs count, warm' })

  // Event-loop delay, cold ------------------------------------------------------------
  log('event-loop delay while scanning a cold file ...')
  const asyncDelay = await cold(file, runs, async (map) => {
    const r = await loopDelay(() => map.countAsync('\n'))
    check("countAsync('\\n') on a cold map", r.value, lines)
    return r
  }, log, 'countAsync, cold')
  const syncDelay = await cold(file, runs, async (map) => {
    const r = await loopDelay(() => map.count('\n'))
    check("count('\\n') on a cold map", r.value, lines)
    return r
  }, log, 'count, cold')
  const worstAsync = median(asyncDelay.map((d) => d.worst))
  const worstSync = median(syncDelay.map((d) => d.worst))
  log(`  cold scan times: countAsync ${(median(asyncDelay.map((d) => d.total)) / 1e6).toFixed(0)} ms, count ${(median(syncDelay.map((d) => d.total)) / 1e6).toFixed(0)} ms`)
  rows.push({ op: `event-loop delay: largest extra gap of a 1 ms setInterval while countAsync('\\n') scans a cold ${label} file`, native: result(worstAsync), baseline: "the same with sync count('\\n')", base: result(worstSync), goalMaxNs: 10e6 })
  // Control: the same timer with nothing to do for as long as the async scan
  // took. On a loaded machine this alone exceeds the goal; it says how much of
  // the row above is the scan's.
  const idle = []
  for (const d of asyncDelay) idle.push((await loopDelay(() => sleep(d.total / 1e6))).worst)
  rows.push({ op: 'control: the same 1 ms setInterval with no work at all, for as long as each countAsync scan took', native: result(median(idle)), baseline: "countAsync('\\n') on the cold file (row above)", base: result(worstAsync) })

  // Cold scans -------------------------------------------------------------------------
  log('cold find with and without prefetch() ...')
  const coldFind = await cold(file, runs, async (map) => {
    const t0 = now()
    const at = map.find(needles.late, from)
    const ns = now() - t0
    check('cold find', at, pos.late)
    return { ns }
  }, log, 'find, cold')
  const prefetchFind = await cold(file, runs, async (map) => {
    const t0 = now()
    await map.prefetch()
    const t1 = now()
    const at = map.find(needles.late, from)
    const t2 = now()
    check('prefetch + find', at, pos.late)
    return { ns: t2 - t0, blocked: t2 - t1 }
  }, log, 'prefetch + find, cold')
  const coldNs = median(coldFind.map((x) => x.ns))
  const bytes = pos.late - from + 16
  rows.push({ op: `await prefetch() then find(), needle near the end, cold ${label} file: total time`, native: result(median(prefetchFind.map((x) => x.ns)), bytes), baseline: 'cold find() alone', base: result(coldNs, bytes), chart: 'prefetch + find vs find, cold: total' })
  rows.push({ op: `await prefetch() then find(), cold ${label} file: time find() blocks the event loop`, native: result(median(prefetchFind.map((x) => x.blocked)), bytes), baseline: 'cold find() alone', base: result(coldNs, bytes), chart: 'prefetch + find vs find, cold: loop blocked' })

  log('time to the first result of findAsync on a cold file ...')
  const firstAsync = await cold(file, runs, async (map) => {
    const t0 = now()
    const at = await map.findAsync(needles.early, from)
    const ns = now() - t0
    check('findAsync(early needle), cold', at, pos.early)
    return { ns }
  }, log, 'findAsync early, cold')
  const firstSync = await cold(file, runs, async (map) => {
    const t0 = now()
    const at = map.find(needles.early, from)
    const ns = now() - t0
    check('find(early needle), cold', at, pos.early)
    return { ns }
  }, log, 'find early, cold')
  rows.push({ op: `findAsync to its result, needle ${((pos.early - from) / 2 ** 20).toFixed(1)} MiB in, cold ${label} file, ${threads} threads`, native: result(median(firstAsync.map((x) => x.ns))), baseline: 'cold sync find()', base: result(median(firstSync.map((x) => x.ns))), chart: 'findAsync first result vs find, cold' })
  return rows
}

module.exports = { asyncRows, dropCache, loopDelay }

if (require.main === module) {
  // Alone: these rows only, on bench/run.js's data file (generated when missing), as a table.
  const os = require('os')
  const run = require('./run')
  const argv = process.argv.slice(2)
  const get = (flag, fallback) => {
    const i = argv.indexOf(flag)
    return i === -1 ? fallback : argv[i + 1]
  }
  const size = Math.round(Number.parseFloat(get('--size', '1')) * 2 ** 30)
  const runs = Number(get('--runs', '5'))
  const log = (text) => process.stderr.write(text + '\n')
  const problems = []
  const check = (what, got, want) => { if (got !== want) problems.push(`${what}: got ${got}, want ${want}`) }
  const file = run.dataFile(get('--dir', os.tmpdir()), size, log)
  const L = run.layout(size)
  asyncRows({
    file,
    size,
    from: L.ws,
    runs,
    log,
    check,
    result: run.result,
    needles: { late: run.NEEDLES.common, early: run.NEEDLES.rfind },
    pos: { late: L.pos.common, early: L.pos.rfind }
  }).then((rows) => {
    const cells = rows.map((r) => {
      const ratio = r.base.ns / r.native.ns
      const goal = r.goalMaxNs !== undefined ? `≤ ${r.goalMaxNs / 1e6} ms` : r.goal !== undefined ? `≥ ${r.goal}×` : '—'
      const met = r.goalMaxNs !== undefined ? r.native.ns <= r.goalMaxNs : r.goal !== undefined ? ratio >= r.goal : null
      return [r.op, r.native.text, r.baseline, r.base.text, run.fmtRatio(ratio), goal, met === null ? '—' : met ? 'yes' : '**no**']
    })
    process.stdout.write(run.mdTable(['operation', 'mmap-native', 'baseline', 'baseline time', 'ratio', 'goal', 'met?'], cells) + '\n')
    process.stdout.write(`\n\`npm run bench:async\` — ${run.fmtBytes(size)}, medians of ${runs} runs; Node ${process.version}, ${os.cpus().length} CPUs\n`)
    if (problems.length) {
      process.stdout.write('Exactness failures:\n' + problems.map((p) => `- ${p}`).join('\n') + '\n')
      process.exitCode = 1
    }
  }, (err) => {
    console.error(err)
    process.exitCode = 1
  })
}
