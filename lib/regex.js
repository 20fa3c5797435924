'use strict'
// regex.js: regular-expression search over mapped bytes read as latin1, window by window.
//
// A JavaScript string holds at most ~512 MiB, so a map is searched in windows
// of WINDOW bytes. Each window string also carries up to CONTEXT bytes before
// it (for lookbehind, \b and ^), and a match that ends within CONTEXT bytes of
// a window's cut is searched again from its start in a fresh window. Every
// match up to CONTEXT bytes long is therefore found exactly as if the whole
// range were one string; lookarounds see CONTEXT bytes on either side.

const prefilter = require('./prefilter')

const WINDOW = 64 * 1024 * 1024
const CONTEXT = 1024 * 1024

// A global copy of re (keeping its other flags, sticky included).
function globalCopy (re) {
  return new RegExp(re, re.flags.includes('g') ? re.flags : re.flags + 'g')
}

// Rebases a match found in a window string that starts at byte `base`.
function rebase (match, base) {
  match.index += base
  match.input = undefined
  if (match.indices) {
    // A named group's pair is the same array as its numbered one: shift
    // each array once.
    const pairs = new Set(match.indices)
    if (match.indices.groups) for (const pair of Object.values(match.indices.groups)) pairs.add(pair)
    for (const pair of pairs) {
      if (pair) {
        pair[0] += base
        pair[1] += base
      }
    }
  }
  return match
}

// Yields the matches of re in bytes [start, end) of the map; latin1(s, e)
// returns the bytes [s, e) as a string.
function * matches (latin1, re, start, end) {
  const g = globalCopy(re)
  const sticky = g.sticky
  let loadedAt = -1
  let base = 0
  let windowEnd = 0
  let text = ''
  const load = (at) => {
    loadedAt = at
    base = Math.max(0, at - CONTEXT)
    windowEnd = Math.min(end, at + WINDOW)
    text = latin1(base, windowEnd)
  }
  let pos = start
  load(pos)
  while (pos <= end) {
    g.lastIndex = pos - base
    const match = g.exec(text)
    if (match === null) {
      if (windowEnd === end || sticky) return
      // Matches that start in the last CONTEXT bytes may run past the cut:
      // the next window starts that far back.
      pos = Math.max(pos, windowEnd - CONTEXT)
      load(pos)
      continue
    }
    const matchStart = base + match.index
    const matchEnd = matchStart + match[0].length
    if (windowEnd < end && matchEnd > windowEnd - CONTEXT && matchStart > loadedAt) {
      // The cut may have shortened or changed this match, or hidden an
      // earlier one that starts in the last CONTEXT bytes and ends past the
      // cut. Matches starting before windowEnd - CONTEXT (and no longer than
      // CONTEXT) were seen whole, so look again from the earlier of this
      // match and that point, in a fresh window.
      pos = Math.min(matchStart, Math.max(pos, windowEnd - CONTEXT))
      load(pos)
      continue
    }
    yield rebase(match, base)
    pos = matchEnd === matchStart ? matchEnd + 1 : matchEnd
    if (pos > windowEnd && pos <= end) load(pos)
  }
}

const NEWLINE = Buffer.from('\n')

// The matches of re in [start, end), found through a prefilter (see
// prefilter.js): `literals` are byte strings one of which every match
// contains, and no match or lookaround can reach past a '\n'. The first
// match at or after pos lies in the line of the first literal at or after
// pos, so only lines holding a literal are given to the RegExp, each as a
// window from the '\n' before it to the '\n' after it (the bytes that decide
// ^, $, \b and lookarounds there, as in the whole text). ops: latin1(s, e),
// find(needle, s, e) and rfind(needle, s, e) over the map.
function * prefiltered (ops, re, start, end, literals) {
  const g = globalCopy(re)
  // The plain path's first window starts here: lookbehinds see no further.
  const floor = Math.max(0, start - CONTEXT)
  const next = literals.map(() => -2) // the next occurrence of each; -2: not looked for yet
  let pos = start
  while (pos < end) {
    let c = -1
    for (let i = 0; i < literals.length; i++) {
      if (next[i] === -1) continue
      if (next[i] < pos) next[i] = ops.find(literals[i], pos, end)
      if (next[i] !== -1 && (c === -1 || next[i] < c)) c = next[i]
    }
    if (c === -1) return
    // The line around c, from the '\n' before it (or floor) to the one after
    // it (or end); lines longer than CONTEXT go to the plain path.
    const lo = Math.max(floor, c - CONTEXT)
    const before = ops.rfind(NEWLINE, lo, c)
    if (before === -1 && lo > floor) {
      yield * matches(ops.latin1, re, pos, end)
      return
    }
    const hi = Math.min(end, c + CONTEXT)
    const after = ops.find(NEWLINE, c, hi)
    if (after === -1 && hi < end) {
      yield * matches(ops.latin1, re, pos, end)
      return
    }
    const ws = before === -1 ? floor : before
    const lineStart = before === -1 ? floor : before + 1
    const we = after === -1 ? end : after + 1
    const text = ops.latin1(ws, we)
    g.lastIndex = Math.max(pos, lineStart) - ws
    for (;;) {
      const match = g.exec(text)
      if (match === null) break
      const matchEnd = ws + match.index + match[0].length
      yield rebase(match, ws)
      // Matches are never empty (each holds a literal).
      pos = matchEnd
    }
    pos = Math.max(pos, we)
  }
}

// Prefilter plans of recent RegExps (by source and flags).
const plans = new Map()
function regexPlan (re) {
  const key = `${re.flags}/${re.source}`
  let literals = plans.get(key)
  if (literals === undefined) {
    literals = prefilter.plan(re)
    if (plans.size >= 64) plans.delete(plans.keys().next().value)
    plans.set(key, literals)
  }
  return literals
}

// The matches of re in [start, end) of a map reached through ops (latin1,
// find, rfind): with a literal prefilter when re requires a literal, else
// window by window.
function search (ops, re, start, end) {
  const literals = regexPlan(re)
  if (literals === null) return matches(ops.latin1, re, start, end)
  return prefiltered(ops, re, start, end, literals)
}

module.exports = { search, matches, prefiltered, WINDOW, CONTEXT }
