'use strict'
// load.js: finds and loads the native addon, in node-gyp-build's layout, with no dependency: a
// local build (build/Release) first, then a prebuilt binary in prebuilds/<platform>-<arch>/.
// The package has no runtime dependency, so it also works when npm links it from a folder (npm
// does not install a linked folder's dependencies).
const fs = require('fs')
const path = require('path')

const ADDON = 'mmap_native.node'

// The C library of this Linux (prebuilds are tagged with it): musl where Alpine's marker exists.
function libc (platform) {
  if (platform !== 'linux') return null
  return fs.existsSync('/etc/alpine-release') ? 'musl' : 'glibc'
}

// The prebuilt binaries for a platform, best first: tagged with this C library, then untagged.
function prebuilds (root, platform, arch) {
  const dir = path.join(root, 'prebuilds', `${platform}-${arch}`)
  let names
  try {
    names = fs.readdirSync(dir).filter((name) => name.endsWith('.node'))
  } catch {
    return []
  }
  const want = libc(platform)
  const tagOf = (name) => (/\.(glibc|musl)\.node$/.exec(name) || [])[1] || null
  return names
    .filter((name) => tagOf(name) === null || tagOf(name) === want)
    .sort((a, b) => (tagOf(b) === want) - (tagOf(a) === want) || a.localeCompare(b))
    .map((name) => path.join(dir, name))
}

// Every file that may hold the addon for this platform, in the order they are tried.
function candidates (root, { platform = process.platform, arch = process.arch, prebuildsOnly = false } = {}) {
  const local = prebuildsOnly ? [] : ['Release', 'Debug'].map((dir) => path.join(root, 'build', dir, ADDON))
  return [...local.filter((file) => fs.existsSync(file)), ...prebuilds(root, platform, arch)]
}

// The addon's path for this process (or the given platform), or an error with code ERR_MMAP_NO_BINARY.
function resolve (root, options) {
  const files = candidates(root, options)
  if (files.length > 0) return files[0]
  throw noBinary(root, [])
}

function noBinary (root, failures) {
  const tried = failures.map(([file, err]) => `\n  ${file}: ${err.message}`).join('')
  const err = new Error(`mmap-native has no native addon for ${process.platform}-${process.arch} in ${root}` +
    (tried ? `; these did not load:${tried}` : '; build it with `npm rebuild mmap-native` (needs a C compiler)'))
  err.code = 'ERR_MMAP_NO_BINARY'
  return err
}

// Loads the first candidate that loads here.
function load (root) {
  const failures = []
  for (const file of candidates(root)) {
    try {
      return require(file)
    } catch (err) {
      failures.push([file, err])
    }
  }
  throw noBinary(root, failures)
}

module.exports = { load, resolve, candidates }
