'use strict'
// prebuild.js: the prebuilt binaries `npm pack` ships, in prebuilds/<platform>-<arch>/, which
// lib/load.js loads at install time instead of compiling. The addon uses Node-API only, so one
// binary per platform serves every Node.js version.
//   node scripts/prebuild.js [--out DIR] [--no-host] [--add <platform>-<arch>=<file.node>]...
// Builds this platform's binary with `prebuildify --napi --strip` (tagged with the C library on
// Linux: linux-x64/mmap-native.glibc.node) in a scratch copy of the sources, so build/ is never
// touched. --add copies a binary built elsewhere (win32-x64 from the mingw cross build) into
// place; --no-host skips the local build. DIR defaults to the package root.
const { spawnSync } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')

const root = path.join(__dirname, '..')
const NAME = require('../package.json').name

// Targets other builds may add, and the file name lib/load.js looks for there.
const ADDABLE = {
  'win32-x64': `${NAME}.node`,
  'linux-x64': `${NAME}.glibc.node`,
  'darwin-x64': `${NAME}.node`,
  'darwin-arm64': `${NAME}.node`
}

function parseArgs (argv) {
  const opts = { out: root, host: true, add: [] }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--out') opts.out = path.resolve(argv[++i])
    else if (arg === '--no-host') opts.host = false
    else if (arg === '--add') {
      const m = /^([a-z0-9]+-[a-z0-9]+)=(.+)$/.exec(argv[++i] || '')
      if (!m || !ADDABLE[m[1]]) throw new Error(`--add wants <platform>-<arch>=<file.node> with one of ${Object.keys(ADDABLE).join(', ')}`)
      opts.add.push({ tuple: m[1], file: path.resolve(m[2]) })
    } else {
      throw new Error(`unknown argument ${arg}`)
    }
  }
  return opts
}

// node-gyp: the one npm names when it runs this script, else npm's bundled copy found from the
// npm on PATH, else a node-gyp on PATH.
function findNodeGyp () {
  if (process.env.npm_config_node_gyp && fs.existsSync(process.env.npm_config_node_gyp)) {
    return process.env.npm_config_node_gyp
  }
  const candidates = []
  if (process.env.npm_execpath) candidates.push(process.env.npm_execpath)
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const npm = path.join(dir, 'npm')
    if (fs.existsSync(npm)) candidates.push(fs.realpathSync(npm))
  }
  for (const cli of candidates) {
    // .../npm/bin/npm-cli.js -> .../npm/node_modules/node-gyp/bin/node-gyp.js
    const gyp = path.join(path.dirname(cli), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')
    if (fs.existsSync(gyp)) return gyp
  }
  return 'node-gyp'
}

// The headers of the running node, when they sit beside it (official tarballs, distribution
// packages): node-gyp then needs no download.
function localNodeDir () {
  const prefix = path.join(path.dirname(process.execPath), '..')
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? path.resolve(prefix) : null
}

function buildHost (out) {
  const tuple = `${process.platform}-${process.arch}`
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mmap-native-prebuild-'))
  try {
    fs.copyFileSync(path.join(root, 'binding.gyp'), path.join(scratch, 'binding.gyp'))
    fs.cpSync(path.join(root, 'src'), path.join(scratch, 'src'), { recursive: true })
    fs.writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: NAME, private: true }))
    const env = { ...process.env, PREBUILD_NODE_GYP: findNodeGyp() }
    if (!env.npm_config_nodedir) {
      const nodedir = localNodeDir()
      if (nodedir) env.npm_config_nodedir = nodedir
    }
    // The running node as the target: with Node-API the version only picks the headers.
    const args = [require.resolve('prebuildify/bin.js'), '--napi', '--strip', '--target', process.versions.node,
      '--out', out, '--cwd', scratch]
    if (process.platform === 'linux') args.push('--tag-libc')
    fs.rmSync(path.join(out, 'prebuilds', tuple), { recursive: true, force: true })
    const r = spawnSync(process.execPath, args, { cwd: scratch, env, stdio: 'inherit' })
    if (r.status !== 0) throw new Error(`prebuildify failed (exit ${r.status})`)
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true })
  }
  return tuple
}

// Loads a prebuild for this platform in a fresh process, as lib/load.js will.
function checkLoads (file) {
  const r = spawnSync(process.execPath, ['-e', `
    const b = require(${JSON.stringify(file)})
    if (typeof b.map !== 'function' || typeof b.constants !== 'object') throw new Error('not the mmap-native addon')
  `], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${file} does not load: ${r.stderr}`)
}

function main () {
  const opts = parseArgs(process.argv.slice(2))
  const made = []
  if (opts.host) {
    const tuple = buildHost(opts.out)
    for (const name of fs.readdirSync(path.join(opts.out, 'prebuilds', tuple))) {
      const file = path.join(opts.out, 'prebuilds', tuple, name)
      checkLoads(file)
      made.push(file)
    }
  }
  for (const { tuple, file } of opts.add) {
    const dir = path.join(opts.out, 'prebuilds', tuple)
    fs.rmSync(dir, { recursive: true, force: true })
    fs.mkdirSync(dir, { recursive: true })
    const dest = path.join(dir, ADDABLE[tuple])
    fs.copyFileSync(file, dest)
    made.push(dest)
  }
  if (made.length === 0) throw new Error('nothing built or added')
  for (const file of made) console.log(`prebuild: ${path.relative(process.cwd(), file) || file} (${fs.statSync(file).size} bytes)`)
}

try {
  main()
} catch (err) {
  console.error(`prebuild: ${err.message}`)
  process.exitCode = 1
}
