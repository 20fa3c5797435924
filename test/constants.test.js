'use strict'
// constants.test.js: ACCESS_*, SEEK_*, PAGESIZE and the Linux MAP_*, PROT_*, MADV_* constants; CommonJS and ESM entries.
const assert = require('assert')
const path = require('path')
const { execFileSync } = require('child_process')
const { pathToFileURL } = require('url')
const mmap = require('..')
const { root, runChild, skip } = require('./helpers')

const isLinux = process.platform === 'linux'

// Python 3.13's mmap constants on Linux x86-64 (python-mmap-spec.md §7).
const LINUX_X64 = {
  PROT_READ: 1,
  PROT_WRITE: 2,
  PROT_EXEC: 4,
  MAP_SHARED: 1,
  MAP_PRIVATE: 2,
  MAP_ANON: 32,
  MAP_ANONYMOUS: 32,
  MAP_DENYWRITE: 2048,
  MAP_EXECUTABLE: 4096,
  MAP_POPULATE: 32768,
  MAP_STACK: 131072,
  MAP_NORESERVE: 16384,
  MAP_32BIT: 64,
  MADV_NORMAL: 0,
  MADV_RANDOM: 1,
  MADV_SEQUENTIAL: 2,
  MADV_WILLNEED: 3,
  MADV_DONTNEED: 4,
  MADV_FREE: 8,
  MADV_REMOVE: 9,
  MADV_DONTFORK: 10,
  MADV_DOFORK: 11,
  MADV_MERGEABLE: 12,
  MADV_UNMERGEABLE: 13,
  MADV_HUGEPAGE: 14,
  MADV_NOHUGEPAGE: 15,
  MADV_DONTDUMP: 16,
  MADV_DODUMP: 17,
  MADV_HWPOISON: 100
}

// Constants Python defines only on other platforms (FreeBSD, OpenBSD, macOS).
const OTHER_PLATFORMS = [
  'MAP_ALIGNED_SUPER', 'MAP_CONCEAL', 'MAP_NOEXTEND', 'MAP_HASSEMAPHORE', 'MAP_NOCACHE', 'MAP_JIT',
  'MAP_RESILIENT_CODESIGN', 'MAP_RESILIENT_MEDIA', 'MAP_TRANSLATED_ALLOW_EXECUTE', 'MAP_UNIX03', 'MAP_TPRO',
  'MADV_NOSYNC', 'MADV_AUTOSYNC', 'MADV_NOCORE', 'MADV_CORE', 'MADV_PROTECT', 'MADV_FREE_REUSABLE', 'MADV_FREE_REUSE'
]

const platformNames = (obj) => Object.keys(obj).filter((k) => /^(MAP|PROT|MADV)_/.test(k)).sort()

function linuxOnly (ctx) {
  if (!isLinux) skip(ctx, 'these are the Linux values')
}

describe('constants: portable', function () {
  it('ACCESS_DEFAULT, ACCESS_READ, ACCESS_WRITE, ACCESS_COPY are 0..3', function () {
    assert.strictEqual(mmap.ACCESS_DEFAULT, 0)
    assert.strictEqual(mmap.ACCESS_READ, 1)
    assert.strictEqual(mmap.ACCESS_WRITE, 2)
    assert.strictEqual(mmap.ACCESS_COPY, 3)
  })

  it('SEEK_SET, SEEK_CUR, SEEK_END are 0, 1, 2', function () {
    assert.strictEqual(mmap.SEEK_SET, 0)
    assert.strictEqual(mmap.SEEK_CUR, 1)
    assert.strictEqual(mmap.SEEK_END, 2)
  })

  it('PAGESIZE is a power of two number', function () {
    assert.strictEqual(typeof mmap.PAGESIZE, 'number')
    assert.ok(mmap.PAGESIZE >= 4096)
    assert.strictEqual(mmap.PAGESIZE & (mmap.PAGESIZE - 1), 0)
  })

  it('PAGESIZE and ALLOCATIONGRANULARITY are the system page size on Linux (getconf PAGESIZE)', function () {
    linuxOnly(this)
    const page = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim())
    assert.strictEqual(mmap.PAGESIZE, page)
    assert.strictEqual(mmap.ALLOCATIONGRANULARITY, page)
    assert.strictEqual(mmap.ALLOCATIONGRANULARITY, mmap.PAGESIZE)
  })

  it('every constant is a plain integer number', function () {
    for (const [name, value] of Object.entries(mmap.constants)) {
      assert.strictEqual(typeof value, 'number', name)
      assert.ok(Number.isSafeInteger(value), name)
    }
  })
})

