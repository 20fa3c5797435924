'use strict'
// prebuild.test.js: a user's `npm install` of the packed package. With a prebuild for this platform
// it installs on a machine with no compiler (nothing is built: lib/load.js loads
// prebuilds/<platform>-<arch>/); with no matching prebuild it falls back to a source build.
// Slow (a prebuild, two packs, three installs, one compile): not part of `npm test`; run with
//   npx mocha --no-config --timeout 300000 test/slow/prebuild.test.js   (npm run test:prebuild)
const assert = require('assert')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { spawnSync } = require('child_process')
const { root } = require('../helpers')

const tuple = `${process.platform}-${process.arch}`
const NAME = 'mmap-native'
// What the prebuild for this platform is called (scripts/prebuild.js).
const PREBUILD = process.platform === 'linux' ? `${NAME}.glibc.node` : `${NAME}.node`

function run (cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300000, maxBuffer: 64 * 1024 * 1024, ...options })
  if (r.error) throw r.error
  return r
}

function mustRun (cmd, args, options) {
  const r = run(cmd, args, options)
  assert.strictEqual(r.status, 0, `${cmd} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`)
  return r
}

// npm's own script (npm-cli.js), so npm can be run by an explicit node and linked into a bare PATH.
function npmCli () {
  const candidates = []
  if (process.env.npm_execpath) candidates.push(process.env.npm_execpath)
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (fs.existsSync(path.join(dir, 'npm'))) candidates.push(fs.realpathSync(path.join(dir, 'npm')))
  }
  const cli = candidates.find((file) => /npm-cli\.js$/.test(file))
  assert.ok(cli, 'npm-cli.js not found on PATH')
  return cli
}

// The environment of a user's shell: no npm_* variables from a surrounding `npm run`. The node
// headers come from beside the running node when they are there (no download needed).
function userEnv (PATH) {
  const env = {}
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key)) env[key] = value
  env.PATH = PATH
  const prefix = path.resolve(path.dirname(process.execPath), '..')
  if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) env.npm_config_nodedir = prefix
  return env
}

