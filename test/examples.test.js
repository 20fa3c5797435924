'use strict'
// examples.test.js: the programs in examples/, run as a user runs them (node examples/x.js ...),
// their output compared with a plain-JavaScript reference.
const assert = require('assert')
const fs = require('fs')
const path = require('path')
const { spawnSync } = require('child_process')
const { root, tempDir, tempFile, sparseFile, removeFile, skip, needs64Bit } = require('./helpers')

const GiB = 2 ** 30
const MiB = 2 ** 20

// Runs examples/<name> with `args`; stdout as latin1 (one character per byte).
function example (name, args, env = {}) {
  const r = spawnSync(process.execPath, [path.join(root, 'examples', name), ...args], {
    env: { ...process.env, ...env },
    encoding: 'latin1',
    timeout: require('./helpers').slow(120000),
    maxBuffer: 64 * MiB
  })
  if (r.error) throw r.error
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

// `grep -n`'s output for `re` over `text`, computed the obvious way.
function referenceGrep (text, re) {
  const lines = text.split('\n')
  if (text.endsWith('\n')) lines.pop()
  const out = []
  lines.forEach((line, i) => { if (re.test(line)) out.push(`${i + 1}:${line}\n`) })
  return out.join('')
}

// Writes `text` at each offset of a sparse file of `size` bytes (the file may grow past `size`).
function sparseWith (size, pieces) {
  const file = sparseFile(size)
  if (file === null) return null
  const fd = fs.openSync(file, 'r+')
  try {
    for (const [offset, text] of pieces) {
      const bytes = Buffer.from(text, 'latin1')
      fs.writeSync(fd, bytes, 0, bytes.length, offset) // an explicit length: Bun writes nothing for undefined
    }
  } finally {
    fs.closeSync(fd)
  }
  return file
}

// A text of `count` lines: varied lengths, empty lines, UTF-8, some lines with "error".
function sampleText (count, seed = 1) {
  let x = seed
  // mulberry32: a small seeded generator, so a failure can be reproduced.
  const rand = (n) => {
    x = (x + 0x6d2b79f5) | 0
    let t = Math.imul(x ^ (x >>> 15), 1 | x)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) % n
  }
  const words = ['alpha', 'beta', 'error', 'Error', 'ERROR', 'gamma', 'héllo', 'wörld', 'x', '']
  const lines = []
  for (let i = 0; i < count; i++) {
    const n = rand(8)
    const parts = []
    for (let j = 0; j < n; j++) parts.push(words[rand(words.length)])
    lines.push(parts.join(' '))
  }
  return lines.join('\n')
}

// One sparse file past 4 GiB for the grep and line-index tests (scanning its holes is what costs):
// lines 1 "first", 2 (1 GiB of zero bytes), 3 "x error", 4 (zero bytes up to 4 GiB), 5 "",
// 6 "late error line", 7 "end".
let big
function bigFile () {
  if (big === undefined) {
    big = sparseWith(4 * GiB, [[0, 'first\n'], [GiB, '\nx error\n'], [4 * GiB, '\n\nlate error line\nend\n']])
  }
  return big
}
after(function () {
  if (big) {
    removeFile(big)
    removeFile(`${big}.lines`)
  }
})

