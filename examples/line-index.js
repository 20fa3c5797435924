'use strict'
// line-index.js: random access to line N of a large text file. One pass over the mapped file
// writes the byte offset of every line into an index file; the index is itself mapped and read
// through a zero-copy Float64Array, so looking up a line costs two array reads and one copy of
// that line, however large the file and however often the program starts.
//
//   node examples/line-index.js build FILE         writes FILE.lines, prints the number of lines
//   node examples/line-index.js get FILE N [N...]   prints lines N, ... (1-based), building the
//                                                  index first if it is missing or stale
//   node examples/line-index.js --help
// Exit status: 0 done, 1 a line number past the last line, 2 an error (a message on stderr).
//
// The index file: a header of Float64 values [MAGIC, file size, file mtime (ms), line count],
// then line count + 1 offsets: line k (0-based) is the bytes [offset[k], offset[k + 1]) without
// its newline. Float64 holds every offset exactly up to 2^53 bytes.
const fs = require('fs')
const path = require('path')
const mmap = require('mmap-native')

const USAGE = 'usage: node examples/line-index.js build FILE | get FILE N [N...]\n'
const HELP = USAGE + `  build FILE       index the lines of FILE into FILE.lines; print the number of lines
  get FILE N...    print lines N... of FILE (1-based), indexing it first if needed
Exit status: 0 done, 1 a line number past the last line, 2 an error.
`

const MAGIC = 0x4c494e45 // 'LINE'
const HEADER = 4
const CHUNK = 64 * 1024 * 1024 // bytes of the file per lineOffsets() call

// Writes the index of `file` to `indexFile` and returns the number of lines.
function buildIndex (file, indexFile = `${file}.lines`) {
  const stat = fs.statSync(file)
  const data = mmap.open(file)
  try {
    const length = data.length
    // Lines: one per newline, plus a last line without one.
    const newlines = data.count('\n')
    const lines = newlines + (length > 0 && data.get(length - 1) !== 0x0a ? 1 : 0)
    const bytes = (HEADER + lines + 1) * 8
    const fd = fs.openSync(indexFile, 'w+')
    try {
      fs.ftruncateSync(fd, bytes)
      const index = new mmap.Mmap(fd, bytes, { access: mmap.ACCESS_WRITE })
      try {
        const offsets = new Float64Array(index.buffer)
        // lineOffsets() finds line starts in bulk (a SIMD newline scan in C), chunk by chunk so
        // the array it returns stays small whatever the file's size. Each chunk's last line may
        // run past the chunk: it starts the next chunk instead.
        let k = HEADER
        for (let s = 0; s < length;) {
          let e = Math.min(length, s + CHUNK)
          let starts = data.lineOffsets(s, e)
          while (e < length && starts.length < 2) {
            e = Math.min(length, e + CHUNK)
            starts = data.lineOffsets(s, e)
          }
          const take = e < length ? starts.length - 1 : starts.length
          offsets.set(starts.subarray(0, take), k)
          k += take
          s = e < length ? starts[take] : length
        }
        offsets[k] = length
        offsets.set([MAGIC, stat.size, stat.mtimeMs, lines], 0)
        index.flush()
      } finally {
        index.close()
      }
    } finally {
      fs.closeSync(fd)
    }
    return lines
  } finally {
    data.close()
  }
}

// An open file with its index: `count` lines, `line(n)` the bytes of line n (1-based).
class LineIndex {
  #data
  #index
  #offsets

  constructor (file, indexFile = `${file}.lines`) {
    if (!LineIndex.isFresh(file, indexFile)) buildIndex(file, indexFile)
    this.#index = mmap.open(indexFile)
    this.#offsets = new Float64Array(this.#index.buffer)
    this.#data = mmap.open(file)
  }