describe('constants: Linux', function () {
  beforeEach(function () {
    linuxOnly(this)
    if (process.arch !== 'x64') skip(this, 'these are the x86-64 values')
  })

  for (const [name, value] of Object.entries(LINUX_X64)) {
    it(`${name} is ${value}`, function () {
      assert.strictEqual(mmap[name], value)
      assert.strictEqual(mmap.constants[name], value)
    })
  }

  it('has exactly Python 3.13\'s MAP_*, PROT_* and MADV_* names (MADV_SOFT_OFFLINE where the headers define it)', function () {
    const names = platformNames(mmap).filter((n) => n !== 'MADV_SOFT_OFFLINE')
    assert.deepStrictEqual(names, Object.keys(LINUX_X64).sort())
    if ('MADV_SOFT_OFFLINE' in mmap) assert.strictEqual(mmap.MADV_SOFT_OFFLINE, 101)
  })

  it('has the 16 Linux MADV_* constants', function () {
    const madv = platformNames(mmap).filter((n) => n.startsWith('MADV_') && n !== 'MADV_SOFT_OFFLINE')
    assert.strictEqual(madv.length, 16)
  })

  for (const name of OTHER_PLATFORMS) {
    it(`${name} (another platform's) is absent`, function () {
      assert.strictEqual(name in mmap, false)
      assert.strictEqual(name in mmap.constants, false)
      assert.strictEqual(mmap[name], undefined)
    })
  }
})

// Registered only on Windows: other platforms show no skipped tests for it.
;(process.platform === 'win32' ? describe : () => {})('constants: Windows', function () {
  it('has no MAP_*, PROT_* or MADV_* constant (as Python on Windows)', function () {
    assert.deepStrictEqual(platformNames(mmap), [])
    assert.deepStrictEqual(platformNames(mmap.constants), [])
  })

  it('PAGESIZE is 4096 and ALLOCATIONGRANULARITY 65536 (x64 Windows)', function () {
    assert.strictEqual(mmap.PAGESIZE, 4096)
    assert.strictEqual(mmap.ALLOCATIONGRANULARITY, 65536)
  })
})

describe('constants: CommonJS exports', function () {
  it('exports Mmap, open and constants', function () {
    assert.strictEqual(typeof mmap.Mmap, 'function')
    assert.strictEqual(typeof mmap.open, 'function')
    assert.strictEqual(typeof mmap.constants, 'object')
  })

  it('the top-level constants and the constants object agree', function () {
    const keys = Object.keys(mmap).filter((k) => !['Mmap', 'open', 'SharedMemory', 'constants'].includes(k)).sort()
    assert.deepStrictEqual(keys, Object.keys(mmap.constants).sort())
    for (const key of keys) assert.strictEqual(mmap[key], mmap.constants[key], key)
  })

  it('the constants object holds every ACCESS_*, SEEK_*, PAGESIZE and ALLOCATIONGRANULARITY', function () {
    for (const name of ['ACCESS_DEFAULT', 'ACCESS_READ', 'ACCESS_WRITE', 'ACCESS_COPY', 'SEEK_SET', 'SEEK_CUR',
      'SEEK_END', 'PAGESIZE', 'ALLOCATIONGRANULARITY']) {
      assert.ok(name in mmap.constants, name)
    }
  })

  it('require(\'mmap-native\') (the "exports" map\'s require condition) loads index.js', function () {
    assert.strictEqual(require('mmap-native'), mmap)
    assert.strictEqual(require(path.join(root, 'index.js')), mmap)
  })
})

describe('constants: ESM entry', function () {
  it('index.mjs gives the same Mmap class, open and constants as require()', function () {
    const entry = pathToFileURL(path.join(root, 'index.mjs')).href
    const r = runChild(`
      import mmap, * as esm from ${JSON.stringify(entry)}
      import { createRequire } from 'node:module'
      const cjs = createRequire(MMAP + '/')(MMAP)
      const names = Object.keys(cjs).filter((k) => k !== 'Mmap' && k !== 'open' && k !== 'constants')
      console.log(JSON.stringify({
        defaultIsCjs: mmap === cjs,
        sameMmap: esm.Mmap === cjs.Mmap,
        sameOpen: esm.open === cjs.open,
        sameConstants: esm.constants === cjs.constants,
        namedAgree: names.every((k) => esm[k] === cjs[k]),
        namedCount: names.filter((k) => k in esm).length === names.length,
        absent: esm.MAP_JIT === undefined && !('MAP_JIT' in mmap),
        works: new esm.Mmap(-1, 16) instanceof cjs.Mmap
      }))
    `, { args: ['--input-type=module'] })
    assert.strictEqual(r.stderr, '')
    assert.strictEqual(r.status, 0)
    assert.deepStrictEqual(JSON.parse(r.stdout), {
      defaultIsCjs: true,
      sameMmap: true,
      sameOpen: true,
      sameConstants: true,
      namedAgree: true,
      namedCount: true,
      absent: true,
      works: true
    })
  })

  it('import \'mmap-native\' resolves to index.mjs through the "exports" map', function () {
    const entry = pathToFileURL(path.join(root, 'index.mjs')).href
    const self = pathToFileURL(path.join(__dirname, 'fixtures', 'map-esm-self.mjs')).href
    const r = runChild(`
      import * as byName from ${JSON.stringify(self)}
      import mmap, { Mmap, PAGESIZE } from ${JSON.stringify(entry)}
      console.log(JSON.stringify([byName.mmap === mmap, byName.Mmap === Mmap, byName.PAGESIZE === PAGESIZE]))
    `, { args: ['--input-type=module'] })
    assert.strictEqual(r.stderr, '')
    assert.strictEqual(r.status, 0)
    assert.strictEqual(r.stdout, '[true,true,true]\n')
  })
})