describe('examples: grep.js', function () {
  this.timeout(require('./helpers').slow(120000))
  const files = []
  afterEach(function () {
    for (const file of files.splice(0)) removeFile(file)
  })

  it('prints each matching line once with its number, as grep -n does', function () {
    const text = sampleText(2000) + '\n'
    const file = tempFile(text)
    files.push(file)
    const r = example('grep.js', ['-n', 'err(or)? ', file])
    assert.strictEqual(r.stderr, '')
    assert.strictEqual(r.status, 0)
    const expected = referenceGrep(Buffer.from(text).toString('latin1'), /err(or)? /)
    assert.ok(expected.split('\n').length > 100, 'the sample has matches')
    assert.strictEqual(r.stdout, expected)
  })

  it('-F searches a fixed string (regular-expression characters are literal); -i ignores case', function () {
    const text = 'a.b\naxb\nA.B x\n(a.b)\nnothing\na.b'
    const file = tempFile(text)
    files.push(file)
    assert.strictEqual(example('grep.js', ['-n', '-F', 'a.b', file]).stdout, '1:a.b\n4:(a.b)\n6:a.b\n')
    assert.strictEqual(example('grep.js', ['-n', 'a.b', file]).stdout, '1:a.b\n2:axb\n4:(a.b)\n6:a.b\n')
    assert.strictEqual(example('grep.js', ['-nFi', 'a.b', file]).stdout, '1:a.b\n3:A.B x\n4:(a.b)\n6:a.b\n')
  })

  it('matches UTF-8 text and prints the lines byte for byte', function () {
    const text = 'plain\nhéllo wörld\nhello\nwörld\n'
    const file = tempFile(text)
    files.push(file)
    const r = example('grep.js', ['-n', 'ö', file])
    assert.strictEqual(r.status, 0)
    assert.strictEqual(Buffer.from(r.stdout, 'latin1').toString('utf8'), '2:héllo wörld\n4:wörld\n')
    assert.strictEqual(Buffer.from(example('grep.js', ['-n', '-F', 'héllo', file]).stdout, 'latin1').toString(), '2:héllo wörld\n')
  })

  it('-c counts matching lines; nothing found exits 1; bad usage exits 2', function () {
    const file = tempFile('one error\ntwo\nthree error error\n')
    files.push(file)
    assert.deepStrictEqual(example('grep.js', ['-c', 'error', file]).stdout, '2\n')
    const none = example('grep.js', ['absent', file])
    assert.strictEqual(none.status, 1)
    assert.strictEqual(none.stdout, '')
    const usage = example('grep.js', ['only-a-pattern'])
    assert.strictEqual(usage.status, 2)
    assert.match(usage.stderr, /^usage: /m)
  })

  it('handles an empty file, a last line without a newline and patterns matching at line ends', function () {
    const empty = tempFile('')
    const noNewline = tempFile('first\nlast')
    files.push(empty, noNewline)
    assert.strictEqual(example('grep.js', ['x', empty]).status, 1)
    assert.strictEqual(example('grep.js', ['', empty]).stdout, '')
    assert.strictEqual(example('grep.js', ['-n', '$', noNewline]).stdout, '1:first\n2:last\n')
    assert.strictEqual(example('grep.js', ['-n', '-F', 'st', noNewline]).stdout, '1:first\n2:last\n')
  })

  it('finds lines past 4 GiB of a sparse file, with the right line numbers (-F: find)', function () {
    needs64Bit(this, 'the example maps the whole 4 GiB file')
    const file = bigFile()
    if (file === null) skip(this, 'the filesystem will not make sparse files')
    const r = example('grep.js', ['-n', '-F', 'error', file])
    assert.strictEqual(r.stderr, '')
    assert.strictEqual(r.stdout, '3:x error\n6:late error line\n')
  })

  it('finds regular-expression matches that straddle the 64 MiB search windows', function () {
    const cut = 64 * MiB
    const file = sparseWith(3 * cut, [[cut - 6, '\nfirst error here\n'], [2 * cut - 2, '\nsecond error\n'], [3 * cut, '\nlast error']])
    if (file === null) skip(this, 'the filesystem will not make sparse files')
    files.push(file)
    const r = example('grep.js', ['-n', '[a-z]+ error( [a-z]+)?$', file])
    assert.strictEqual(r.stderr, '')
    assert.strictEqual(r.stdout, '2:first error here\n4:second error\n6:last error\n')
  })
})

