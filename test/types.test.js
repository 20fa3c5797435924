'use strict'
// types.test.js: index.d.ts checked by the TypeScript compiler (tsc --noEmit, strict, nodenext)
// over typed usage files for ES module and CommonJS consumers, expected errors, and the runtime.
const assert = require('assert')
const fs = require('fs')
const path = require('path')
const util = require('util')
const { spawnSync } = require('child_process')
const { root, skip } = require('./helpers')
const mmap = require('..')

const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const types = path.join(__dirname, 'types')

// TypeScript 7's compiler is a native program in a per-platform package. It is missing where
// node_modules was installed for another platform (the suite run by Windows node.exe under Wine
// with a Linux install): there tsc cannot run at all.
function tscMissing () {
  if (!fs.existsSync(tsc)) return `typescript is not installed (${tsc})`
  const native = `@typescript/typescript-${process.platform}-${process.arch}`
  try {
    require.resolve(`${native}/package.json`, { paths: [path.join(root, 'node_modules', 'typescript')] })
    return null
  } catch {
    return `TypeScript's native compiler for this platform (${native}) is not installed`
  }
}

// Runs tsc with `args` in the package root; returns { status, out } (tsc reports on stdout).
function runTsc (args) {
  const r = spawnSync(process.execPath, [tsc, '--pretty', 'false', ...args], { cwd: root, encoding: 'utf8', timeout: require('./helpers').slow(120000) })
  if (r.error) throw r.error
  return { status: r.status, out: r.stdout + r.stderr }
}

// The `file(line,col): error TSnnnn` diagnostics of a tsc run, as "file:line TSnnnn".
function diagnostics (out) {
  const found = []
  for (const m of out.matchAll(/^(.+?)\((\d+),\d+\): error (TS\d+):/gm)) {
    found.push(`${path.basename(m[1])}:${m[2]} ${m[3]}`)
  }
  return found
}

describe('types: TypeScript consumers (tsc --noEmit, strict, moduleResolution nodenext)', function () {
  this.timeout(require('./helpers').slow(120000))

  // One tsc run per consumer project, with the resolution trace for the "exports" test.
  const runs = {}
  before(function () {
    const missing = tscMissing()
    if (missing) skip(this, missing)
    for (const project of ['esm', 'cjs']) runs[project] = runTsc(['-p', path.join(types, project), '--traceResolution'])
  })

  it('type-checks the ES module consumer (import mmap, { Mmap, ... }) with every @ts-expect-error used', function () {
    assert.deepStrictEqual(diagnostics(runs.esm.out), [])
    assert.strictEqual(runs.esm.status, 0)
  })

  it('type-checks the CommonJS consumers (import = require in .cts, require() in checked .cjs)', function () {
    assert.deepStrictEqual(diagnostics(runs.cjs.out), [])
    assert.strictEqual(runs.cjs.status, 0)
  })

  it('reports exactly the expected error for each wrong call, and no other', function () {
    const file = path.join(types, 'errors', 'wrong.mts')
    const expected = []
    fs.readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      const m = /\/\/ error (TS\d+)$/.exec(line)
      if (m) expected.push(`wrong.mts:${i + 1} ${m[1]}`)
    })
    assert.ok(expected.length >= 15, 'wrong.mts lists its expected errors')
    const r = runTsc(['-p', path.join(types, 'errors')])
    assert.ok(r.status === 1 || r.status === 2, r.out) // tsc: errors found
    assert.deepStrictEqual(diagnostics(r.out), expected)
  })

  it('resolves mmap-native to index.d.ts through the "exports" map for import and for require', function () {
    const index = path.join(root, 'index.d.ts')
    for (const [project, mode] of [['esm', "ESM mode with conditions 'import', 'types', 'node'"],
      ['cjs', "CJS mode with conditions 'require', 'types', 'node'"]]) {
      const r = runs[project]
      assert.strictEqual(r.status, 0, diagnostics(r.out).join('\n'))
      const blocks = r.out.split(/^(?======== Resolving module )/m).filter((b) => b.startsWith("======== Resolving module 'mmap-native'"))
      assert.ok(blocks.length > 0, `${project}: no resolution of mmap-native traced`)
      for (const block of blocks) {
        assert.ok(block.includes(mode), `${project}: ${block}`)
        assert.ok(block.includes("Matched 'exports' condition 'types'"), `${project}: ${block}`)
        assert.ok(block.includes(`'mmap-native' was successfully resolved to '${index}'`), `${project}: ${block}`)
      }
    }
  })
})

