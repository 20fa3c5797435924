'use strict'
// line-index.js: random access to line N of a large text file. One pass over the mapped file
// writes the byte offset of every line into an index file; the index is itself mapped and read
// through a zero-copy Float64Array, so looking up a line costs two array reads and one copy of
// that line, however large the file and however often the program starts.
//
//   node examples/line-index.js build FILE         writes FILE.lines, prints the number of lines
//   node examples/line-index.js get FILE N [N...]   prints lines N, ... (1-based), building the
//                                                  index first if it is missing or stale
//
// The index file: a header of Float64 values [MAGIC, file size, file mtime (ms), line count],
// then line count + 1 offsets: line k (0-based) is the bytes [offset[k], offset[k + 1]) without
// its newline. Float64 holds every offset exactly up to 2^53 bytes.
const fs = require('fs')
const mmap = require('mmap-native')

const MAGIC = 0x4c494e45 // 'LINE'
const HEADER = 4

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
        let k = HEADER
        if (lines > 0) offsets[k++] = 0
        // One find() per line: the search runs in C over the mapped bytes. A newline that ends
        // the file starts no line.
        for (let at = data.find('\n', 0); at !== -1 && at + 1 < length; at = data.find('\n', at + 1)) {
          offsets[k++] = at + 1
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

function main ([command, file, ...numbers]) {
  if (command === 'build' && file !== undefined && numbers.length === 0) {
    console.log(buildIndex(file))
    return 0
  }
  if (command === 'get' && file !== undefined && numbers.length > 0) {
    const index = new LineIndex(file)
    try {
      for (const n of numbers) {
        if (!/^\d+$/.test(n) || Number(n) < 1 || Number(n) > index.count) {
          process.stderr.write(`line ${n} is not in 1..${index.count}\n`)
          return 1
        }
        process.stdout.write(Buffer.concat([index.line(Number(n)), Buffer.from('\n')]))
      }
    } finally {
      index.close()
    }
    return 0
  }
  process.stderr.write('usage: node examples/line-index.js build FILE | get FILE N [N...]\n')
  return 2
}

module.exports = { buildIndex, LineIndex }

if (require.main === module) process.exitCode = main(process.argv.slice(2))
