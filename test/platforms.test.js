'use strict'
// platforms.test.js: what the README promises about platforms and runtimes matches the files that
// run them: every exclusion of the Bun, Deno and qemu stages is listed there with its reason, and
// every prebuild the pack ships is named.
const assert = require('assert')
const fs = require('fs')
const path = require('path')
const { root } = require('./helpers')
const { EXCLUSIONS } = require('./runtimes/exclusions')

const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8')
const cell = (text) => text.replace(/\|/g, '\\|')

describe('platforms and runtimes in the README', function () {
  it('lists every exclusion of the Bun, Deno and qemu stages with its reason', function () {
    const missing = []
    for (const [where, table] of Object.entries(EXCLUSIONS)) {
      for (const [title, reason] of Object.entries(table)) {
        if (!readme.includes(`| ${cell(title)} | ${cell(reason)} |`)) missing.push(`${where}: ${title}`)
      }
    }
    assert.deepStrictEqual(missing, [])
    assert.ok(Object.keys(EXCLUSIONS.bun).length > 0 && Object.keys(EXCLUSIONS.deno).length > 0)
  })

  it('names every prebuild the install check requires in the tarball', function () {
    const check = fs.readFileSync(path.join(root, 'scripts', 'check-install.js'), 'utf8')
    const shipped = [...check.matchAll(/'prebuilds\/([a-z0-9]+-[a-z0-9]+)\//g)].map((m) => m[1])
    assert.deepStrictEqual(shipped, ['linux-x64', 'linux-arm64', 'linux-arm', 'win32-x64'])
    for (const tuple of ['linux-x64', 'linux-arm64', 'win32-x64']) assert.ok(readme.includes(tuple), tuple)
    assert.ok(readme.includes('linux-armv7l'))
  })
})
