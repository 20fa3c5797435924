'use strict'
// install.js: npm's install step. Uses a prebuilt binary (or an existing build) when one loads on
// this machine; otherwise builds the addon from source with node-gyp.
const { spawnSync } = require('child_process')
const path = require('path')
const { load } = require('../lib/load')

const root = path.join(__dirname, '..')

try {
  load(root)
  process.exit(0)
} catch {
  // Nothing that loads here: build from source.
}

// npm names its bundled node-gyp in npm_config_node_gyp, and puts it on PATH for scripts.
const gyp = process.env.npm_config_node_gyp
const [cmd, args] = gyp ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']]
const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: !gyp && process.platform === 'win32' })
if (r.error) {
  console.error(`mmap-native: could not run node-gyp: ${r.error.message}`)
  process.exit(1)
}
process.exit(r.status === null ? 1 : r.status)
