'use strict'
// build-variant.js: builds the addon in another configuration beside the main build, and can run
// tests against it. `no-mremap`: posix.c without mremap(), the path macOS and the BSDs take.
//   node scripts/build-variant.js no-mremap [--test [mocha files...]]
const { execFileSync } = require('child_process')
const fs = require('fs')
const path = require('path')

const variants = {
  'no-mremap': { gypArgs: ['--mm_no_mremap=true'], tests: ['test/resize.test.js'] }
}

const root = path.join(__dirname, '..')
const [name, ...rest] = process.argv.slice(2)
const variant = variants[name]
if (!variant) {
  console.error(`usage: build-variant.js <${Object.keys(variants).join('|')}> [--test [files...]]`)
  process.exit(2)
}

// A copy of the sources in its own folder, so the main build is untouched.
const dir = path.join(root, `build-${name}`)
fs.rmSync(dir, { recursive: true, force: true })
fs.mkdirSync(dir, { recursive: true })
fs.copyFileSync(path.join(root, 'binding.gyp'), path.join(dir, 'binding.gyp'))
fs.cpSync(path.join(root, 'src'), path.join(dir, 'src'), { recursive: true })

// npm puts its bundled node-gyp on PATH for scripts and names it in npm_config_node_gyp.
const gyp = process.env.npm_config_node_gyp
const [cmd, cmdArgs] = gyp ? [process.execPath, [gyp]] : ['node-gyp', []]
execFileSync(cmd, [...cmdArgs, 'rebuild', ...variant.gypArgs], { cwd: dir, stdio: 'inherit' })
const addon = path.join(dir, 'build', 'Release', 'mmap_native.node')
console.log(`built ${addon}`)

if (rest[0] === '--test') {
  const files = rest.length > 1 ? rest.slice(1) : variant.tests
  const mocha = require.resolve('mocha/bin/mocha.js')
  // --no-config: mocha would add these files to .mocharc.json's spec instead of running only them.
  execFileSync(process.execPath, [mocha, '--no-config', '--node-option', 'expose-gc', '--timeout', '60000', ...files], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, MMAP_NATIVE_ADDON: addon }
  })
}