// A generated usage file lists the runtime's names in object literals typed Record<keyof T, true>:
// tsc rejects a name the types lack (excess property) and a declared name the runtime lacks
// (missing property), so the declarations and lib/ cannot drift apart unnoticed.
describe('types: index.d.ts declares exactly what the module exports', function () {
  this.timeout(require('./helpers').slow(120000))
  let dir = null

  before(function () {
    const missing = tscMissing()
    if (missing) skip(this, missing)
  })

  afterEach(function () {
    if (dir !== null) fs.rmSync(dir, { recursive: true, force: true })
    dir = null
  })

  // Type-checks `source` as an ES module inside the package (so 'mmap-native' resolves by name).
  function checkSource (source) {
    dir = fs.mkdtempSync(path.join(types, '.generated-'))
    fs.writeFileSync(path.join(dir, 'surface.mts'), source)
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', types: ['node'], noEmit: true },
      files: ['surface.mts']
    }))
    return runTsc(['-p', dir])
  }

  // Every name the module exports on any platform: index.mjs lists each platform's constants.
  function runtimeNames () {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e',
      `import * as ns from ${JSON.stringify(require('url').pathToFileURL(path.join(root, 'index.mjs')).href)}
       console.log(JSON.stringify(Object.keys(ns)))`], { encoding: 'utf8' })
    assert.strictEqual(r.status, 0, r.stderr)
    const names = new Set(JSON.parse(r.stdout))
    names.delete('default')
    for (const name of Object.keys(mmap)) names.add(name)
    return [...names].sort()
  }

  function literal (names) {
    return '{ ' + names.map((n) => `${n}: true`).join(', ') + ' }'
  }

  function surface (exportNames, constantNames, methodNames) {
    return `import mmap from 'mmap-native'
const exported: Record<keyof typeof mmap, true> = ${literal(exportNames)}
const constants: Record<keyof typeof mmap.constants, true> = ${literal(constantNames)}
const members: Record<Exclude<keyof mmap.Mmap, typeof Symbol.dispose>, true> = ${literal(methodNames)}
void [exported, constants, members]
`
  }

  function mmapMembers () {
    const names = Object.getOwnPropertyNames(mmap.Mmap.prototype).filter((n) => n !== 'constructor')
    const symbols = Object.getOwnPropertySymbols(mmap.Mmap.prototype)
    // The only symbols: Symbol.dispose (declared; checked in usage.mts) and util.inspect.custom (not API).
    assert.deepStrictEqual(new Set(symbols), new Set([Symbol.dispose, util.inspect.custom]))
    return names.sort()
  }

  it('every export, constant and Mmap member of the runtime is declared, and nothing more', function () {
    const names = runtimeNames()
    const constantNames = names.filter((n) => !['Mmap', 'open', 'SharedMemory', 'constants'].includes(n))
    // The frozen constants object holds exactly the platform's named constants.
    for (const name of Object.keys(mmap.constants)) assert.ok(constantNames.includes(name), name)
    const r = checkSource(surface(names, constantNames, mmapMembers()))
    assert.strictEqual(r.out, '')
    assert.strictEqual(r.status, 0)
  })

  it('the check catches an undeclared export and a declared member the runtime lacks', function () {
    const names = runtimeNames()
    const constantNames = names.filter((n) => !['Mmap', 'open', 'SharedMemory', 'constants'].includes(n))
    const members = mmapMembers().filter((n) => n !== 'readline')
    const r = checkSource(surface([...names, 'openSync'], constantNames, members))
    assert.ok(r.status === 1 || r.status === 2, r.out) // tsc: errors found
    assert.match(r.out, /'openSync' does not exist in type 'Record<.*>'/)
    assert.match(r.out, /Property 'readline' is missing/)
  })
})