  // The index exists and describes the file as it is now.
  static isFresh (file, indexFile) {
    let header
    try {
      const fd = fs.openSync(indexFile, 'r')
      try {
        header = Buffer.alloc(HEADER * 8)
        if (fs.readSync(fd, header, 0, header.length, 0) !== header.length) return false
      } finally {
        fs.closeSync(fd)
      }
    } catch (err) {
      if (err.code === 'ENOENT') return false
      throw err
    }
    const stat = fs.statSync(file)
    const [magic, size, mtimeMs, lines] = new Float64Array(header.buffer, header.byteOffset, HEADER)
    return magic === MAGIC && size === stat.size && mtimeMs === stat.mtimeMs &&
      fs.statSync(indexFile).size === (HEADER + lines + 1) * 8
  }

  get count () {
    return this.#offsets[3]
  }

  // The byte range [start, end) of line n (1-based), without the newline.
  range (n) {
    if (!Number.isInteger(n) || n < 1 || n > this.count) {
      throw new RangeError(`line ${n} is not in 1..${this.count}`)
    }
    const start = this.#offsets[HEADER + n - 1]
    let end = this.#offsets[HEADER + n]
    if (end > start && this.#data.get(end - 1) === 0x0a) end--
    return [start, end]
  }

  // The bytes of line n (1-based), without the newline: a copy of that range of the map.
  line (n) {
    const [start, end] = this.range(n)
    return this.#data.slice(start, end)
  }

  close () {
    this.#data.close()
    this.#index.close()
  }
}

// A usage error: the message, then the usage line, exit status 2.
class UsageError extends Error {}

// A one-line reason for an error with a code, in the words command-line tools use.
const REASONS = {
  ENOENT: 'No such file or directory',
  EISDIR: 'Is a directory',
  EACCES: 'Permission denied',
  ENOTDIR: 'Not a directory',
  EROFS: 'Read-only file system',
  ENOSPC: 'No space left on device'
}

// { command, file, numbers } from the command line; { help: true } for --help.
function parseArguments (argv) {
  if (argv.includes('--help')) return { help: true }
  const [command, file, ...numbers] = argv
  if (command !== 'build' && command !== 'get') {
    throw new UsageError(command === undefined ? 'a command is needed' : `unknown command '${command}'`)
  }
  if (file === undefined) throw new UsageError(`${command} needs a FILE`)
  if (command === 'build' && numbers.length > 0) throw new UsageError('build takes one FILE and no line numbers')
  if (command === 'get' && numbers.length === 0) throw new UsageError('get needs at least one line number')
  for (const n of numbers) {
    if (!/^[0-9]+$/.test(n) || !Number.isSafeInteger(Number(n)) || Number(n) < 1) {
      throw new UsageError(`'${n}' is not a line number (a whole number from 1)`)
    }
  }
  // A directory would fail later with a puzzling error from mmap: say what it is.
  if (fs.statSync(file).isDirectory()) {
    throw Object.assign(new Error(`EISDIR: illegal operation on a directory, ${file}`), { code: 'EISDIR', path: file })
  }
  return { command, file, numbers: numbers.map(Number) }
}

// The one line printed for `err`.
function errorLine (err) {
  if (err.path !== undefined && REASONS[err.code] !== undefined) return `${err.path}: ${REASONS[err.code]}`
  return err.message
}

function run ({ command, file, numbers }) {
  if (command === 'build') {
    console.log(buildIndex(file))
    return 0
  }
  const index = new LineIndex(file)
  try {
    for (const n of numbers) {
      if (n > index.count) {
        process.stderr.write(`line ${n} is not in 1..${index.count}\n`)
        return 1
      }
      process.stdout.write(Buffer.concat([index.line(n), Buffer.from('\n')]))
    }
  } finally {
    index.close()
  }
  return 0
}

function main (argv) {
  try {
    const args = parseArguments(argv)
    if (args.help) {
      process.stdout.write(HELP)
      return 0
    }
    return run(args)
  } catch (err) {
    process.stderr.write(`${path.basename(__filename)}: ${errorLine(err)}\n`)
    if (err instanceof UsageError) process.stderr.write(USAGE)
    return 2
  }
}

module.exports = { buildIndex, LineIndex }

if (require.main === module) process.exitCode = main(process.argv.slice(2))