describe('examples: line-index.js', function () {
  this.timeout(require('./helpers').slow(120000))
  const files = []
  afterEach(function () {
    for (const file of files.splice(0)) {
      removeFile(file)
      removeFile(`${file}.lines`)
    }
  })

  it('gives every line of a file by number, the same as splitting the file', function () {
    const text = sampleText(5000, 7)
    const file = tempFile(text)
    files.push(file)
    // Lines as a text editor counts them: a final newline ends the last line, starts none.
    const lines = text.split('\n')
    if (text.endsWith('\n')) lines.pop()
    const build = example('line-index.js', ['build', file])
    assert.strictEqual(build.stderr, '')
    assert.strictEqual(build.stdout, `${lines.length}\n`)
    const { LineIndex } = require('../examples/line-index.js')
    const index = new LineIndex(file)
    try {
      assert.strictEqual(index.count, lines.length)
      for (let n = 1; n <= lines.length; n++) assert.strictEqual(index.line(n).toString(), lines[n - 1], `line ${n}`)
      assert.throws(() => index.line(0), RangeError)
      assert.throws(() => index.line(lines.length + 1), RangeError)
    } finally {
      index.close()
    }
  })

  it('get prints the asked lines in the asked order, and counts lines like wc -l plus a last unterminated one', function () {
    const file = tempFile('one\ntwo\n\nfour\nfive')
    files.push(file)
    const r = example('line-index.js', ['get', file, '5', '1', '3', '4', '2'])
    assert.strictEqual(r.stderr, '')
    assert.strictEqual(r.stdout, 'five\none\n\nfour\ntwo\n')
    const terminated = tempFile('one\ntwo\n')
    files.push(terminated)
    assert.strictEqual(example('line-index.js', ['build', terminated]).stdout, '2\n')
    const out = example('line-index.js', ['get', terminated, '3'])
    assert.strictEqual(out.status, 1)
    assert.strictEqual(out.stderr, 'line 3 is not in 1..2\n')
    const empty = tempFile('')
    files.push(empty)
    assert.strictEqual(example('line-index.js', ['build', empty]).stdout, '0\n')
  })

  it('rebuilds a stale index when the file changes', function () {
    const file = tempFile('old first\nold second\n')
    files.push(file)
    assert.strictEqual(example('line-index.js', ['get', file, '2']).stdout, 'old second\n')
    assert.ok(fs.existsSync(`${file}.lines`))
    fs.writeFileSync(file, 'new first\nnew second line\nnew third\n')
    // Make sure the mtime differs even on coarse filesystem clocks.
    const later = new Date(Date.now() + 5000)
    fs.utimesSync(file, later, later)
    assert.strictEqual(example('line-index.js', ['get', file, '3', '2']).stdout, 'new third\nnew second line\n')
  })

  it('reaches lines past 4 GiB of a sparse file (offsets beyond 32 bits)', function () {
    needs64Bit(this, 'the example maps the whole 4 GiB file')
    const file = bigFile()
    if (file === null) skip(this, 'the filesystem will not make sparse files')
    removeFile(`${file}.lines`)
    const r = example('line-index.js', ['get', file, '7', '1', '3', '6'])
    assert.strictEqual(r.stderr, '')
    assert.strictEqual(r.stdout, 'end\nfirst\nx error\nlate error line\n')
    const { LineIndex } = require('../examples/line-index.js')
    const index = new LineIndex(file)
    try {
      assert.strictEqual(index.count, 7)
      assert.deepStrictEqual(index.range(5), [4 * GiB + 1, 4 * GiB + 1])
      assert.deepStrictEqual(index.range(4), [GiB + 9, 4 * GiB])
      assert.deepStrictEqual(index.range(7), [4 * GiB + 18, 4 * GiB + 21])
    } finally {
      index.close()
    }
  })
})

describe('examples: shared-memory.js', function () {
  this.timeout(require('./helpers').slow(120000))

  it('two processes add to one counter exactly and exchange messages through the map', function () {
    const r = example('shared-memory.js', ['5', '300000'])
    assert.strictEqual(r.stderr, '')
    assert.strictEqual(r.status, 0)
    const expected = ['counter: 600000 (2 processes x 300000 Atomics.add)']
    for (let i = 1; i <= 5; i++) {
      expected.push(`sent "message ${i} from the parent", got "MESSAGE ${i} FROM THE PARENT (${`message ${i} from the parent`.length} bytes)"`)
    }
    assert.strictEqual(r.stdout, expected.join('\n') + '\n')
  })

  it('leaves no temporary file behind', function () {
    // A temp folder of its own (os.tmpdir() follows TMPDIR, TMP and TEMP), so other runs cannot interfere.
    const tmp = fs.mkdtempSync(path.join(tempDir(), 'shared-'))
    const r = example('shared-memory.js', ['1', '10'], { TMPDIR: tmp, TMP: tmp, TEMP: tmp })
    assert.strictEqual(r.stderr, '')
    assert.strictEqual(r.status, 0)
    assert.deepStrictEqual(fs.readdirSync(tmp), [])
  })
})

