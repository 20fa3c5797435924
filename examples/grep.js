'use strict'
// grep.js: prints the lines of a file that match a pattern, like grep, without reading the
// file into memory. The file is mapped; find() (a fixed string, SIMD memmem) or matchAll() (a
// regular expression, over the bytes read as latin1) search it where it lies, and count() numbers
// the lines in between. Works on files larger than 4 GiB and than the longest JavaScript string.
//
//   node examples/grep.js [-n] [-F] [-i] [-c] [--] PATTERN FILE
//     -n  prefix each line with its line number (1-based)
//     -F  PATTERN is a fixed string, not a regular expression
//     -i  ignore case (JavaScript's `i` flag over the latin1 reading: meant for ASCII letters)
//     -c  print only the number of matching lines
//   Options may be combined (-ni); `--` ends them (for a PATTERN that starts with `-`).
//   Exit status, as grep's: 0 a line matched, 1 none did, 2 an error (a message on stderr).
const fs = require('fs')
const path = require('path')
const mmap = require('mmap-native')

const USAGE = 'usage: node examples/grep.js [-n] [-F] [-i] [-c] [--] PATTERN FILE\n'
const HELP = USAGE + `Prints the lines of FILE that match PATTERN (a JavaScript regular expression over the
bytes read as latin1), searching the mapped file where it lies.
  -n  prefix each line with its line number
  -F  PATTERN is a fixed string
  -i  ignore case (ASCII letters)
  -c  print only the number of matching lines
Exit status: 0 if a line matched, 1 if none did, 2 on an error.
`

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

// A one-line reason for an error with a code, in the words command-line tools use.
const REASONS = {
  ENOENT: 'No such file or directory',
  EISDIR: 'Is a directory',
  EACCES: 'Permission denied',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long'
}

// A usage error: the message, then the usage line, exit status 2.
class UsageError extends Error {}

// The regular expression of `pattern`, or an error that names the pattern and says what is wrong.
function compile (pattern, options) {
  try {
    return toRegExp(pattern, options)
  } catch (err) {
    // V8 says "Invalid regular expression: /source/flags: reason"; the source is the latin1 form.
    const reason = err.message.slice(err.message.lastIndexOf(': ') + 2)
    throw new Error(`invalid regular expression '${pattern}': ${reason}`)
  }
}

// { options, pattern, file } from the command line; { help: true } for --help.
function parseArguments (argv) {
  const options = { fixed: false, ignoreCase: false, countOnly: false, lineNumbers: false }
  const flags = { F: 'fixed', i: 'ignoreCase', c: 'countOnly', n: 'lineNumbers' }
  const rest = []
  let optionsEnded = false
  for (const arg of argv) {
    if (optionsEnded || arg === '-' || !arg.startsWith('-')) {
      rest.push(arg)
    } else if (arg === '--') {
      optionsEnded = true
    } else if (arg === '--help') {
      return { help: true }
    } else if (arg.startsWith('--')) {
      throw new UsageError(`unrecognized option '${arg}'`)
    } else {
      for (const flag of arg.slice(1)) {
        if (!Object.hasOwn(flags, flag)) throw new UsageError(`invalid option -- '${flag}'`)
        options[flags[flag]] = true
      }
    }
  }
  if (rest.length !== 2) throw new UsageError(rest.length < 2 ? 'a PATTERN and a FILE are needed' : 'only one FILE can be searched')
  return { options, pattern: rest[0], file: rest[1] }
}

// Maps `file` read-only; a file that cannot be searched is an error with the file's name.
function openInput (file) {
  // A directory opens, and then fails to map with a puzzling EINVAL: say what it is instead.
  if (fs.statSync(file).isDirectory()) {
    throw Object.assign(new Error(`EISDIR: illegal operation on a directory, ${file}`), { code: 'EISDIR', path: file })
  }
  return mmap.open(file)
}

// The one line grep.js prints for `err`.
function errorLine (err) {
  if (err instanceof UsageError) return err.message
  if (err.path !== undefined && REASONS[err.code] !== undefined) return `${err.path}: ${REASONS[err.code]}`
  return err.message
}

function main (argv) {
  const name = path.basename(__filename)
  try {
    const args = parseArguments(argv)
    if (args.help) {
      process.stdout.write(HELP)
      return 0
    }
    return search(args)
  } catch (err) {
    process.stderr.write(`${name}: ${errorLine(err)}\n`)
    if (err instanceof UsageError) process.stderr.write(USAGE)
    return 2
  }
}

// Prints the matching lines (or their count) and returns grep's exit status.
function search ({ options, pattern, file }) {
  // A bad pattern is reported before the file is opened, as grep does.
  if (!options.fixed || options.ignoreCase) compile(pattern, options)
  const m = openInput(file)
  try {
    // A hint to the kernel: the search reads the file from start to end.
    if (m.length > 0 && mmap.MADV_SEQUENTIAL !== undefined) m.madvise(mmap.MADV_SEQUENTIAL)
    let found = 0
    const out = []
    for (const { line, start, end } of grep(m, pattern, options)) {
      found++
      if (options.countOnly) continue
      if (options.lineNumbers) out.push(Buffer.from(`${line}:`))
      out.push(m.slice(start, end), Buffer.from('\n'))
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

if (require.main === module) {
  // A reader that stops early (`| head`) closes the pipe: stop quietly, as grep does.
  process.stdout.on('error', (err) => {
    if (err.code !== 'EPIPE') process.stderr.write(`${path.basename(__filename)}: ${err.message}\n`)
    process.exit(err.code === 'EPIPE' ? process.exitCode : 2)
  })
  process.exitCode = main(process.argv.slice(2))
}
