'use strict'
// esm.test.js: the ES module entry (index.mjs through the "exports" map): default export, every
// CommonJS export as a named export, one Mmap class for import and require.
const assert = require('assert')
const fs = require('fs')
const path = require('path')
const { pathToFileURL } = require('url')
const { root, runChild, tempFile } = require('./helpers')
const mmap = require('..')

const fixture = path.join(__dirname, 'fixtures', 'esm-consumer.mjs')

// Every constant name the C tables can produce on some platform ({"NAME", VALUE} rows in src/).
function platformConstantNames () {
  const names = new Set()
  for (const file of fs.readdirSync(path.join(root, 'src')).filter((f) => f.endsWith('.c'))) {
    const text = fs.readFileSync(path.join(root, 'src', file), 'utf8')
    for (const m of text.matchAll(/\{\s*"((?:MAP|PROT|MADV|MS)_[A-Z0-9_]+)"\s*,/g)) names.add(m[1])
  }
  return names
}

describe('esm: import from \'mmap-native\'', function () {
  let esm

  before(async function () {
    // The test file lies inside the package, so the package imports itself by name.
    esm = await import('mmap-native')
  })

  it('the default export is the object require() returns', function () {
    assert.strictEqual(esm.default, mmap)
    assert.strictEqual(esm.default, require('mmap-native'))
  })

  it('every CommonJS export is a named export with the identical value', function () {
    const missing = Object.keys(mmap).filter((name) => !(name in esm))
    assert.deepStrictEqual(missing, [])
    for (const name of Object.keys(mmap)) assert.strictEqual(esm[name], mmap[name], name)
    assert.strictEqual(esm.constants, mmap.constants)
  })

  it('import and require give the same Mmap class and open()', function () {
    assert.strictEqual(esm.Mmap, mmap.Mmap)
    assert.strictEqual(esm.open, mmap.open)
    const m = new esm.Mmap(-1, 16)
    try {
      assert.ok(m instanceof mmap.Mmap)
      m.write(Buffer.from('abc'))
      assert.strictEqual(m.find('b', 0), 1)
    } finally {
      m.close()
    }
  })

  it('names every platform constant, undefined where this platform lacks it (as absent in CommonJS)', function () {
    const names = platformConstantNames()
    assert.ok(names.size >= 40, `constant tables found in src/ (${names.size})`)
    for (const name of names) {
      assert.ok(name in esm, `${name} is not a named export of index.mjs`)
      if (name in mmap) {
        assert.strictEqual(esm[name], mmap[name], name)
        assert.strictEqual(typeof esm[name], 'number', name)
      } else {
        assert.strictEqual(esm[name], undefined, name)
        assert.ok(!(name in mmap.constants), name)
      }
    }
  })

  it('has no named export that is neither a CommonJS export nor a platform constant', function () {
    const names = platformConstantNames()
    const extra = Object.keys(esm).filter((name) => name !== 'default' && !(name in mmap) && !names.has(name))
    assert.deepStrictEqual(extra, [])
  })

  it('the named exports are read-only bindings', function () {
    assert.throws(() => { esm.Mmap = null }, TypeError)
    assert.strictEqual(esm.Mmap, mmap.Mmap)
  })
})

describe('esm: the "exports" map', function () {
  it('import { Mmap, open, ACCESS_READ } by name loads index.mjs and require() loads index.js, one module', function () {
    const r = runChild(`import(${JSON.stringify(pathToFileURL(fixture).href)})`)
    assert.strictEqual(r.stderr, '')
    assert.strictEqual(r.status, 0)
    assert.deepStrictEqual(JSON.parse(r.stdout), {
      resolvedImport: path.join(root, 'index.mjs'),
      resolvedRequire: path.join(root, 'index.js'),
      resolvedPackageJson: path.join(root, 'package.json'),
      defaultIsCjs: true,
      namespaceDefault: true,
      sameMmap: true,
      sameOpen: true,
      instanceAcross: true,
      accessRead: 1,
      found: fs.readFileSync(fixture, 'latin1').indexOf('esm-consumer')
    })
  })

  it('a module loaded by require() first is the one import gives', function () {
    const file = tempFile('shared state\n')
    const r = runChild(`
      const cjs = require(MMAP)
      const m = cjs.open(${JSON.stringify(file)})
      import(require('url').pathToFileURL(require('path').join(MMAP, 'index.mjs')).href).then((esm) => {
        console.log(JSON.stringify([esm.default === cjs, esm.Mmap === cjs.Mmap, m instanceof esm.Mmap, m.read().toString()]))
        m.close()
      })
    `)
    assert.strictEqual(r.stderr, '')
    assert.strictEqual(r.status, 0)
    assert.deepStrictEqual(JSON.parse(r.stdout), [true, true, true, 'shared state\n'])
  })

  it('keeps lib/ private: deep imports fail with ERR_PACKAGE_PATH_NOT_EXPORTED for import and require', async function () {
    await assert.rejects(import('mmap-native/lib/mmap.js'), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' })
    assert.throws(() => require('mmap-native/lib/mmap.js'), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' })
  })

  it('exports package.json (for tools that read the version) to require and import', function () {
    assert.strictEqual(require('mmap-native/package.json').name, 'mmap-native')
    const r = runChild(`import(${JSON.stringify(pathToFileURL(fixture).href)})`)
    assert.strictEqual(r.status, 0, r.stderr)
    assert.strictEqual(JSON.parse(r.stdout).resolvedPackageJson, path.join(root, 'package.json'))
  })
})