describe('examples: flags and exit statuses as the tools they imitate', function () {
  this.timeout(120000)
  const files = []
  afterEach(function () {
    for (const file of files.splice(0)) {
      removeFile(file)
      removeFile(`${file}.lines`)
    }
  })

  it('grep.js prints bare lines without -n and numbered ones with it; -- ends the options', function () {
    const file = tempFile('one\n-x two\nthree two\n')
    files.push(file)
    assert.deepStrictEqual(example('grep.js', ['two', file]), { status: 0, stdout: '-x two\nthree two\n', stderr: '' })
    assert.deepStrictEqual(example('grep.js', ['-n', 'two', file]), { status: 0, stdout: '2:-x two\n3:three two\n', stderr: '' })
    assert.deepStrictEqual(example('grep.js', ['-ciF', 'TWO', file]), { status: 0, stdout: '2\n', stderr: '' })
    assert.deepStrictEqual(example('grep.js', ['-n', '--', '-x', file]), { status: 0, stdout: '2:-x two\n', stderr: '' })
    // A fixed string with regular-expression syntax in it is no bad pattern.
    assert.deepStrictEqual(example('grep.js', ['-F', '(', file]), { status: 1, stdout: '', stderr: '' })
  })

  it('grep.js exits 0 when a line matched, 1 when none did, 2 on an error, with -c too', function () {
    const file = tempFile('alpha\nbeta\n')
    files.push(file)
    const missing = path.join(tempDir(), `missing-${process.pid}`)
    const statuses = [
      [['alpha', file], 0], [['-c', 'alpha', file], 0], [['gamma', file], 1], [['-c', 'gamma', file], 1],
      [['-F', 'gamma', file], 1], [['gamma', missing], 2], [['-c', '(', file], 2]
    ]
    for (const [args, status] of statuses) assert.strictEqual(example('grep.js', args).status, status, args.join(' '))
    assert.strictEqual(example('grep.js', ['-c', 'gamma', file]).stdout, '0\n')
  })

  for (const name of ['grep.js', 'line-index.js', 'shared-memory.js']) {
    it(`${name} --help prints the usage on stdout and exits 0`, function () {
      const r = example(name, ['--help'])
      assert.strictEqual(r.stderr, '')
      assert.strictEqual(r.status, 0)
      assert.ok(r.stdout.startsWith(`usage: node examples/${name} `), r.stdout)
      assert.match(r.stdout, /Exit status: 0 /)
    })
  }

  it('grep.js stops quietly when its reader closes the pipe early (| head -1)', function () {
    if (process.platform === 'win32') skip(this, 'needs sh and head')
    const file = tempFile('match\n'.repeat(500000))
    files.push(file)
    const err = path.join(tempDir(), `grep-stderr-${process.pid}`)
    files.push(err)
    const script = path.join(root, 'examples', 'grep.js')
    const r = spawnSync('sh', ['-c', '"$0" "$1" match "$2" 2>"$3" | head -1', process.execPath, script, file, err], { encoding: 'utf8', timeout: 60000 })
    assert.strictEqual(r.stdout, 'match\n')
    assert.strictEqual(fs.readFileSync(err, 'utf8'), '')
  })
})

