'use strict'
// helpers.js: shared test utilities: temp files, sparse files, child-process probes.
const fs = require('fs')
const os = require('os')
const path = require('path')
const { spawnSync } = require('child_process')

const root = path.join(__dirname, '..')
let dir = null

// A temp folder for this test process, removed when it exits.
function tempDir () {
  if (dir === null) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmap-native-test-'))
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }))
  }
  return dir
}

let counter = 0
// A new temp file holding `contents` (a Buffer/string) or `contents` zero bytes (a number).
function tempFile (contents = 0) {
  const file = path.join(tempDir(), `f${process.pid}-${counter++}`)
  if (typeof contents === 'number') {
    fs.writeFileSync(file, '')
    if (contents > 0) fs.truncateSync(file, contents)
  } else {
    fs.writeFileSync(file, contents)
  }
  return file
}

// A sparse file of `size` bytes, or null when the filesystem will not make one
// cheaply (the caller skips with that reason).
function sparseFile (size) {
  const file = tempFile(0)
  try {
    fs.truncateSync(file, size)
  } catch (err) {
    fs.rmSync(file, { force: true })
    return null
  }
  const st = fs.statSync(file)
  if (st.blocks * 512 > 64 * 1024 * 1024) {
    fs.rmSync(file, { force: true })
    return null
  }
  return file
}

function removeFile (file) {
  fs.rmSync(file, { force: true })
}

// Runs `code` in a child node process with the package loadable as
// require(MMAP) and returns { status, signal, stdout, stderr }.
function runChild (code, { args = [], env = {}, timeout = 120000 } = {}) {
  const prelude = `const MMAP = ${JSON.stringify(root)};\n`
  const r = spawnSync(process.execPath, ['--expose-gc', ...args, '-e', prelude + code], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout
  })
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr }
}

// The error fn throws (fails when it does not throw).
function captureThrow (fn) {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected the call to throw')
}

module.exports = { root, tempDir, tempFile, sparseFile, removeFile, runChild, captureThrow }