describe('prebuilds: npm install of the packed package', function () {
  this.timeout(300000)
  let work, npm, bareEnv, fullEnv, withPrebuild, withoutMatch

  // A package folder holding exactly what `npm pack` of the repository takes, with `prebuilds`
  // as given; returns the tarball packed from it and the list of packed files.
  function pack (name, prebuildsFrom) {
    const dir = path.join(work, name)
    const listing = JSON.parse(mustRun(process.execPath, [npm, 'pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, env: fullEnv }).stdout)
    for (const { path: file } of listing[0].files) {
      if (file.startsWith('prebuilds/')) continue
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
      fs.copyFileSync(path.join(root, file), path.join(dir, file))
    }
    fs.cpSync(prebuildsFrom, path.join(dir, 'prebuilds'), { recursive: true })
    const out = path.join(work, `${name}-tarball`)
    fs.mkdirSync(out)
    // --ignore-scripts: the package's prepack would build every prebuild, and these are given.
    const packed = JSON.parse(mustRun(process.execPath, [npm, 'pack', '--json', '--ignore-scripts', '--pack-destination', out], { cwd: dir, env: fullEnv }).stdout)
    return { tarball: path.join(out, packed[0].filename), files: packed[0].files.map((f) => f.path) }
  }

  // A fresh app folder with the tarball installed by `npm install`, under `env`.
  function install (name, tarball, env) {
    const app = path.join(work, name)
    fs.mkdirSync(app)
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }))
    const r = run(process.execPath, [npm, 'install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: app, env })
    return { app, status: r.status, output: r.stdout + r.stderr }
  }

  // Uses the installed package (CommonJS and ESM) and reports which binary it loaded.
  function use (app, env) {
    const probe = `
      const fs = require('fs')
      const mmap = require('${NAME}')
      fs.writeFileSync('data.txt', 'hello prebuilt world\\n')
      const m = mmap.open('data.txt', { access: mmap.ACCESS_WRITE })
      const at = m.find('prebuilt')
      m.write(Buffer.from('HELLO'))
      m.close()
      const pkg = require('path').dirname(require.resolve('${NAME}/package.json'))
      const loaded = require(require('path').join(pkg, 'lib', 'load.js')).resolve(pkg)
      import('${NAME}').then((esm) => {
        console.log(JSON.stringify({ at, text: fs.readFileSync('data.txt', 'utf8'), loaded, sameClass: esm.Mmap === mmap.Mmap }))
      })
    `
    const r = run(process.execPath, ['-e', probe], { cwd: app, env })
    assert.strictEqual(r.stderr, '')
    assert.strictEqual(r.status, 0)
    return JSON.parse(r.stdout)
  }

  before(function () {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'mmap-native-prebuild-test-'))
    npm = npmCli()
    // A PATH with node, npm and the shell npm runs scripts with, and nothing else: no compiler,
    // make or python.
    const bin = path.join(work, 'bin')
    fs.mkdirSync(bin)
    fs.symlinkSync(process.execPath, path.join(bin, 'node'))
    fs.symlinkSync(npm, path.join(bin, 'npm'))
    fs.symlinkSync('/bin/sh', path.join(bin, 'sh'))
    bareEnv = userEnv(bin)
    fullEnv = userEnv(process.env.PATH)

    // This platform's prebuild, made by the project's script.
    const built = path.join(work, 'built')
    mustRun(process.execPath, [path.join(root, 'scripts', 'prebuild.js'), '--out', built], { env: fullEnv })
    const prebuild = path.join(built, 'prebuilds', tuple, PREBUILD)
    assert.ok(fs.existsSync(prebuild), `scripts/prebuild.js made ${prebuild}`)
    withPrebuild = pack('with-prebuild', path.join(built, 'prebuilds'))

    // Prebuilds that match nothing here: another C library, another architecture.
    const other = path.join(work, 'other')
    fs.mkdirSync(path.join(other, tuple), { recursive: true })
    fs.copyFileSync(prebuild, path.join(other, tuple, `${NAME}.musl.node`))
    fs.mkdirSync(path.join(other, 'linux-arm64'))
    fs.copyFileSync(prebuild, path.join(other, 'linux-arm64', PREBUILD))
    withoutMatch = pack('without-match', other)
  })

  after(function () {
    if (work) fs.rmSync(work, { recursive: true, force: true })
  })

  it('scripts/prebuild.js --add puts a binary built elsewhere (the Windows cross build) where lib/load.js looks', function () {
    const out = path.join(work, 'added')
    const foreign = path.join(work, 'foreign.node')
    fs.writeFileSync(foreign, 'not loaded: only resolved')
    mustRun(process.execPath, [path.join(root, 'scripts', 'prebuild.js'), '--out', out, '--no-host', '--add', `win32-x64=${foreign}`], { env: fullEnv })
    // lib/load.js as it resolves on Windows x64.
    const load = `require(${JSON.stringify(path.join(root, 'lib', 'load.js'))})`
    const r = mustRun(process.execPath, ['-e', `console.log(${load}.resolve(${JSON.stringify(out)}, { platform: 'win32', arch: 'x64', prebuildsOnly: true }))`], {
      cwd: root, env: fullEnv
    })
    assert.strictEqual(r.stdout.trim(), path.join(out, 'prebuilds', 'win32-x64', `${NAME}.node`))
  })

  it('npm pack ships the prebuild, and no local build', function () {
    assert.ok(withPrebuild.files.includes(`prebuilds/${tuple}/${PREBUILD}`), withPrebuild.files.join('\n'))
    assert.deepStrictEqual(withPrebuild.files.filter((f) => /^build/.test(f)), [])
    for (const file of ['package.json', 'index.js', 'index.mjs', 'index.d.ts', 'binding.gyp', 'lib/mmap.js', 'src/binding.c']) {
      assert.ok(withPrebuild.files.includes(file), file)
    }
  })

  it('the bare PATH really has no compiler, make or python', function () {
    const r = run('/bin/sh', ['-c', 'for c in cc gcc g++ c++ clang make python3 python; do command -v "$c" && exit 1; done; command -v node && command -v npm && command -v sh'], { env: bareEnv })
    assert.strictEqual(r.status, 0, `found: ${r.stdout}`)
  })

  it('installs and works with no compiler on PATH: the prebuild is loaded, nothing is built', function () {
    const r = install('app-prebuilt', withPrebuild.tarball, bareEnv)
    assert.strictEqual(r.status, 0, r.output)
    const pkg = path.join(r.app, 'node_modules', NAME)
    assert.ok(!fs.existsSync(path.join(pkg, 'build')), 'no build/ folder: nothing was compiled')
    const used = use(r.app, bareEnv)
    assert.strictEqual(used.loaded, path.join(fs.realpathSync(pkg), 'prebuilds', tuple, PREBUILD))
    assert.deepStrictEqual([used.at, used.text, used.sameClass], [6, 'HELLO prebuilt world\n', true])
  })

  it('without a matching prebuild and without a compiler, the install fails (the source build is needed)', function () {
    const r = install('app-no-compiler', withoutMatch.tarball, bareEnv)
    assert.notStrictEqual(r.status, 0, r.output)
    // scripts/install.js found no prebuild that loads and ran node-gyp, which has nothing to build with.
    assert.match(r.output, /command sh -c node scripts\/install\.js/)
    assert.match(r.output, /gyp ERR!/)
  })

  it('without a matching prebuild it builds from source where a compiler is on PATH', function () {
    assert.ok(withoutMatch.files.includes(`prebuilds/${tuple}/${NAME}.musl.node`))
    const r = install('app-source', withoutMatch.tarball, fullEnv)
    assert.strictEqual(r.status, 0, r.output)
    const pkg = fs.realpathSync(path.join(r.app, 'node_modules', NAME))
    const used = use(r.app, fullEnv)
    assert.strictEqual(used.loaded, path.join(pkg, 'build', 'Release', 'mmap_native.node'))
    assert.deepStrictEqual([used.at, used.text, used.sameClass], [6, 'HELLO prebuilt world\n', true])
  })
})