describe('examples: bad input gives one clear line on stderr and exit status 2', function () {
  this.timeout(120000)
  let dir, file, missing
  before(function () {
    dir = fs.mkdtempSync(path.join(tempDir(), 'examples-bad-'))
    file = path.join(dir, 'text')
    fs.writeFileSync(file, 'one\ntwo\nthree\n')
    missing = path.join(dir, 'missing')
  })
  after(function () {
    fs.rmSync(dir, { recursive: true, force: true })
  })

  const usage = (name) => `\nusage: node examples/${name} `
  // [example, arguments, the first line of stderr, whether the usage line follows, exit status];
  // <file> (a 3-line text), <missing> and <dir> stand for paths.
  const table = [
    ['grep.js', ['x', '<missing>'], 'grep.js: <missing>: No such file or directory', false, 2],
    ['grep.js', ['x', '<dir>'], 'grep.js: <dir>: Is a directory', false, 2],
    ['grep.js', ['x', '<file>/sub'], 'grep.js: <file>/sub: Not a directory', false, 2],
    ['grep.js', ['(', '<file>'], "grep.js: invalid regular expression '(': Unterminated group", false, 2],
    ['grep.js', ['-i', 'a{2,1}', '<file>'], "grep.js: invalid regular expression 'a{2,1}': numbers out of order in {} quantifier", false, 2],
    ['grep.js', ['(', '<missing>'], "grep.js: invalid regular expression '(': Unterminated group", false, 2],
    ['grep.js', ['-z', 'x', '<file>'], "grep.js: invalid option -- 'z'", true, 2],
    ['grep.js', ['--color', 'x', '<file>'], "grep.js: unrecognized option '--color'", true, 2],
    ['grep.js', [], 'grep.js: a PATTERN and a FILE are needed', true, 2],
    ['grep.js', ['x'], 'grep.js: a PATTERN and a FILE are needed', true, 2],
    ['grep.js', ['x', '<file>', '<file>'], 'grep.js: only one FILE can be searched', true, 2],
    ['line-index.js', ['get', '<missing>', '1'], 'line-index.js: <missing>: No such file or directory', false, 2],
    ['line-index.js', ['build', '<missing>'], 'line-index.js: <missing>: No such file or directory', false, 2],
    ['line-index.js', ['build', '<dir>'], 'line-index.js: <dir>: Is a directory', false, 2],
    ['line-index.js', ['get', '<dir>', '1'], 'line-index.js: <dir>: Is a directory', false, 2],
    ['line-index.js', ['get', '<file>', 'abc'], "line-index.js: 'abc' is not a line number (a whole number from 1)", true, 2],
    ['line-index.js', ['get', '<file>', '0'], "line-index.js: '0' is not a line number (a whole number from 1)", true, 2],
    ['line-index.js', ['get', '<file>', '-1'], "line-index.js: '-1' is not a line number (a whole number from 1)", true, 2],
    ['line-index.js', ['get', '<file>', '1.5'], "line-index.js: '1.5' is not a line number (a whole number from 1)", true, 2],
    ['line-index.js', ['get', '<file>', '1e3'], "line-index.js: '1e3' is not a line number (a whole number from 1)", true, 2],
    ['line-index.js', ['get', '<file>', '2', ''], "line-index.js: '' is not a line number (a whole number from 1)", true, 2],
    ['line-index.js', ['get', '<file>', '99999999999999999999'], "line-index.js: '99999999999999999999' is not a line number (a whole number from 1)", true, 2],
    ['line-index.js', ['get', '<file>'], 'line-index.js: get needs at least one line number', true, 2],
    ['line-index.js', ['build'], 'line-index.js: build needs a FILE', true, 2],
    ['line-index.js', ['build', '<file>', '1'], 'line-index.js: build takes one FILE and no line numbers', true, 2],
    ['line-index.js', [], 'line-index.js: a command is needed', true, 2],
    ['line-index.js', ['frob', '<file>'], "line-index.js: unknown command 'frob'", true, 2],
    ['line-index.js', ['get', '<file>', '4'], 'line 4 is not in 1..3', false, 1],
    ['shared-memory.js', ['abc'], "shared-memory.js: MESSAGES must be a whole number from 1 to 1000000, not 'abc'", true, 2],
    ['shared-memory.js', ['2', 'abc'], "shared-memory.js: ADDS must be a whole number from 1 to 1073741823, not 'abc'", true, 2],
    ['shared-memory.js', ['1', '-5'], "shared-memory.js: ADDS must be a whole number from 1 to 1073741823, not '-5'", true, 2],
    ['shared-memory.js', ['0'], "shared-memory.js: MESSAGES must be a whole number from 1 to 1000000, not '0'", true, 2],
    ['shared-memory.js', ['1', '0'], "shared-memory.js: ADDS must be a whole number from 1 to 1073741823, not '0'", true, 2],
    ['shared-memory.js', ['1.5'], "shared-memory.js: MESSAGES must be a whole number from 1 to 1000000, not '1.5'", true, 2],
    ['shared-memory.js', ['1', '1e3'], "shared-memory.js: ADDS must be a whole number from 1 to 1073741823, not '1e3'", true, 2],
    ['shared-memory.js', ['1000001'], "shared-memory.js: MESSAGES must be a whole number from 1 to 1000000, not '1000001'", true, 2],
    ['shared-memory.js', ['1', '1073741824'], "shared-memory.js: ADDS must be a whole number from 1 to 1073741823, not '1073741824'", true, 2],
    ['shared-memory.js', ['1', '2', '3'], 'shared-memory.js: expected at most 2 arguments, got 3', true, 2]
  ]

  for (const [name, args, line, withUsage, status] of table) {
    it(`${name} ${args.map((a) => a === '' ? "''" : a).join(' ')} → exit ${status}: ${line}`, function () {
      if (line.includes('Not a directory') && process.platform === 'win32') skip(this, 'Windows reports ENOENT for a path through a file (checked under Wine)')
      const paths = (text) => text.replace(/<(file|missing|dir)>/g, (_, key) => ({ file, missing, dir })[key])
      const r = example(name, args.map(paths))
      const expected = paths(line)
      assert.strictEqual(r.status, status, r.stderr)
      assert.strictEqual(r.stdout, '')
      if (withUsage) {
        assert.ok(r.stderr.startsWith(expected + usage(name)), r.stderr)
        assert.strictEqual(r.stderr.split('\n').length, 3, r.stderr) // the message, the usage line, ''
      } else {
        assert.strictEqual(r.stderr, expected + '\n')
      }
    })
  }

  it('a failed line-index.js leaves no index file behind', function () {
    const own = fs.mkdtempSync(path.join(dir, 'own-'))
    const text = path.join(own, 'text')
    fs.writeFileSync(text, 'one\n')
    assert.strictEqual(example('line-index.js', ['get', path.join(own, 'missing'), '1']).status, 2)
    assert.strictEqual(example('line-index.js', ['get', text, 'abc']).status, 2)
    assert.strictEqual(example('line-index.js', ['get', own, '1']).status, 2)
    assert.deepStrictEqual(fs.readdirSync(own), ['text'])
  })
})
