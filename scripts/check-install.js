'use strict'
// check-install.js: packs the package (npm's prepack builds every prebuild: scripts/prepack.sh),
// checks that the tarball holds them, installs it into a fresh folder as a user would, with no
// compiler, make or Python on PATH, and uses it (the prebuild loads, nothing is compiled); then
// installs an unpacked copy of it as a folder (npm install <checkout>), which builds it there.
//   node scripts/check-install.js
const { execFileSync } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')

const root = path.join(__dirname, '..')
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mmap-native-install-'))
// npm's own script (npm-cli.js), so that it can be linked into a bare PATH.
function npmCli () {
  const candidates = process.env.npm_execpath ? [process.env.npm_execpath] : []
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (fs.existsSync(path.join(dir, 'npm'))) candidates.push(fs.realpathSync(path.join(dir, 'npm')))
  }
  const cli = candidates.find((file) => /npm-cli\.js$/.test(file))
  if (!cli) throw new Error('npm-cli.js not found on PATH')
  return cli
}
const npm = npmCli()
const run = (args, cwd, env = process.env) =>
  execFileSync(process.execPath, [npm, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' })

// The prebuilds every pack ships (scripts/prepack.sh), as lib/load.js names them.
const SHIPPED = [
  'prebuilds/linux-x64/mmap-native.glibc.node',
  'prebuilds/linux-arm64/mmap-native.glibc.node',
  'prebuilds/linux-arm/mmap-native.glibc.node',
  'prebuilds/win32-x64/mmap-native.node'
]

// A user's shell with node, npm and sh on PATH and nothing else: no compiler, make or python.
function bareEnv () {
  const bin = path.join(work, 'bin')
  fs.mkdirSync(bin)
  fs.symlinkSync(process.execPath, path.join(bin, 'node'))
  fs.symlinkSync(npm, path.join(bin, 'npm'))
  fs.symlinkSync('/bin/sh', path.join(bin, 'sh'))
  const env = {}
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key)) env[key] = value
  env.PATH = bin
  const found = execFileSync('/bin/sh', ['-c', 'for c in cc gcc clang make python3 python node-gyp; do command -v "$c"; done; true'], { env, encoding: 'utf8' })
  if (found.trim() !== '') throw new Error(`the bare PATH still finds: ${found}`)
  return env
}

try {
  const packed = JSON.parse(run(['pack', '--json', '--pack-destination', work], root))[0]
  const tarball = packed.filename
  const files = packed.files.map((f) => f.path)
  const missing = SHIPPED.filter((file) => !files.includes(file))
  if (missing.length > 0) throw new Error(`the tarball lacks ${missing.join(', ')}`)
  console.log(`packed ${tarball}: ${files.length} files, with ${SHIPPED.map((f) => f.split('/')[1]).join(', ')} prebuilds`)
  const app = path.join(work, 'app')
  fs.mkdirSync(app)
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }))
  const bare = bareEnv()
  run(['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(work, tarball)], app, bare)
  const installed = path.join(app, 'node_modules', 'mmap-native')
  if (fs.existsSync(path.join(installed, 'build'))) throw new Error('the install compiled the addon (build/ exists)')
  const real = fs.realpathSync(installed)
  const loaded = execFileSync(process.execPath, ['-p', `require('./lib/load').resolve(${JSON.stringify(real)})`], { cwd: real, encoding: 'utf8' }).trim()
  if (loaded !== path.join(real, SHIPPED[0])) throw new Error(`the install loads ${loaded}`)
  console.log(`installed with no compiler, make or python on PATH: loads ${path.relative(installed, loaded)}`)
  // A folder install: npm links the folder and runs its install script there, without
  // installing the folder's dependencies (the package needs none). The unpacked tarball is a
  // checkout with no build in it.
  const folder = path.join(work, 'folder')
  fs.mkdirSync(folder)
  execFileSync('tar', ['-xzf', path.join(work, tarball), '-C', folder])
  // Without its prebuilds, so that this install builds from source (a checkout has none).
  fs.rmSync(path.join(folder, 'package', 'prebuilds'), { recursive: true, force: true })
  const linked = path.join(work, 'linked')
  fs.mkdirSync(linked)
  fs.writeFileSync(path.join(linked, 'package.json'), JSON.stringify({ name: 'linked', version: '1.0.0', private: true }))
  run(['install', '--no-audit', '--no-fund', path.join(folder, 'package')], linked)
  const probe = `
    const fs = require('fs')
    const mmap = require('mmap-native')
    fs.writeFileSync('data.txt', 'hello mapped world\\n')
    const m = mmap.open('data.txt', { access: mmap.ACCESS_WRITE })
    if (m.find('mapped') !== 6) throw new Error('find failed')
    m.write(Buffer.from('HELLO'))
    m.flush()
    m.close()
    if (fs.readFileSync('data.txt', 'utf8') !== 'HELLO mapped world\\n') throw new Error('write failed')
    import('mmap-native').then((esm) => {
      if (esm.Mmap !== mmap.Mmap) throw new Error('ESM and CommonJS differ')
      console.log('installed package works (CommonJS and ESM)')
    })
  `
  process.stdout.write(execFileSync(process.execPath, ['-e', probe], { cwd: app, env: bare, encoding: 'utf8' }))
  process.stdout.write(execFileSync(process.execPath, ['-e', probe.replace('(CommonJS and ESM)', 'from a folder install')], { cwd: linked, encoding: 'utf8' }))
} finally {
  fs.rmSync(work, { recursive: true, force: true })
}
