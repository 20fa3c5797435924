'use strict'
// check-install.js: installs the packed package into a fresh folder, as a user would, and uses it;
// then installs an unpacked copy of it as a folder (npm install <checkout>), which builds it there.
//   node scripts/check-install.js
const { execFileSync } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')

const root = path.join(__dirname, '..')
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mmap-native-install-'))
const npm = process.env.npm_execpath
const run = (args, cwd) => npm
  ? execFileSync(process.execPath, [npm, ...args], { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' })
  : execFileSync('npm', args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' })

try {
  const tarball = run(['pack', '--silent', '--pack-destination', work], root).trim().split('\n').pop()
  const app = path.join(work, 'app')
  fs.mkdirSync(app)
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }))
  run(['install', '--no-audit', '--no-fund', path.join(work, tarball)], app)
  // A folder install: npm links the folder and runs its install script there, without
  // installing the folder's dependencies (the package needs none). The unpacked tarball is a
  // checkout with no build in it.
  const folder = path.join(work, 'folder')
  fs.mkdirSync(folder)
  execFileSync('tar', ['-xzf', path.join(work, tarball), '-C', folder])
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
  process.stdout.write(execFileSync(process.execPath, ['-e', probe], { cwd: app, encoding: 'utf8' }))
  process.stdout.write(execFileSync(process.execPath, ['-e', probe.replace('(CommonJS and ESM)', 'from a folder install')], { cwd: linked, encoding: 'utf8' }))
} finally {
  fs.rmSync(work, { recursive: true, force: true })
}
