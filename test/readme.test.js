'use strict'
// readme.test.js: every JavaScript example of README.md runs as written, and what the README says
// about behaviour (views after close(), search bounds, the differences from Python) holds.
//
// How README examples are run (keep these conventions simple; the README's Development section
// states them in one sentence):
//   - Every fenced block whose info string is `js`, `javascript`, `mjs`, `cjs` (a first word of
//     the info string; `jsx`, `ts` and the rest are not run) is one example.
//   - A block runs as an ES module when it is `mjs`, or when a line starts with `import` or
//     `export` (a statement, not a comment); otherwise as CommonJS.
//   - Each block runs alone, in a child `node` process (one block does not see another), with a
//     fresh temp folder as its working directory, so relative paths (`data.bin`) land there. That
//     folder has node_modules/mmap-native linked to this checkout, so `require('mmap-native')` and
//     `import ... from 'mmap-native'` load the package under test.
//   - The block passes when the process exits with status 0 within 60 s. It fails if it throws
//     (or a promise rejects unhandled), exits non-zero, or hangs.
//   - First-line markers (a comment alone on the block's first line):
//       // readme: no-run           the block is not run. Only for a block that cannot run
//                                   anywhere (an excerpt, a sketch with placeholders); never for
//                                   one that merely needs a file: let it create that file.
//       // readme: throws CODE      the block must end by throwing an error whose `code` (or,
//                                   without a code, whose name) is CODE, e.g. ERR_MMAP_CLOSED.
//       // readme: platform NAME    runs only where process.platform is NAME (linux, win32, ...);
//                                   elsewhere the test is skipped, saying so.
const assert = require('assert')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { spawnSync } = require('child_process')
const mmap = require('..')
const { root, tempDir, tempFile, removeFile, captureThrow, skip, posixOnly } = require('./helpers')

const RUNNABLE = new Set(['js', 'javascript', 'mjs', 'cjs'])

// The fenced code blocks of a Markdown text: { lang, code, line, heading } (line: 1-based, of
// the fence; heading: the title of the section it is in).
function fencedBlocks (markdown) {
  const blocks = []
  const lines = markdown.split('\n')
  let heading = ''
  for (let i = 0; i < lines.length; i++) {
    const title = /^#{1,6}\s+(.*)$/.exec(lines[i])
    if (title !== null) heading = title[1].trim()
    const open = /^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i])
    if (open === null) continue
    const [, indent, fence, lang] = open
    const body = []
    let j = i + 1
    for (; j < lines.length; j++) {
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(lines[j])
      if (close !== null && close[1][0] === fence[0] && close[1].length >= fence.length) break
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j].trimStart())
    }
    blocks.push({ lang: lang.toLowerCase(), code: body.join('\n') + '\n', line: i + 1, heading })
    i = j
  }
  return blocks
}

// The markers on a block's first line: { noRun, throws, platform }.
function markers (code) {
  const first = code.split('\n', 1)[0].trim()
  const m = /^\/\/\s*readme:\s*(no-run|throws|platform)\b\s*(\S*)/.exec(first)
  if (m === null) return {}
  if (m[1] === 'no-run') return { noRun: true }
  if (m[2] === '') throw new Error(`README marker "${first}" needs a value`)
  return m[1] === 'throws' ? { throws: m[2] } : { platform: m[2] }
}

function isModule (block) {
  return block.lang === 'mjs' || (block.lang !== 'cjs' && /^(import|export)\s/m.test(block.code))
}

// A temp folder with node_modules/mmap-native linked to this checkout.
function sandbox () {
  const dir = fs.mkdtempSync(path.join(tempDir(), 'readme-'))
  const pkg = path.join(dir, 'node_modules', 'mmap-native')
  fs.mkdirSync(path.dirname(pkg))
  try {
    // 'junction': a directory link Windows makes without extra rights; ignored elsewhere.
    fs.symlinkSync(root, pkg, 'junction')
  } catch {
    // No links here: a package that re-exports the checkout's entry points.
    const url = (file) => JSON.stringify(require('url').pathToFileURL(path.join(root, file)).href)
    fs.mkdirSync(pkg)
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({
      name: 'mmap-native', exports: { import: './index.mjs', require: './index.js' }
    }))
    fs.writeFileSync(path.join(pkg, 'index.js'), `module.exports = require(${JSON.stringify(root)})\n`)
    fs.writeFileSync(path.join(pkg, 'index.mjs'), `export * from ${url('index.mjs')}\nexport { default } from ${url('index.mjs')}\n`)
  }
  return dir
}

