'use strict'
// differential.test.js: CPython's own mmap as the oracle: random seeded scenarios run in both,
// compared call by call (test/fixtures/differential.js; more with npm run test:differential).
const assert = require('assert')
const { skip, tempDir } = require('./helpers')
const differential = require('./fixtures/differential')

// A fixed seed, so that a failure here is the same failure everywhere; MMAP_DIFF_SEED and
// MMAP_DIFF_COUNT choose others.
const SEED = Number(process.env.MMAP_DIFF_SEED ?? 900001)
const COUNT = Number(process.env.MMAP_DIFF_COUNT ?? 200)

describe('differential: CPython mmap as the oracle', function () {
  let python = null
  let result = null

  before(function () {
    python = differential.findPython()
  })

  beforeEach(function () {
    if (python === null) skip(this, 'no CPython 3.13 or later on this machine (set MMAP_PYTHON)')
  })

  it(`agrees with CPython on ${COUNT} random scenarios: values, errors, position, length, map and file bytes`, function () {
    result = differential.run(COUNT, SEED, { python })
    assert.strictEqual(result.scenarios, COUNT)
    assert.deepStrictEqual(result.divergences.slice(0, 5), [])
  })

  it('reaches every method, every error the module throws for bad input, and every map kind', function () {
    if (result === null) result = differential.run(COUNT, SEED, { python })
    const methods = new Set()
    const codes = new Set()
    for (const key of result.outcomes.keys()) {
      const [method, outcome] = key.split(' ')
      methods.add(method)
      codes.add(outcome)
    }
    assert.deepStrictEqual([...methods].sort(), ['close', 'closed', 'count', 'find', 'flush', 'get', 'length',
      ...(process.platform === 'win32' ? [] : ['madvise']), 'move', 'read', 'readByte', 'readline', 'resize', 'rfind',
      'seek', 'set', 'setSlice', 'size', 'slice', 'tell', 'write', 'writeByte'])
    for (const code of ['ok', 'ERR_OUT_OF_RANGE', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_MMAP_CLOSED',
      'ERR_MMAP_READONLY']) {
      assert.ok(codes.has(code), `no call ended in ${code}`)
    }
    const kinds = new Set()
    for (let i = 0; i < COUNT; i++) {
      const sc = differential.generate(SEED + i)
      kinds.add(`${sc.kind} ${JSON.stringify(sc.options.access ?? sc.options.prot ?? sc.options.flags ?? 'default')}`)
    }
    for (const kind of ['file 0', 'file 1', 'file 2', 'file 3', 'anon 0', 'anon 1', 'anon 2', 'anon 3']) {
      assert.ok(kinds.has(kind), `no scenario maps ${kind}`)
    }
  })

  it('reports a divergence with the call, both outcomes and the command that replays the scenario alone', function () {
    const seed = SEED + 3
    const sc = differential.generate(seed)
    const native = differential.runNative(sc, tempDir())
    assert.strictEqual(differential.compare(sc, native, JSON.parse(JSON.stringify(native))), null)
    const tampered = JSON.parse(JSON.stringify(native))
    tampered.steps[5] = { ...tampered.steps[5], err: 'ERR_MMAP_CLOSED' }
    delete tampered.steps[5].ok
    const text = differential.compare(sc, native, tampered)
    assert.match(text, new RegExp(`^scenario ${seed} .*, call 5: ${sc.calls[5].m}\\(`))
    assert.match(text, /\n {2}CPython: +\{"err":"ERR_MMAP_CLOSED"/)
    assert.ok(text.endsWith(`replay: npm run test:differential -- 1 ${seed} --trace`), text)
    // That command runs this scenario alone, the same calls, and CPython agrees.
    const alone = differential.run(1, seed, { python })
    assert.strictEqual(alone.calls, sc.calls.length)
    assert.deepStrictEqual(alone.divergences, [])
  })
})
