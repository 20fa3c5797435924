'use strict'
// prefilter.js: what every match of a RegExp must contain, read from its source, so that
// search() and matchAll() find candidates with the native find kernel first (as ripgrep and
// RE2 do) and run the RegExp only on the line around each candidate.
//
// plan(re) returns null unless both hold, proven from the source alone:
//   - every match contains one of a few literal strings (each byte-sized, non-empty);
//   - nothing in the pattern (lookarounds included) can match a '\n', so every
//     match lies inside one line and its context ends at the '\n' on either side.
// Anything the parser does not fully understand gives null: the caller keeps the
// plain path. Flags i, v and y give null (case folding, class sets, stickiness).

const MAX_LITERALS = 8

class Bail extends Error {}
function bail () {
  throw new Bail()
}

// A parsed piece: lits: null (no literal is required) or an array of strings, one
// of which every match of the piece contains; exact: the one string the piece
// always matches, or null; nl: whether it can match or look at a '\n'.
function piece (lits, exact, nl) {
  return { lits, exact, nl }
}

// The better of two literal sets: the longer shortest member, then fewer members.
function better (a, b) {
  if (a === null) return b
  if (b === null) return a
  const ma = Math.min(...a.map((s) => s.length))
  const mb = Math.min(...b.map((s) => s.length))
  if (ma !== mb) return ma > mb ? a : b
  return a.length <= b.length ? a : b
}

class Parser {
  constructor (source, flags) {
    this.s = source
    this.i = 0
    this.unicode = flags.includes('u')
    this.dotAll = flags.includes('s')
  }

  peek () {
    return this.s[this.i]
  }

  disjunction () {
    const branches = [this.alternative()]
    while (this.peek() === '|') {
      this.i++
      branches.push(this.alternative())
    }
    if (branches.length === 1) return branches[0]
    let lits = []
    let nl = false
    for (const b of branches) {
      nl = nl || b.nl
      const own = b.exact !== null && b.exact.length > 0 ? [b.exact] : b.lits
      if (own === null || lits === null) lits = null
      else lits = lits.concat(own)
    }
    if (lits !== null) lits = [...new Set(lits)]
    if (lits !== null && lits.length > MAX_LITERALS) lits = null
    return piece(lits, null, nl)
  }

  alternative () {
    let best = null
    let run = ''
    let exact = ''
    let nl = false
    const endRun = () => {
      if (run.length > 0) best = better(best, [run])
      run = ''
    }
    while (this.i < this.s.length && this.peek() !== '|' && this.peek() !== ')') {
      const t = this.term()
      nl = nl || t.nl
      if (t.exact !== null) {
        run += t.exact
        if (exact !== null) exact += t.exact
        if (t.exact.length === 0) endRun()
      } else {
        endRun()
        exact = null
        best = better(best, t.lits)
      }
    }
    endRun()
    return piece(best, exact, nl)
  }

  term () {
    const c = this.peek()
    // Assertions: zero-width, no literal (exact '' ends a run of literals).
    if (c === '^' || c === '$') {
      this.i++
      return piece(null, '', false)
    }
    if (c === '\\' && (this.s[this.i + 1] === 'b' || this.s[this.i + 1] === 'B')) {
      this.i += 2
      return piece(null, '', false)
    }
    if (c === '(' && this.s[this.i + 1] === '?') {
      const look = this.s.slice(this.i + 2, this.i + 4)
      let len = 0
      if (look[0] === '=' || look[0] === '!') len = 3
      else if (look === '<=' || look === '<!') len = 4
      if (len > 0) {
        this.i += len
        const inner = this.disjunction()
        if (this.peek() !== ')') bail()
        this.i++
        if (this.quantifier() !== null) bail()
        return piece(null, '', inner.nl)
      }
    }
    const atom = this.atom()
    const q = this.quantifier()
    if (q === null) return atom
    if (q.min === 0) return piece(null, null, atom.nl)
    const lits = atom.exact !== null && atom.exact.length > 0 ? [atom.exact] : atom.lits
    return piece(lits, null, atom.nl)
  }

