'use strict'
// grep.js: prints the lines of a file that match a pattern, like `grep -n`, without reading the
// file into memory. The file is mapped; find() (a fixed string, SIMD memmem) or matchAll() (a
// regular expression, over the bytes read as latin1) search it where it lies, and count() numbers
// the lines in between. Works on files larger than 4 GiB and than the longest JavaScript string.
//
//   node examples/grep.js [-F] [-i] [-c] PATTERN FILE
//     -F  PATTERN is a fixed string, not a regular expression
//     -i  ignore case (JavaScript's `i` flag over the latin1 reading: meant for ASCII letters)
//     -c  print only the number of matching lines
const mmap = require('mmap-native')

const NL = 0x0a

// A regular expression for the pattern. The map's bytes are read as latin1 (one character per
// byte), so the pattern's own non-ASCII characters are turned into their UTF-8 bytes the same way.
function toRegExp (pattern, { fixed = false, ignoreCase = false } = {}) {
  let source = Buffer.from(pattern, 'utf8').toString('latin1')
  if (fixed) source = source.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')
  return new RegExp(source, ignoreCase ? 'gim' : 'gm')
}

// Offsets in the map where matches start, in order. A fixed, case-sensitive pattern uses find();
// everything else uses matchAll(). `from(at)` tells the generator where to continue.
function * matchStarts (m, pattern, options) {
  if (options.fixed && !options.ignoreCase) {
    let at = m.find(pattern, 0)
    while (at !== -1) {
      const next = yield at
      at = next >= m.length ? -1 : m.find(pattern, next)
    }
    return
  }
  let skipTo = 0
  for (const match of m.matchAll(toRegExp(pattern, options))) {
    if (match.index < skipTo) continue
    skipTo = yield match.index
  }
}

// Yields { line, start, end } for each line of the map that matches: its 1-based number and the
// byte range [start, end) without the newline.
function * grep (m, pattern, options = {}) {
  const length = m.length
  let line = 1
  let counted = 0 // newlines before `counted` are already in `line`
  const starts = matchStarts(m, pattern, options)
  let step = starts.next()
  while (!step.done) {
    const at = step.value
    // A match at the very end belongs to a last line only if that line has no newline.
    if (at > length || (at === length && (length === 0 || m.get(length - 1) === NL))) break
    const start = at === 0 ? 0 : m.rfind('\n', 0, at) + 1
    let end = m.find('\n', at)
    if (end === -1) end = length
    line += m.count('\n', counted, start)
    counted = start
    yield { line, start, end }
    // The next match worth reporting starts on the next line.
    step = starts.next(end + 1)
  }
}

function main (argv) {
  const options = { fixed: false, ignoreCase: false, countOnly: false }
  const rest = []
  for (const arg of argv) {
    if (arg === '-F') options.fixed = true
    else if (arg === '-i') options.ignoreCase = true
    else if (arg === '-c') options.countOnly = true
    else rest.push(arg)
  }
  if (rest.length !== 2) {
    process.stderr.write('usage: node examples/grep.js [-F] [-i] [-c] PATTERN FILE\n')
    return 2
  }
  const [pattern, file] = rest
  const m = mmap.open(file)
  try {
    // A hint to the kernel: the search reads the file from start to end.
    if (m.length > 0 && mmap.MADV_SEQUENTIAL !== undefined) m.madvise(mmap.MADV_SEQUENTIAL)
    let found = 0
    const out = []
    for (const { line, start, end } of grep(m, pattern, options)) {
      found++
      if (options.countOnly) continue
      out.push(Buffer.from(`${line}:`), m.slice(start, end), Buffer.from('\n'))
      if (out.length >= 3000) process.stdout.write(Buffer.concat(out.splice(0)))
    }
    if (options.countOnly) out.push(Buffer.from(`${found}\n`))
    process.stdout.write(Buffer.concat(out))
    return found > 0 ? 0 : 1 // grep's exit status: 1 when nothing matched
  } finally {
    m.close()
  }
}

module.exports = { grep, toRegExp }

if (require.main === module) process.exitCode = main(process.argv.slice(2))