// What tsc cannot see: the values lib/ returns have the types index.d.ts declares for them.
describe('types: declared return types match the runtime values', function () {
  it('Buffer, number, boolean, ArrayBuffer, Promise, match and iterator results are what the types say', async function () {
    const { tempFile } = require('./helpers')
    const m = mmap.open(tempFile('hello\nworld\n'), { access: mmap.ACCESS_WRITE })
    try {
      for (const [name, value] of Object.entries({ slice: m.slice(0, 2), read: m.read(2), readline: m.readline(), subarray: m.subarray(0, 2) })) {
        assert.ok(Buffer.isBuffer(value), `${name}() returns a Buffer`)
      }
      const numbers = [
        ['size', m.size()], ['length', m.length], ['find', m.find('o')], ['rfind', m.rfind('o')], ['count', m.count('o')],
        ['get', m.get(0)], ['tell', m.tell()], ['seek', m.seek(0)], ['write', m.write(Buffer.from('x'))],
        ['readByte', m.readByte()], ['PAGESIZE', mmap.PAGESIZE]
      ]
      for (const [name, value] of numbers) assert.strictEqual(typeof value, 'number', name)
      const voids = [
        ['set', m.set(0, 1)], ['writeByte', m.writeByte(2)], ['move', m.move(0, 1, 1)], ['flush', m.flush()],
        ['resize', m.resize(20)], ['setSlice', m.setSlice(0, 1, Buffer.from('y'))]
      ]
      // Windows has no madvise(): the method throws ENOTSUP there (test/windows.test.js).
      if (process.platform !== 'win32') voids.push(['madvise', m.madvise(0)])
      for (const [name, value] of voids) assert.strictEqual(value, undefined, name)
      assert.strictEqual(m.seekable(), true)
      assert.strictEqual(m.closed, false)
      assert.ok(m.buffer instanceof ArrayBuffer)
      const flushed = m.flushAsync()
      assert.ok(flushed instanceof Promise)
      assert.strictEqual(await flushed, undefined)
      for (const name of ['findAsync', 'rfindAsync', 'countAsync']) {
        const promise = m[name]('o')
        assert.ok(promise instanceof Promise, name)
        assert.strictEqual(typeof await promise, 'number', name)
      }
      const fetched = m.prefetch()
      assert.ok(fetched instanceof Promise)
      assert.strictEqual(await fetched, undefined)
      const residency = m.residency()
      assert.deepStrictEqual(Object.keys(residency), ['resident', 'total'])
      assert.ok(Number.isInteger(residency.resident) && Number.isInteger(residency.total))
      assert.strictEqual(m.lock(0, 1), undefined)
      assert.strictEqual(m.unlock(0, 1), undefined)
      const match = m.search(/w(?<rest>o)/d)
      assert.ok(Array.isArray(match))
      assert.strictEqual(match.input, undefined)
      assert.strictEqual(typeof match.index, 'number')
      assert.deepStrictEqual(match.indices.groups.rest, [match.index + 1, match.index + 2])
      assert.strictEqual(m.search(/absent/), null)
      const all = m.matchAll(/o/g)
      assert.strictEqual(typeof all.next, 'function')
      assert.strictEqual(all[Symbol.iterator](), all)
      assert.strictEqual(typeof m.matchAll(/o/g, 5, 1).next, 'function')
      assert.strictEqual(m[Symbol.dispose](), undefined)
      assert.strictEqual(m.closed, true)
    } finally {
      m.close()
    }
  })

  it('every error code the module can throw is in MmapErrorCode', function () {
    // The codes in the sources (lib/ and src/), against the union in index.d.ts.
    const sources = ['lib', 'src'].flatMap((dir) => fs.readdirSync(path.join(root, dir))
      .filter((f) => /\.(js|c)$/.test(f)).map((f) => fs.readFileSync(path.join(root, dir, f), 'utf8')))
    const thrown = new Set()
    for (const text of sources) for (const m of text.matchAll(/['"](ERR_[A-Z_]+)['"]/g)) thrown.add(m[1])
    thrown.delete('ERR_MMAP_INTERNAL') // a bug in the addon, never a contract
    thrown.delete('ERR_MMAP_NO_FD') // lib/ checks trackfd first and throws EBADF instead
    const union = /type MmapErrorCode =([^]*?)\n\n/.exec(fs.readFileSync(path.join(root, 'index.d.ts'), 'utf8'))[1]
    const declared = new Set([...union.matchAll(/'(ERR_[A-Z_]+)'/g)].map((m) => m[1]))
    assert.deepStrictEqual([...thrown].sort(), [...declared].sort())
  })
})