  // { min } of a quantifier at this.i (consumed), or null when there is none.
  quantifier () {
    const c = this.peek()
    let min
    if (c === '*' || c === '?') {
      min = 0
      this.i++
    } else if (c === '+') {
      min = 1
      this.i++
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.s.slice(this.i))
      if (m === null) bail()
      min = Number(m[1])
      this.i += m[0].length
    } else {
      return null
    }
    if (this.peek() === '?') this.i++
    return { min }
  }

  atom () {
    const c = this.peek()
    if (c === '(') {
      this.i++
      if (this.peek() === '?') {
        if (this.s[this.i + 1] === ':') {
          this.i += 2
        } else if (this.s[this.i + 1] === '<') {
          const m = /^\?<([^>]+)>/.exec(this.s.slice(this.i))
          if (m === null) bail()
          this.i += m[0].length
        } else {
          bail() // modifiers and anything else
        }
      }
      const inner = this.disjunction()
      if (this.peek() !== ')') bail()
      this.i++
      return inner
    }
    if (c === '.') {
      this.i++
      return piece(null, null, this.dotAll)
    }
    if (c === '[') return this.charClass()
    if (c === '\\') {
      const e = this.escape(false)
      if (e.set !== undefined) return piece(null, null, e.nl)
      return this.char(e.code)
    }
    if (c === undefined || '*+?{}])|'.includes(c)) bail()
    const code = this.s.codePointAt(this.i)
    this.i += code > 0xffff && this.unicode ? 2 : 1
    if (code > 0xffff && !this.unicode) bail()
    return this.char(code)
  }

  char (code) {
    if (code === 10) return piece(null, null, true)
    // Text is read as latin1: a character past 0xff matches no byte, so it
    // cannot be looked for; give up rather than reason about it.
    if (code > 0xff) return piece(null, null, false)
    return piece(null, String.fromCharCode(code), false)
  }

  // An escape at this.i: { code } for one character, or { set: true, nl } for
  // a class escape. inClass: inside [...], where \b is a backspace.
  escape (inClass) {
    this.i++ // the backslash
    const c = this.peek()
    if (c === undefined) bail()
    this.i++
    switch (c) {
      case 'd': case 'w': case 'S':
        return { set: true, nl: false }
      case 'D': case 'W': case 's':
        return { set: true, nl: true }
      case 'n': return { code: 10 }
      case 'r': return { code: 13 }
      case 't': return { code: 9 }
      case 'v': return { code: 11 }
      case 'f': return { code: 12 }
      case 'b':
        if (inClass) return { code: 8 }
        bail()
        break
      case '0':
        if (/[0-9]/.test(this.peek() ?? '')) bail() // legacy octal
        return { code: 0 }
      case 'c': {
        const l = this.peek()
        if (l === undefined || !/[A-Za-z]/.test(l)) bail()
        this.i++
        return { code: l.charCodeAt(0) % 32 }
      }
      case 'x': {
        const m = /^[0-9a-fA-F]{2}/.exec(this.s.slice(this.i))
        if (m === null) bail()
        this.i += 2
        return { code: parseInt(m[0], 16) }
      }
      case 'u': {
        let m = /^[0-9a-fA-F]{4}/.exec(this.s.slice(this.i))
        if (m !== null) {
          this.i += 4
          const code = parseInt(m[0], 16)
          if (code >= 0xd800 && code <= 0xdfff) bail() // a surrogate, maybe half a pair
          return { code }
        }
        m = this.unicode ? /^\{([0-9a-fA-F]+)\}/.exec(this.s.slice(this.i)) : null
        if (m === null) bail()
        this.i += m[0].length
        return { code: parseInt(m[1], 16) }
      }
      case 'p': case 'P': case 'k':
        bail()
        break
      default:
        // Back references (\1...) and anything alphanumeric we do not know.
        if (/[0-9A-Za-z]/.test(c)) bail()
        return { code: c.codePointAt(0) }
    }
  }

  // [...] or [^...]: never a literal; nl when it can match '\n'.
  charClass () {
    this.i++
    let negated = false
    if (this.peek() === '^') {
      negated = true
      this.i++
    }
    let hasNl = false
    let prev = null // the code of the last single character, for ranges
    while (this.peek() !== ']') {
      const c = this.peek()
      if (c === undefined) bail()
      if (c === '[' && this.unicode) bail()
      if (c === '-' && prev !== null && this.s[this.i + 1] !== ']') {
        this.i++
        let hi
        if (this.peek() === '\\') {
          const e = this.escape(true)
          if (e.set !== undefined) bail()
          hi = e.code
        } else {
          hi = this.s.codePointAt(this.i)
          this.i += hi > 0xffff ? 2 : 1
        }
        if (prev <= 10 && hi >= 10) hasNl = true
        prev = null
        continue
      }
      if (c === '\\') {
        const e = this.escape(true)
        if (e.set !== undefined) {
          if (e.nl) hasNl = true
          prev = null
        } else {
          if (e.code === 10) hasNl = true
          prev = e.code
        }
        continue
      }
      const code = this.s.codePointAt(this.i)
      this.i += code > 0xffff ? 2 : 1
      if (code === 10) hasNl = true
      prev = code
    }
    this.i++
    // [^...] matches '\n' unless '\n' is among what it excludes; a class with
    // a set escape like \S excludes '\n' only when \S is alone, so be plain:
    // a negated class is newline-safe only when it names '\n' itself.
    return piece(null, null, negated ? !hasNl : hasNl)
  }
}

// The literals every match of re contains, as latin1 Buffers; null when the
// prefilter cannot be used soundly.
function plan (re) {
  const flags = re.flags
  if (/[ivy]/.test(flags)) return null
  try {
    const p = new Parser(re.source, flags)
    const top = p.disjunction()
    if (p.i !== p.s.length) return null
    if (top.nl) return null
    const lits = top.exact !== null && top.exact.length > 0 ? [top.exact] : top.lits
    if (lits === null || lits.length === 0 || lits.some((s) => s.length === 0)) return null
    return lits.map((s) => Buffer.from(s, 'latin1'))
  } catch (err) {
    if (err instanceof Bail) return null
    throw err
  }
}

module.exports = { plan }
