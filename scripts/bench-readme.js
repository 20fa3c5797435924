#!/usr/bin/env node
'use strict'
// scripts/bench-readme.js (npm run bench:readme): copies the table of one
// `npm run bench` run (bench/results.md) into README.md, split into the README's
// sections, so every benchmark table in the README comes from the same run.
//
// The README marks each table with a pair of comments:
//   <!-- bench-table:NAME --> ... <!-- /bench-table:NAME -->
// and everything between them is replaced by that section's rows and the run's
// command line. A row goes to the first section whose pattern matches its
// operation; rows that match none go to `main`. A section without markers in
// the README is left alone (its rows are reported). Options: --results PATH,
// --readme PATH, --check (exit 1 if the README differs; writes nothing).

const fs = require('fs')
const path = require('path')

const SECTIONS = [
  ['async', /Async|prefetch\(\)|event-loop|^control:/],
  ['lines', /^lines\(\)|^readline\(\) loop|^lineOffsets\(\)|^search\(\/|^matchAll\(|^read\(\) of the whole map, \d+ MiB/],
  ['main', /./]
]

function parseArgs (argv) {
  const root = path.join(__dirname, '..')
  const o = { results: path.join(root, 'bench', 'results.md'), readme: path.join(root, 'README.md'), check: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--check') o.check = true
    else if (a === '--results' || a === '--readme') o[a.slice(2)] = argv[++i]
    else throw new Error(`unknown argument ${a}`)
  }
  return o
}

function splitRow (line) {
  return line.replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim())
}

function mdTable (header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const fmt = (r) => '| ' + r.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |'
  return [fmt(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(fmt)].join('\n')
}

function parseResults (text) {
  const lines = text.split('\n')
  const tableLines = lines.filter((l) => l.startsWith('|'))
  if (tableLines.length < 3) throw new Error('no table in the results file')
  const header = splitRow(tableLines[0])
  const rows = tableLines.slice(2).map(splitRow)
  const meta = lines.find((l) => l.startsWith('`npm run bench') || l.startsWith('`node bench/run.js'))
  if (!meta) throw new Error('no command line under the table in the results file')
  return { header, rows, meta }
}

function group (rows) {
  const out = new Map(SECTIONS.map(([name]) => [name, []]))
  for (const r of rows) {
    const [name] = SECTIONS.find(([, re]) => re.test(r[0]))
    out.get(name).push(r)
  }
  return out
}

function render (readme, { header, rows, meta }) {
  const groups = group(rows)
  const unplaced = []
  let text = readme
  for (const [name, rs] of groups) {
    const open = `<!-- bench-table:${name} -->`
    const close = `<!-- /bench-table:${name} -->`
    const a = text.indexOf(open)
    const b = text.indexOf(close)
    if (a < 0 || b < a) {
      if (rs.length) unplaced.push(`${name} (${rs.length} rows)`)
      continue
    }
    const body = rs.length ? mdTable(header, rs) + '\n\n' + meta : '(no rows of this section in the run)'
    text = text.slice(0, a + open.length) + '\n' + body + '\n' + text.slice(b)
  }
  return { text, unplaced }
}

function main () {
  const o = parseArgs(process.argv.slice(2))
  const results = parseResults(fs.readFileSync(o.results, 'utf8'))
  const readme = fs.readFileSync(o.readme, 'utf8')
  const { text, unplaced } = render(readme, results)
  if (unplaced.length) process.stderr.write(`bench-readme: no markers in the README for: ${unplaced.join(', ')}\n`)
  if (o.check) {
    if (text !== readme) {
      process.stderr.write('bench-readme: README.md does not hold the tables of ' + o.results + '\n')
      process.exitCode = 1
    }
    return
  }
  if (text !== readme) fs.writeFileSync(o.readme, text)
  process.stdout.write(`bench-readme: ${results.rows.length} rows from ${path.relative(process.cwd(), o.results)} into ${path.relative(process.cwd(), o.readme)}\n`)
}

if (require.main === module) main()
module.exports = { parseResults, render, group }