// Preloaded into each example: records the error that ends it (its code or name) in a file.
const PRELOAD = `'use strict'
const fs = require('fs')
process.on('uncaughtExceptionMonitor', (err) => {
  const code = err !== null && typeof err === 'object' && err.code !== undefined ? String(err.code) : String(err && err.name)
  fs.writeFileSync(process.env.README_THROWN, code)
})
`

// MMAP_NATIVE_ADDON (another build of the addon, as CI's no-mremap and Windows stages use) made
// absolute: the example runs in another folder (on another drive, under Windows).
function addonEnv () {
  const addon = process.env.MMAP_NATIVE_ADDON
  return addon ? { MMAP_NATIVE_ADDON: path.resolve(addon) } : {}
}

// Runs one block as the README checker does; returns { status, signal, stdout, stderr, thrown }.
function runBlock (block) {
  const dir = sandbox()
  try {
    const script = path.join(dir, isModule(block) ? 'example.mjs' : 'example.cjs')
    fs.writeFileSync(script, block.code)
    const preload = path.join(dir, 'preload.cjs')
    fs.writeFileSync(preload, PRELOAD)
    const thrownFile = path.join(dir, 'thrown')
    const r = spawnSync(process.execPath, ['--require', preload, script], {
      cwd: dir,
      env: { ...process.env, ...addonEnv(), README_THROWN: thrownFile, NODE_PATH: '' },
      encoding: 'utf8',
      timeout: 60000
    })
    if (r.error && r.error.code !== 'ETIMEDOUT') throw r.error
    const thrown = fs.existsSync(thrownFile) ? fs.readFileSync(thrownFile, 'utf8') : null
    return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, thrown }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

function describeRun (r) {
  return `exit status ${r.status}, signal ${r.signal}, thrown ${r.thrown}\n--- stderr:\n${r.stderr}--- stdout:\n${r.stdout}`
}

const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8')
const examples = fencedBlocks(readme).filter((b) => RUNNABLE.has(b.lang))

describe('README: every JavaScript example runs as written', function () {
  this.timeout(90000)

  it('finds the examples (the Quick start at least)', function () {
    assert.ok(examples.length >= 1, 'no ```js block found in README.md')
    assert.ok(examples.some((b) => /mmap\.open\(/.test(b.code)), 'the Quick start block is missing')
  })

  for (const block of examples) {
    const { noRun, throws, platform } = markers(block.code)
    if (noRun) continue
    const title = `README.md:${block.line} (${block.heading || 'top'})` +
      (throws ? ` throws ${throws}` : ' runs without throwing')
    it(title, function () {
      if (platform && platform !== process.platform) skip(this, `the block is marked for ${platform}`)
      const r = runBlock(block)
      if (throws) {
        assert.strictEqual(r.thrown, throws, `the README says this block throws ${throws}\n${describeRun(r)}`)
        assert.notStrictEqual(r.status, 0, describeRun(r))
      } else {
        assert.strictEqual(r.thrown, null, `the block threw, and the README does not say it does\n${describeRun(r)}`)
        assert.strictEqual(r.signal, null, `the block was killed (${r.signal}; 60 s timeout?)\n${describeRun(r)}`)
        assert.strictEqual(r.status, 0, describeRun(r))
      }
    })
  }
})

describe('README checker: how it reads and runs blocks', function () {
  this.timeout(90000)

  it('extracts js/javascript/mjs/cjs blocks with their line, and leaves sh and ts blocks out', function () {
    const md = [
      '## One', 'text', '```sh', 'npm test', '```', '```js', 'a()', '```', '```ts', 'let x: number', '```',
      '````javascript', '```', 'b()', '````', '### Two', '```mjs', 'import x from "y"', '```'
    ].join('\n')
    const blocks = fencedBlocks(md).filter((b) => RUNNABLE.has(b.lang))
    assert.deepStrictEqual(blocks.map((b) => [b.lang, b.code, b.line, b.heading]),
      [['js', 'a()\n', 6, 'One'], ['javascript', '```\nb()\n', 12, 'One'], ['mjs', 'import x from "y"\n', 17, 'Two']])
  })

  it('reads the first-line markers', function () {
    assert.deepStrictEqual(markers('// readme: no-run\nx()'), { noRun: true })
    assert.deepStrictEqual(markers('// readme: throws ERR_MMAP_CLOSED\nx()'), { throws: 'ERR_MMAP_CLOSED' })
    assert.deepStrictEqual(markers('//readme: platform linux\nx()'), { platform: 'linux' })
    assert.deepStrictEqual(markers('x() // readme: no-run'), {})
    assert.throws(() => markers('// readme: throws\n'), /needs a value/)
  })

  it('runs a block with an import statement as an ES module, with the package importable', function () {
    const r = runBlock({ lang: 'js', code: "import mmap, { Mmap } from 'mmap-native'\nif (mmap.Mmap !== Mmap) process.exit(3)\n" })
    assert.strictEqual(r.status, 0, describeRun(r))
  })

  it('runs a block in a temp folder of its own, with require("mmap-native") working', function () {
    const r = runBlock({ lang: 'js', code: "const m = require('mmap-native').open('x', { create: true, size: 3 })\nconsole.log(process.cwd(), m.length)\n" })
    assert.strictEqual(r.status, 0, describeRun(r))
    const [cwd, length] = r.stdout.trim().split(' ')
    assert.strictEqual(length, '3')
    assert.notStrictEqual(path.resolve(cwd), path.resolve(root))
    assert.ok(!fs.existsSync(cwd), 'the folder is removed afterwards')
  })

  it('catches a block that throws, an unhandled rejection, and the code of what it threw', function () {
    const thrown = runBlock({ lang: 'js', code: "const m = require('mmap-native').open('missing.bin')\n" })
    assert.strictEqual(thrown.thrown, 'ENOENT')
    assert.notStrictEqual(thrown.status, 0)
    const rejected = runBlock({ lang: 'mjs', code: "import { Mmap } from 'mmap-native'\nconst m = new Mmap(-1, 8)\nm.close()\nawait m.flushAsync()\n" })
    assert.strictEqual(rejected.thrown, 'ERR_MMAP_CLOSED')
    const plain = runBlock({ lang: 'js', code: 'null.x\n' })
    assert.strictEqual(plain.thrown, 'TypeError')
    const exited = runBlock({ lang: 'js', code: 'process.exitCode = 4\n' })
    assert.deepStrictEqual([exited.status, exited.thrown], [4, null])
  })
})

// CPython, to check the README's statements about Python against (the spec the module follows is
// CPython's behaviour): 3.13 ($MMAP_TEST_PYTHON, python3.13 on PATH, or a pyenv install), else a
// python3 from 3.11 to 3.14, which behave the same in every case checked here; a test run under
// another version than 3.13 says so in its title.
let python
function findPython () {
  if (python !== undefined) return python
  const pyenvRoot = process.env.PYENV_ROOT || path.join(os.homedir(), '.pyenv')
  let pyenvVersions = []
  try {
    pyenvVersions = fs.readdirSync(path.join(pyenvRoot, 'versions'))
      .filter((v) => v.startsWith('3.13')).map((v) => path.join(pyenvRoot, 'versions', v, 'bin', 'python3'))
  } catch {}
  const candidates = [process.env.MMAP_TEST_PYTHON, 'python3.13', ...pyenvVersions, 'python3'].filter(Boolean)
  python = null
  for (const exe of candidates) {
    const r = spawnSync(exe, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' })
    const version = r.status === 0 ? r.stdout.trim() : ''
    if (version === '3.13' || (exe === 'python3' && ['3.11', '3.12', '3.14'].includes(version))) {
      python = { exe, version }
      break
    }
  }
  return python
}

// Runs `code` under CPython with `args` as JSON in sys.argv[1]; returns { status, signal, stdout,
// stderr, json } (json: the last line printed, parsed). Skips the test without CPython.
function py (ctx, code, args = null) {
  const found = findPython()
  if (found === null) skip(ctx, 'CPython 3.13 not found (set MMAP_TEST_PYTHON)')
  if (found.version !== '3.13') ctx.test.title += ` (run under CPython ${found.version})`
  const r = spawnSync(found.exe, ['-c', `import json, mmap, os, sys\nargs = json.loads(sys.argv[1])\n${code}`, JSON.stringify(args)], {
    encoding: 'utf8',
    timeout: 60000
  })
  if (r.error) throw r.error
  const lines = r.stdout.trim().split('\n')
  let json
  try {
    json = JSON.parse(lines[lines.length - 1])
  } catch {}
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, json }
}

describe('README: what close() and a shrinking resize() do to each kind of view', function () {
  const files = []
  afterEach(function () {
    for (const file of files.splice(0)) removeFile(file)
  })

  function views (m) {
    return {
      arrayBuffer: m.buffer,
      uint8: new Uint8Array(m.buffer),
      float64: new Float64Array(m.buffer),
      buffer: m.subarray(0, 16),
      dataView: new DataView(m.buffer)
    }
  }

  function assertDetached (v) {
    assert.strictEqual(v.arrayBuffer.byteLength, 0)
    for (const name of ['uint8', 'float64', 'buffer']) {
      assert.strictEqual(v[name].byteLength, 0, name)
      assert.strictEqual(v[name].length, 0, name)
      assert.strictEqual(v[name][0], undefined, name)
      v[name][0] = 5
      assert.strictEqual(v[name][0], undefined, `${name}: a write is dropped`)
    }
    // A DataView over a detached ArrayBuffer throws on every access, byteLength included.
    for (const use of [(dv) => dv.byteLength, (dv) => dv.byteOffset, (dv) => dv.getFloat64(0), (dv) => dv.setUint8(0, 1)]) {
      assert.throws(() => use(v.dataView), TypeError)
    }
  }

  it('close(): ArrayBuffers, typed arrays and Buffers have byteLength (and length) 0; a DataView throws TypeError on any access', function () {
    const file = tempFile(Buffer.alloc(8192, 1))
    files.push(file)
    const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
    const v = views(m)
    assert.strictEqual(v.dataView.byteLength, 8192)
    m.close()
    assertDetached(v)
  })

  it('a shrinking resize(): the same for every view handed out before', function () {
    const file = tempFile(Buffer.alloc(3 * mmap.PAGESIZE, 1))
    files.push(file)
    const m = mmap.open(file, { access: mmap.ACCESS_WRITE })
    try {
      const v = views(m)
      m.resize(mmap.PAGESIZE)
      assertDetached(v)
      assert.strictEqual(new DataView(m.buffer).byteLength, mmap.PAGESIZE)
    } finally {
      m.close()
    }
  })
})

describe('README: search() and matchAll() bounds, as Python\'s pos and endpos', function () {
  const text = 'ab cd\nef gh'
  // [pattern, flags, start, end]: at `start` the real bytes before it are seen; at `end` the text
  // ends, as if the map were that long.
  const cases = [
    ['a$', '', 0, 1], ['a\\b', '', 0, 1], ['a(?!b)', '', 0, 1], ['d$', 'm', 0, 5], ['d$', '', 0, 5],
    ['^b', '', 1, 5], ['\\bb', '', 1, 5], ['(?<=a)b', '', 1, 5], ['(?<!a)b', '', 1, 5], ['^e', 'm', 6, 11],
    ['^e', '', 6, 11], ['\\be', '', 6, 11], ['c\\b', '', 0, 4], ['cd\\b', '', 0, 5], ['h$', '', 0, 11],
    ['b', '', 2, 11], ['.', 's', 11, 11], ['$', '', 5, 5], ['^', '', 0, 0], ['f\\b', '', 6, 8]
  ]

  function ours () {
    const m = new mmap.Mmap(-1, text.length)
    try {
      m.write(Buffer.from(text, 'latin1'))
      return cases.map(([source, flags, start, end]) => {
        const match = m.search(new RegExp(source, flags), start, end)
        return match === null ? null : [match.index, match[0]]
      })
    } finally {
      m.close()
    }
  }

  it('^, \\b and lookbehind see the real byte before start; $, \\b and lookahead see the text end at end', function () {
    const got = ours()
    const expect = [
      [0, 'a'], [0, 'a'], [0, 'a'], [4, 'd'], [4, 'd'],
      null, null, [1, 'b'], null, [6, 'e'],
      null, [6, 'e'], [3, 'c'], [3, 'cd'], [10, 'h'],
      null, null, [5, ''], [0, ''], [7, 'f']
    ]
    assert.deepStrictEqual(got, expect)
    const m = new mmap.Mmap(-1, text.length)
    try {
      m.write(Buffer.from(text, 'latin1'))
      assert.deepStrictEqual([...m.matchAll(/\w$/gm, 0, 4)].map((x) => x.index), [3])
      // The README's own examples, over 'ab cd ef'.
      m.seek(0)
      m.write(Buffer.from('ab cd ef'))
      assert.deepStrictEqual([/a$/, /a\b/, /a(?!b)/].map((re) => m.search(re, 0, 1).index), [0, 0, 0])
      assert.deepStrictEqual([m.search(/^b/, 1), m.search(/\bb/, 1), m.search(/(?<=a)b/, 1).index], [null, null, 1])
      assert.deepStrictEqual([...m.matchAll(/(?<=\s)\w/g, 3, 11)].map((x) => x.index), [3, 6, 9])
    } finally {
      m.close()
    }
  })

  it('agrees with CPython 3.13\'s pattern.search(m, pos, endpos) on every case', function () {
    const r = py(this, `
import re
m = mmap.mmap(-1, len(args['text']))
m.write(args['text'].encode('latin1'))
out = []
for source, flags, start, end in args['cases']:
    f = (re.M if 'm' in flags else 0) | (re.S if 's' in flags else 0)
    match = re.compile(source.encode(), f).search(m, start, end)
    out.append(None if match is None else [match.start(), match.group().decode('latin1')])
print(json.dumps(out))
`, { text, cases })
    assert.strictEqual(r.status, 0, r.stderr)
    assert.deepStrictEqual(ours(), r.json)
  })
})

describe('README: Differences from Python, on purpose (each also run under CPython 3.13)', function () {
  const files = []
  const maps = []
  afterEach(function () {
    for (const m of maps.splice(0)) m.close()
    for (const file of files.splice(0)) removeFile(file)
  })
  function file (contents) {
    const f = tempFile(contents)
    files.push(f)
    return f
  }
  function track (m) {
    maps.push(m)
    return m
  }
  const P = mmap.PAGESIZE
  const isLinux = process.platform === 'linux'

  // Linux refuses an 8 TiB private map up front unless it overcommits without limit.
  function needsCommitLimit (ctx) {
    if (!isLinux) skip(ctx, 'the commit-limit refusal this relies on is Linux\'s')
    let mode = null
    try {
      mode = fs.readFileSync('/proc/sys/vm/overcommit_memory', 'utf8').trim()
    } catch {}
    if (mode === '1') skip(ctx, 'overcommit_memory = 1: the kernel would grant an 8 TiB private map lazily')
  }

  // Each entry: the README's words, what mmap-native does (`ours`), and what CPython 3.13 does
  // instead (`python`: code run with `args` from `pyArgs()`, and `check` of its result).
  const entries = [
    {
      title: 'an empty file maps to an empty map',
      ours () {
        assert.strictEqual(track(mmap.open(file(''))).length, 0)
      },
      pyTitle: 'ValueError: cannot mmap an empty file',
      pyArgs: () => file(''),
      python: `
with open(args, 'rb') as f:
    try:
        mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        print(json.dumps('mapped'))
    except ValueError as e:
        print(json.dumps(str(e)))
`,
      check: (r) => assert.strictEqual(r.json, 'cannot mmap an empty file')
    },
    {
      title: 'any offset is accepted',
      ours () {
        const data = Buffer.from('0123456789'.repeat(1000))
        assert.deepStrictEqual(track(mmap.open(file(data), { offset: 7, length: 10 })).slice(), data.subarray(7, 17))
      },
      pyTitle: 'OSError EINVAL for an offset that is not a multiple of ALLOCATIONGRANULARITY',
      pyArgs: () => file(Buffer.alloc(10000, 0x30)),
      python: `
with open(args, 'rb') as f:
    try:
        mmap.mmap(f.fileno(), 10, access=mmap.ACCESS_READ, offset=7)
        print(json.dumps('mapped'))
    except OSError as e:
        print(json.dumps(e.errno))
`,
      check: (r) => assert.strictEqual(r.json, 22)
    },
    {
      title: 'flush() takes any offset',
      ours () {
        const f = file(Buffer.alloc(2 * P, 1))
        const m = track(mmap.open(f, { access: mmap.ACCESS_WRITE }))
        m.set(1, 2)
        assert.strictEqual(m.flush(1, 10), undefined)
        assert.strictEqual(fs.readFileSync(f)[1], 2)
      },
      pyTitle: 'OSError EINVAL for an offset that is not a multiple of PAGESIZE',
      pyArgs: () => file(Buffer.alloc(2 * P, 1)),
      python: `
with open(args, 'r+b') as f:
    m = mmap.mmap(f.fileno(), 0)
    try:
        m.flush(1, 10)
        print(json.dumps('flushed'))
    except OSError as e:
        print(json.dumps(e.errno))
`,
      check: (r) => assert.strictEqual(r.json, 22)
    },
    {
      title: 'close() detaches views instead of raising BufferError',
      ours () {
        const m = track(mmap.open(file(Buffer.alloc(P, 1))))
        const view = m.subarray()
        m.close()
        assert.strictEqual(m.closed, true)
        assert.strictEqual(view.length, 0)
      },
      pyTitle: 'BufferError while a memoryview exists, and the map stays open',
      python: `
m = mmap.mmap(-1, 4096)
v = memoryview(m)
try:
    m.close()
    print(json.dumps('closed'))
except BufferError as e:
    print(json.dumps([type(e).__name__, m.closed]))
`,
      check: (r) => assert.deepStrictEqual(r.json, ['BufferError', false])
    },
    {
      title: 'a failed resize() changes nothing (an 8 TiB grow of a private file map)',
      ours () {
        needsCommitLimit(this)
        const data = Buffer.alloc(2 * P, 7)
        const f = file(data)
        const m = track(mmap.open(f, { flags: mmap.MAP_PRIVATE }))
        const err = captureThrow(() => m.resize(2 ** 43))
        // A 32-bit size_t cannot hold 8 TiB: refused before any system call.
        const codes = require('./helpers').is32Bit ? ['ERR_OUT_OF_RANGE'] : ['ENOMEM', 'EFBIG', 'ENOSPC', 'EINVAL']
        assert.ok(codes.includes(err.code), err.message)
        assert.strictEqual(m.length, 2 * P)
        assert.strictEqual(fs.statSync(f).size, 2 * P)
        assert.deepStrictEqual(m.slice(), data)
      },
      pyTitle: 'OSError ENOMEM with the file already grown to 8 TiB',
      before () { needsCommitLimit(this) },
      pyArgs: () => file(Buffer.alloc(2 * P, 7)),
      python: `
with open(args, 'r+b') as f:
    m = mmap.mmap(f.fileno(), 0, flags=mmap.MAP_PRIVATE)
    try:
        m.resize(2 ** 43)
        print(json.dumps('resized'))
    except OSError as e:
        print(json.dumps([e.errno, len(m), os.path.getsize(args)]))
`,
      check (r) {
        if (Array.isArray(r.json) && r.json[2] === 2 * P) skip(this, 'this filesystem refused the 8 TiB ftruncate, so CPython changed nothing either')
        assert.deepStrictEqual(r.json, [12, 2 * P, 2 ** 43])
      }
    },
    {
      title: 'resize(0) gives an empty map',
      ours () {
        const f = file(Buffer.alloc(2 * P, 1))
        const m = track(mmap.open(f, { access: mmap.ACCESS_WRITE }))
        m.resize(0)
        assert.strictEqual(m.length, 0)
        assert.strictEqual(fs.statSync(f).size, 0)
      },
      pyTitle: 'OSError EINVAL, with the file already cut to 0 on Linux',
      pyArgs: () => file(Buffer.alloc(2 * P, 1)),
      python: `
with open(args, 'r+b') as f:
    m = mmap.mmap(f.fileno(), 0)
    try:
        m.resize(0)
        print(json.dumps('resized'))
    except OSError as e:
        print(json.dumps([e.errno, len(m), os.path.getsize(args)]))
`,
      check (r) {
        if (isLinux) assert.deepStrictEqual(r.json, [22, 2 * P, 0])
        else assert.strictEqual(r.json[0], 22)
      }
    },
    {
      title: 'shared anonymous maps grow, and their new pages can be touched',
      ours () {
        const m = track(new mmap.Mmap(-1, P))
        m.set(0, 9)
        m.resize(4 * P)
        m.set(3 * P + 5, 1)
        assert.deepStrictEqual([m.get(0), m.get(3 * P + 5), m.length], [9, 1, 4 * P])
      },
      pyTitle: '3.13.0 on Linux grows one and dies of SIGBUS touching the new pages (later releases refuse: ValueError)',
      before () {
        if (!isLinux) skip(this, 'CPython\'s failure here is Linux\'s mremap() of shared anonymous memory')
      },
      python: `
m = mmap.mmap(-1, mmap.PAGESIZE)
try:
    m.resize(4 * mmap.PAGESIZE)
except ValueError as e:
    print(json.dumps(str(e)))
    sys.exit(0)
m[3 * mmap.PAGESIZE + 5] = 1
print(json.dumps('touched'))
`,
      check (r) {
        if (r.signal === null) assert.match(String(r.json), /can't expand a shared anonymous mapping/)
        else assert.strictEqual(r.signal, 'SIGBUS')
      }
    },
    {
      title: 'find(sub, null, end) honours end',
      ours () {
        const m = track(new mmap.Mmap(-1, 8))
        m.write(Buffer.from('ab cd ef'))
        m.seek(0)
        assert.strictEqual(m.find('c', null, 3), -1)
        assert.strictEqual(m.find('c', null, 4), 3)
        assert.strictEqual(m.rfind('e', null, 6), -1)
      },
      pyTitle: 'TypeError for None (3.14 too; 3.15 accepts None and then ignores end, by its source)',
      python: `
m = mmap.mmap(-1, 8)
try:
    m.find(b'c', None, 3)
    print(json.dumps('found'))
except TypeError as e:
    print(json.dumps(type(e).__name__))
`,
      check: (r) => assert.strictEqual(r.json, 'TypeError')
    },
    {
      title: 'find() and rfind() of an empty needle with start past the end return -1',
      ours () {
        const m = track(new mmap.Mmap(-1, 8))
        const got = [m.find('', 9), m.rfind('', 9), m.find('', 2 ** 40), m.find('', 8), m.rfind('', 8), m.find('', -100)]
        assert.deepStrictEqual(got, [-1, -1, -1, 8, 8, 0])
      },
      pyTitle: 'the length (gh-151021, fixed in 3.15)',
      python: `
m = mmap.mmap(-1, 8)
print(json.dumps([m.find(b'', 9), m.rfind(b'', 9), m.find(b'', 2 ** 40), m.find(b'', 8), m.rfind(b'', 8), m.find(b'', -100)]))
`,
      check: (r) => assert.deepStrictEqual(r.json, [8, 8, 8, 8, 8, 0])
    },
    {
      title: 'open(), count() and flushAsync() are additions',
      ours () {
        assert.strictEqual(typeof mmap.open, 'function')
        assert.strictEqual(typeof mmap.Mmap.prototype.count, 'function')
        assert.strictEqual(typeof mmap.Mmap.prototype.flushAsync, 'function')
      },
      pyTitle: 'none of them exists',
      python: `
print(json.dumps([hasattr(mmap, 'open'), hasattr(mmap.mmap, 'count'), hasattr(mmap.mmap, 'flush_async'), hasattr(mmap.mmap, 'flushAsync')]))
`,
      check: (r) => assert.deepStrictEqual(r.json, [false, false, false, false])
    },
    {
      title: 'find, rfind and count take a string as the needle (its UTF-8 bytes)',
      ours () {
        const m = track(new mmap.Mmap(-1, 8))
        m.write(Buffer.from('ab \u00e9 ef'))
        m.seek(0)
        assert.deepStrictEqual([m.find('\u00e9'), m.rfind('e'), m.count('b')], [3, 6, 1])
      },
      pyTitle: 'TypeError: a bytes-like object is required',
      python: `
m = mmap.mmap(-1, 8)
try:
    m.find('b')
    print(json.dumps('found'))
except TypeError as e:
    print(json.dumps(str(e)))
`,
      check: (r) => assert.match(r.json, /bytes-like object is required/)
    },
    {
      title: 'an integer outside the signed 64-bit range is ERR_OUT_OF_RANGE everywhere; a number that is not an integer too',
      ours () {
        const m = track(new mmap.Mmap(-1, 8))
        for (const fn of [() => m.slice(0, 2n ** 64n), () => m.slice(0, 8, 2n ** 64n), () => m.set(0, 2n ** 64n),
          () => m.get(1.5), () => m.read(NaN)]) {
          assert.throws(fn, { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
        }
      },
      pyTitle: 'slices clamp it, m[i] = 2**64 and floats are TypeErrors',
      python: `
m = mmap.mmap(-1, 8)
out = [len(m[0:2 ** 64]), len(m[0:8:2 ** 64])]
for f in (lambda: m.__setitem__(0, 2 ** 64), lambda: m[1.5], lambda: m.read(float('nan'))):
    try:
        f()
        out.append('ok')
    except Exception as e:
        out.append(type(e).__name__)
print(json.dumps(out))
`,
      check: (r) => assert.deepStrictEqual(r.json, [8, 1, 'TypeError', 'TypeError', 'TypeError'])
    },
    {
      title: 'madvise() takes any start',
      ours () {
        posixOnly(this, 'madvise() is ENOTSUP on Windows')
        const m = track(new mmap.Mmap(-1, 2 * P))
        assert.strictEqual(m.madvise(mmap.MADV_NORMAL, 1, 10), undefined)
      },
      pyTitle: 'OSError EINVAL for a start that is not a multiple of PAGESIZE',
      before () {
        posixOnly(this, 'Python has no madvise() on Windows')
      },
      python: `
m = mmap.mmap(-1, 2 * mmap.PAGESIZE)
try:
    m.madvise(mmap.MADV_NORMAL, 1, 10)
    print(json.dumps('advised'))
except OSError as e:
    print(json.dumps(e.errno))
`,
      check: (r) => assert.strictEqual(r.json, 22)
    },
    {
      title: 'resize() past 2 ** 53 - 1 - offset bytes is ERR_OUT_OF_RANGE, before the file is touched',
      ours () {
        const f = file(Buffer.alloc(P, 1))
        const m = track(mmap.open(f, { access: mmap.ACCESS_WRITE }))
        assert.throws(() => m.resize(2 ** 53), { code: 'ERR_OUT_OF_RANGE' })
        assert.deepStrictEqual([m.length, fs.statSync(f).size], [P, P])
      },
      pyTitle: 'it asks the OS, which refuses with an OSError',
      before () {
        if (!isLinux) skip(this, 'CPython resizes through mremap() only on Linux')
      },
      pyArgs: () => file(Buffer.alloc(P, 1)),
      python: `
with open(args, 'r+b') as f:
    m = mmap.mmap(f.fileno(), 0)
    try:
        m.resize(2 ** 53)
        print(json.dumps('resized'))
    except OSError as e:
        print(json.dumps([type(e).__name__, len(m)]))
    finally:
        os.truncate(args, 0)
`,
      check: (r) => assert.deepStrictEqual(r.json, ['OSError', P])
    },
    {
      title: 'a private map that shrinks and grows again shows zeros past its old end',
      ours () {
        posixOnly(this, 'MAP_PRIVATE is POSIX')
        const m = track(new mmap.Mmap(-1, P, { flags: mmap.MAP_PRIVATE }))
        m.write(Buffer.alloc(P, 0x42))
        m.resize(22)
        m.resize(2 * P)
        assert.strictEqual(m.count('B'), 22)
      },
      pyTitle: 'the rest of the old last page comes back',
      before () {
        if (!isLinux) skip(this, 'CPython resizes through mremap() only on Linux')
      },
      python: `
m = mmap.mmap(-1, mmap.PAGESIZE, flags=mmap.MAP_PRIVATE)
m.write(b'B' * mmap.PAGESIZE)
m.resize(22)
m.resize(2 * mmap.PAGESIZE)
print(json.dumps(m[:].count(b'B')))
`,
      check: (r) => assert.strictEqual(r.json, P)
    },
    {
      title: 'resize() still works after madvise() gave part of the map other advice',
      ours () {
        posixOnly(this, 'madvise() is ENOTSUP on Windows')
        const f = file(Buffer.alloc(3 * P, 1))
        const m = track(mmap.open(f, { access: mmap.ACCESS_WRITE }))
        m.madvise(mmap.MADV_RANDOM, P, P)
        m.resize(4 * P)
        assert.deepStrictEqual([m.length, fs.statSync(f).size, m.get(0)], [4 * P, 4 * P, 1])
      },
      pyTitle: 'OSError EFAULT from mremap(), after the file was resized',
      before () {
        if (!isLinux) skip(this, 'CPython resizes through mremap() only on Linux')
      },
      pyArgs: () => file(Buffer.alloc(3 * mmap.PAGESIZE, 1)),
      python: `
with open(args, 'r+b') as f:
    m = mmap.mmap(f.fileno(), 0)
    m.madvise(mmap.MADV_RANDOM, mmap.PAGESIZE, mmap.PAGESIZE)
    try:
        m.resize(4 * mmap.PAGESIZE)
        print(json.dumps('resized'))
    except OSError as e:
        print(json.dumps([e.errno, len(m), os.path.getsize(args)]))
`,
      check: (r) => assert.deepStrictEqual(r.json, [14, 3 * P, 4 * P])
    }
  ]

  for (const entry of entries) {
    it(`mmap-native: ${entry.title}`, function () {
      entry.ours.call(this)
    })
    it(`CPython 3.13 instead: ${entry.pyTitle}`, function () {
      if (entry.before) entry.before.call(this)
      if (findPython() === null) skip(this, 'CPython 3.13 not found (set MMAP_TEST_PYTHON)')
      const r = py(this, entry.python, entry.pyArgs ? entry.pyArgs() : null)
      assert.ok(r.json !== undefined || r.signal !== null, `no result from CPython: ${r.stderr}`)
      entry.check.call(this, r)
    })
  }
})

describe('README: benchmark tables', function () {
  const { parseResults, render } = require('../scripts/bench-readme')
  const results = path.join(__dirname, '..', 'bench', 'results.md')
  const readmePath = path.join(__dirname, '..', 'README.md')

  it('holds, in every marked table, the rows of the one run in bench/results.md (npm run bench:readme)', function () {
    const readme = fs.readFileSync(readmePath, 'utf8')
    const { text } = render(readme, parseResults(fs.readFileSync(results, 'utf8')))
    assert.ok(readme.includes('<!-- bench-table:main -->'), 'the main table has no markers')
    assert.strictEqual(text, readme, 'README.md and bench/results.md differ: run npm run bench:readme')
  })

  it('sends each row to the section its operation names, and the rest to main', function () {
    const md = [
      '| operation | mmap-native | baseline | baseline time | ratio | goal | met? |',
      '|---|---|---|---|---|---|---|',
      '| find 16 B | 1 ms | x | 2 ms | 2× | — | — |',
      '| countAsync(\'\\n\'), warm | 1 ms | x | 2 ms | 2× | — | — |',
      '| lineOffsets() of the whole file | 1 ms | x | 2 ms | 2× | — | — |',
      '',
      '`npm run bench` — test run'
    ].join('\n')
    const readme = 'a\n<!-- bench-table:main -->\nold\n<!-- /bench-table:main -->\nb\n' +
      '<!-- bench-table:async -->\n<!-- /bench-table:async -->\nc\n'
    const { text, unplaced } = render(readme, parseResults(md))
    assert.match(text, /bench-table:main -->\n\| operation +\|[^]*\| find 16 B +\|[^]*`npm run bench` — test run\n<!-- \/bench-table:main/)
    assert.doesNotMatch(text, /old/)
    assert.match(text, /bench-table:async -->\n[^]*countAsync[^]*\n<!-- \/bench-table:async/)
    assert.deepStrictEqual(unplaced, ['lines (1 rows)'])
  })
})
