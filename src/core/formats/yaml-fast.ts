// A fast parser for the YAML that configs are made of, giving what the yaml package's path gives
// (the same data, reference locations and template) in one pass, or nothing: then the yaml
// package parses the file (anything this parser does not handle, and every error, goes there).
import { mentionsSecret, parseReferences } from '../reference'
import type { ReferencePart } from '../reference'
import type { SourceLocation } from '../errors'
import { lineStarts, locate, referenceOffset } from '../locate'
import { setAt } from './module'
import type { SecretLookup } from './types'
import { MAX_YAML_LENGTH } from './yaml'
import type { TemplateReference, YamlTemplate } from './yaml'

/** A string value that mentions `${secret.` as written: where it is, and its parts. */
interface Mentioned {
  doc: number
  path: (string | number)[]
  start: number
  end: number
  value: string
  parts: ReferencePart[]
}

/**
 * What the fast parser found: the documents (`''` where a string holds references) and the
 * mentions, in document order.
 */
export interface FastYaml {
  documents: unknown[]
  mentioned: Mentioned[]
  /** A mapping key starts with a digit: Object.keys may list it before keys written above it. */
  digitKeys: boolean
}

/**
 * Thrown inside the parser to give the file to the yaml package; `reason` says why (tests and the
 * bench count them).
 */
class Bail {
  constructor(readonly reason: string) {}
}

/**
 * Deeper nesting goes to the yaml package, which reports what it cannot parse (it overflows its
 * stack near 1,000 levels).
 */
const MAX_DEPTH = 100
/** The yaml package limits an implicit key to 1,024 characters; longer ones go to it for the error. */
const MAX_KEY_LENGTH = 1000

/**
 * Characters this parser leaves to the yaml package: tabs (they matter to
 * indentation), controls, line breaks other than LF and CRLF, a BOM after
 * the first character, non-characters. (One character class: V8 scans it
 * several times faster than an alternation.)
 */
// eslint-disable-next-line no-control-regex -- control characters are what the fast path leaves to the yaml package
const UNHANDLED_CHARACTER = /[\t\0-\x08\v\f\x0E-\x1F\x7F-\x9F\u2028\u2029\uFEFF\uFFFE\uFFFF]/g

/** Whether every CR in `code` starts a CRLF. */
function onlyCrlf(code: string): boolean {
  for (let cr = code.indexOf('\r'); cr !== -1; cr = code.indexOf('\r', cr + 1)) {
    if (code.charCodeAt(cr + 1) !== 10) return false
  }
  return true
}

const SPACE = 32
const HASH = 35
const COLON = 58
const DASH = 45
const DOUBLE_QUOTE = 34
const SINGLE_QUOTE = 39
const OPEN_BRACKET = 91
const CLOSE_BRACKET = 93
const OPEN_BRACE = 123
const CLOSE_BRACE = 125
const COMMA = 44

/** `-?:,[]{}#&*!|>'"%@` and backtick: a plain scalar may not start with one (`-?:` may, before a non-space). */
const INDICATOR = new Uint8Array(128)
for (const char of '-?:,[]{}#&*!|>\'"%@`') INDICATOR[char.charCodeAt(0)] = 1
const isFlowIndicator = (code: number) =>
  code === COMMA || code === OPEN_BRACKET || code === CLOSE_BRACKET || code === OPEN_BRACE || code === CLOSE_BRACE

/** The YAML 1.2 core schema's plain scalars, tested in the yaml package's order (its core `schema` list). */
const CORE_NULL = /^(?:~|[Nn]ull|NULL)?$/
const CORE_BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/
const CORE_OCT = /^0o[0-7]+$/
const CORE_INT = /^[-+]?\d+$/
const CORE_HEX = /^0x[0-9a-fA-F]+$/
const CORE_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/
const CORE_EXP = /^[-+]?(?:\.\d+|\d+(?:\.\d*)?)[eE][-+]?\d+$/
const CORE_FLOAT = /^[-+]?(?:\.\d+|\d+\.\d*)$/

/**
 * Whether a plain scalar starting with `code` can be anything but a string: a digit, `+-.~`, or the
 * first letter of null, true, false.
 */
function mayBeNonString(code: number): boolean {
  return (code >= 48 && code <= 57) || code === 43 || code === 45 || code === 46 || code === 126
    || code === 110 || code === 78 || code === 116 || code === 84 || code === 102 || code === 70
}

/** A plain scalar's value under the core schema, as the yaml package resolves it. */
export function resolvePlain(text: string): unknown {
  if (!mayBeNonString(text.charCodeAt(0))) return text
  if (CORE_NULL.test(text)) return null
  if (CORE_BOOL.test(text)) return text[0] === 't' || text[0] === 'T'
  if (CORE_OCT.test(text)) return Number.parseInt(text.slice(2), 8)
  if (CORE_INT.test(text)) return Number.parseInt(text, 10)
  if (CORE_HEX.test(text)) return Number.parseInt(text.slice(2), 16)
  if (CORE_NAN.test(text))
    return text.slice(-3).toLowerCase() === 'nan' ? Number.NaN : text[0] === '-' ? -Infinity : Infinity
  if (CORE_EXP.test(text) || CORE_FLOAT.test(text)) return Number.parseFloat(text)
  return text
}

/** A mapping key as a JS property name: the yaml package's `String(value)`, with null as `''`. */
function keyString(value: unknown): string {
  return value === null ? '' : typeof value === 'string' ? value : String(value)
}

const LINE = /(.*?)\r?\n/sy
const TRIM_END = /(?<! ) +$/
const TRIM_BOTH = /^ +|(?<! ) +$/g
const LAST_LINE = / *(.*)/sy

/**
 * Folds a multi-line plain or single-quoted scalar's source: the yaml package's `unfoldLines` (tabs
 * never reach here).
 */
function unfoldLines(source: string): string {
  LINE.lastIndex = 0
  let match = LINE.exec(source)
  if (!match) return source
  let folded = match[1]!.replace(TRIM_END, '')
  let separator = ' '
  let pos = LINE.lastIndex
  for (match = LINE.exec(source); match; match = LINE.exec(source)) {
    const line = match[1]!.replace(TRIM_BOTH, '')
    if (line === '') {
      if (separator === '\n') folded += separator
      else separator = '\n'
    }
    else {
      folded += separator + line
      separator = ' '
    }
    pos = LINE.lastIndex
  }
  LAST_LINE.lastIndex = pos
  return folded + separator + (LAST_LINE.exec(source)?.[1] ?? '')
}

const ESCAPES: Record<string, string> = {
  '0': '\0',
  'a': '\x07',
  'b': '\b',
  'e': '\x1B',
  'f': '\f',
  'n': '\n',
  'r': '\r',
  't': '\t',
  'v': '\v',
  'N': '\u0085',
  '_': '\u00A0',
  'L': '\u2028',
  'P': '\u2029',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
}
const HEX_DIGITS = /^[0-9a-fA-F]+$/

/**
 * A double-quoted scalar's value from its source (quotes included): the
 * yaml package's `doubleQuotedValue`, giving up where it would report an
 * error (a bad escape) or on an escaped line break before an empty line.
 */
function doubleQuotedValue(source: string): string {
  let value = ''
  for (let i = 1; i < source.length - 1; ++i) {
    const char = source[i]!
    if (char === '\r' && source[i + 1] === '\n') continue
    if (char === '\n') {
      let fold = ''
      let next = source[i + 1]
      while (next === ' ' || next === '\n' || next === '\r') {
        if (next === '\n') fold += '\n'
        next = source[++i + 1]
      }
      value += fold || ' '
    }
    else if (char === '\\') {
      const next = source[++i]!
      const escaped = ESCAPES[next]
      if (escaped) {
        value += escaped
      }
      else if (next === '\n' || (next === '\r' && source[i + 1] === '\n')) {
        if (next === '\r') i++
        while (source[i + 1] === ' ') i++
        if (source[i + 1] === '\n' || source[i + 1] === '\r')
          throw new Bail('an escaped line break before an empty line')
      }
      else if (next === 'x' || next === 'u' || next === 'U') {
        const length = next === 'x' ? 2 : next === 'u' ? 4 : 8
        const digits = source.substr(i + 1, length)
        const code = digits.length === length && HEX_DIGITS.test(digits) ? Number.parseInt(digits, 16) : Number.NaN
        if (!(code <= 0x10FFFF)) throw new Bail('a bad escape')
        value += String.fromCodePoint(code)
        i += length
      }
      else {
        throw new Bail('a bad escape')
      }
    }
    else if (char === ' ') {
      const start = i
      while (source[i + 1] === ' ') i++
      const next = source[i + 1]
      if (next !== '\n' && !(next === '\r' && source[i + 2] === '\n')) value += source.slice(start, i + 1)
    }
    else {
      value += char
    }
  }
  return value
}

/**
 * The parser. It reads line by line: the current line is `lineStart` to
 * `lineEnd` (before its line break), its first character that is not a
 * space is at `content`, and `indent` is that column, or -1 on a document
 * marker (`---`, `...`) and at the end of the text. Blank and comment-only
 * lines are skipped. Each parse method starts on the line its node starts
 * on and returns with the reader on the first line after the node.
 */
class ConfigYamlParser {
  lineStart = 0
  lineEnd = 0
  nextLine = 0
  content = 0
  indent = -1
  atEnd = false
  /** After a key: where its `:` ends. After a flow node: where it ends. */
  position = 0
  /** Whether the last {@link advance} passed a comment-only line. */
  skippedComment = false
  /** Whether a comment ended the plain scalar's text on the line {@link plainLineEnd} read. */
  endedByComment = false
  /** Whether the last key read was explicit (`? key` then `: value`): its value may be a compact collection. */
  explicitKey = false
  readonly path: (string | number)[] = []
  doc = 0
  readonly mentioned: Mentioned[] = []
  digitKeys = false
  readonly length: number
  readonly mentions: boolean

  constructor(readonly code: string) {
    this.length = code.length
    this.mentions = mentionsSecret(code)
  }

  parseStream(start: number): unknown[] {
    const documents: unknown[] = []
    this.nextLine = start
    this.advance()
    while (!this.atEnd) {
      if (this.indent === -1) {
        if (this.code.startsWith('...', this.lineStart)) throw new Bail('a document end marker with no document')
        this.expectLineEnd(this.lineStart + 3, 'content after ---')
        this.advance()
        documents.push(this.atEnd || this.indent === -1 ? null : this.parseRoot())
      }
      else {
        documents.push(this.parseRoot())
      }
      this.doc++
      if (!this.atEnd && this.code.startsWith('...', this.lineStart)) {
        this.expectLineEnd(this.lineStart + 3, 'content after ...')
        this.advance()
      }
    }
    return documents
  }

  /** Moves to the next line that is neither blank nor only a comment. */
  advance(): void {
    const code = this.code
    this.skippedComment = false
    while (this.nextLine < this.length) {
      const start = this.nextLine
      const newline = code.indexOf('\n', start)
      const end = newline === -1 ? this.length : newline
      this.nextLine = newline === -1 ? this.length : newline + 1
      const lineEnd = code.charCodeAt(end - 1) === 13 && end > start ? end - 1 : end
      let content = start
      while (content < lineEnd && code.charCodeAt(content) === SPACE) content++
      if (content === lineEnd) continue
      if (code.charCodeAt(content) === HASH) {
        this.skippedComment = true
        continue
      }
      this.lineStart = start
      this.lineEnd = lineEnd
      this.content = content
      this.indent = content === start && this.isMarker(start, lineEnd) ? -1 : content - start
      return
    }
    this.lineStart = this.lineEnd = this.content = this.length
    this.indent = -1
    this.atEnd = true
  }

  isMarker(start: number, end: number): boolean {
    const code = this.code
    return (
      (code.startsWith('---', start) || code.startsWith('...', start))
      && (end === start + 3 || code.charCodeAt(start + 3) === SPACE)
    )
  }

  /** Whether `at` ends the current line's text or is a space. */
  isBlank(at: number): boolean {
    return at >= this.lineEnd || this.code.charCodeAt(at) === SPACE
  }

  /** Nothing but spaces and a comment may follow `from` on the current line. */
  expectLineEnd(from: number, what: string): void {
    let at = from
    while (at < this.lineEnd && this.code.charCodeAt(at) === SPACE) at++
    if (at < this.lineEnd && (this.code.charCodeAt(at) !== HASH || at === from)) throw new Bail(what)
  }

  parseRoot(): unknown {
    const node = this.parseBlock(this.content, -1)
    if (!this.atEnd && this.indent !== -1) throw new Bail('more content after the document\'s node')
    return node
  }

  /** A block node starting at `at` on the current line, inside a collection indented by `parent`. */
  parseBlock(at: number, parent: number): unknown {
    if (this.path.length >= MAX_DEPTH) throw new Bail('deep nesting')
    if (this.code.charCodeAt(at) === DASH && this.isBlank(at + 1)) return this.parseSequence(at)
    const column = at - this.lineStart
    const key = this.keyAt(at) // an explicit key moves to the line of its value
    if (key !== undefined) return this.parseMapping(column, key)
    return this.parseValue(at, parent)
  }

  parseMapping(column: number, firstKey: string): Record<string, unknown> {
    const mapping: Record<string, unknown> = {}
    for (let key = firstKey, pairs = 1; ; pairs++) {
      this.path.push(key)
      const value = this.mappingValue(column)
      this.path.pop()
      this.setKey(mapping, key, value)
      if (this.indent !== column) {
        if (this.indent > column) throw new Bail('a line indented deeper than its mapping')
        this.checkUnique(mapping, pairs)
        return mapping
      }
      const next = this.keyAt(this.content)
      if (next === undefined) throw new Bail('a mapping line without a key')
      key = next
    }
  }

  /** The value after the key whose `:` ends at `position`, in a mapping at `column`. */
  mappingValue(column: number): unknown {
    let at = this.position
    while (at < this.lineEnd && this.code.charCodeAt(at) === SPACE) at++
    if (at < this.lineEnd && this.code.charCodeAt(at) !== HASH)
      return this.explicitKey ? this.parseBlock(at, column) : this.parseValue(at, column)
    this.advance()
    if (this.indent > column) return this.parseBlock(this.content, column)
    // a sequence may sit at its key's column
    if (this.indent === column && this.atSequenceEntry()) return this.parseSequence(this.content)
    return null
  }

  /** Whether the current line starts with `- ` (or is `-`). */
  atSequenceEntry(): boolean {
    return this.code.charCodeAt(this.content) === DASH && this.isBlank(this.content + 1)
  }

  parseSequence(at: number): unknown[] {
    const column = at - this.lineStart
    const sequence: unknown[] = []
    for (let dash = at; ;) {
      let item = dash + 1
      while (item < this.lineEnd && this.code.charCodeAt(item) === SPACE) item++
      this.path.push(sequence.length)
      if (item < this.lineEnd && this.code.charCodeAt(item) !== HASH) {
        sequence.push(this.parseBlock(item, column))
      }
      else {
        this.advance()
        sequence.push(this.indent > column ? this.parseBlock(this.content, column) : null)
      }
      this.path.pop()
      if (this.indent === column && this.atSequenceEntry()) {
        dash = this.content
        continue
      }
      if (this.indent > column) throw new Bail('a line indented deeper than its sequence')
      return sequence
    }
  }

  /**
   * The mapping key at `at` when the line holds one (a plain or one-line
   * quoted scalar, then `:` and a space or the line's end); `position` is
   * then after the `:`. Undefined when the line holds no key.
   */
  keyAt(at: number): string | undefined {
    const code = this.code
    const first = code.charCodeAt(at)
    this.explicitKey = first === 63 && this.isBlank(at + 1)
    if (this.explicitKey) return this.explicitKeyAt(at)
    let key: string
    let end: number
    if (first === DOUBLE_QUOTE || first === SINGLE_QUOTE) {
      const close = this.closingQuote(at)
      if (close === -1 || close >= this.lineEnd) return undefined
      end = close + 1
      let colon = end
      while (colon < this.lineEnd && code.charCodeAt(colon) === SPACE) colon++
      if (colon >= this.lineEnd || code.charCodeAt(colon) !== COLON || !this.isBlank(colon + 1)) return undefined
      key = this.quotedValue(at, end, false)
      this.position = colon + 1
    }
    else {
      if (!this.startsPlain(at, first, false)) return undefined
      let colon = at
      for (; colon < this.lineEnd; colon++) {
        const char = code.charCodeAt(colon)
        if (char === COLON) {
          if (this.isBlank(colon + 1)) break
        }
        else if (char === HASH && code.charCodeAt(colon - 1) === SPACE) {
          return undefined
        }
      }
      if (colon === this.lineEnd) return undefined
      end = colon
      while (code.charCodeAt(end - 1) === SPACE) end--
      key = keyString(resolvePlain(code.slice(at, end)))
      this.position = colon + 1
    }
    if (this.position - at > MAX_KEY_LENGTH) throw new Bail('a long implicit key')
    this.checkKey(at, end, key)
    return key
  }

  /**
   * An explicit key, `? key` on one line (a plain or quoted scalar) with
   * `: ` at the same column on the next: `position` is then after that `:`.
   */
  explicitKeyAt(question: number): string {
    const code = this.code
    const column = question - this.lineStart
    let at = question + 1
    while (at < this.lineEnd && code.charCodeAt(at) === SPACE) at++
    const first = code.charCodeAt(at)
    let key: string
    let end: number
    if (at >= this.lineEnd || first === HASH) throw new Bail('an explicit key on lines of its own')
    if (first === DOUBLE_QUOTE || first === SINGLE_QUOTE) {
      const close = this.closingQuote(at)
      if (close === -1 || close >= this.lineEnd) throw new Bail('an explicit key spans lines')
      end = close + 1
      key = this.quotedValue(at, end, false)
    }
    else {
      if (!this.startsPlain(at, first, false)) throw new Bail('a complex explicit key')
      end = this.plainLineEnd(at)
      key = keyString(resolvePlain(code.slice(at, end)))
    }
    this.expectLineEnd(end, 'content after an explicit key')
    this.checkKey(at, end, key)
    this.advance()
    const valueLine = this.indent === column
      && code.charCodeAt(this.content) === COLON
      && this.isBlank(this.content + 1)
    if (!valueLine) throw new Bail('an explicit key without its value line')
    this.position = this.content + 1
    return key
  }

  /** Keys the yaml path treats specially (merge keys, references) go to it. */
  checkKey(start: number, end: number, key: string): void {
    if (key === '<<') throw new Bail('a merge key')
    if (this.mentions && mentionsSecret(this.code.slice(start, end))) throw new Bail('a key mentions ${secret.')
    const first = key.charCodeAt(0)
    if (first >= 48 && first <= 57) this.digitKeys = true
  }

  /**
   * Adds a pair as the yaml package's toJS does: every key an own property
   * (`__proto__` too; other inherited names such as `toString` become own
   * properties by assignment).
   */
  setKey(mapping: Record<string, unknown>, key: string, value: unknown): void {
    if (key === '__proto__')
      Object.defineProperty(mapping, key, { value, writable: true, enumerable: true, configurable: true })
    else mapping[key] = value
  }

  /**
   * A repeated key (or two that become one property name) leaves fewer properties than pairs: the
   * yaml package reports it.
   */
  checkUnique(mapping: Record<string, unknown>, pairs: number): void {
    if (Object.keys(mapping).length !== pairs) throw new Bail('a repeated key')
  }

  /**
   * Whether a plain scalar may start at `at` (`-?:` only before a character that is not a space, or
   * in flow a flow indicator).
   */
  startsPlain(at: number, first: number, inFlow: boolean): boolean {
    if (first >= 128 || !INDICATOR[first]) return true
    if (first !== DASH && first !== 63 && first !== COLON) return false
    const next = this.code.charCodeAt(at + 1)
    return !this.isBlank(at + 1) && !(inFlow && isFlowIndicator(next))
  }

  /**
   * A scalar or flow collection at `at` on the current line (a mapping's
   * value, a sequence's item, a document), inside a collection indented by
   * `parent`: continuation lines must be indented deeper.
   */
  parseValue(at: number, parent: number): unknown {
    const first = this.code.charCodeAt(at)
    if (first === DOUBLE_QUOTE || first === SINGLE_QUOTE) return this.parseQuoted(at, parent)
    if (first === OPEN_BRACKET || first === OPEN_BRACE) {
      const value = this.flowNode(at)
      this.expectLineEnd(this.position, 'content after a flow collection')
      this.advance()
      return value
    }
    if (!this.startsPlain(at, first, false)) throw new Bail('an anchor, alias, tag, block scalar or indicator')
    return this.parsePlain(at, parent)
  }

  /** The index of the quote closing the one at `at`, found as the yaml package's lexer finds it; -1 for none. */
  closingQuote(at: number): number {
    const code = this.code
    const quote = code[at]!
    let end = code.indexOf(quote, at + 1)
    if (quote === '\'') {
      while (end !== -1 && code.charCodeAt(end + 1) === SINGLE_QUOTE) end = code.indexOf('\'', end + 2)
      return end
    }
    while (end !== -1) {
      let backslashes = 0
      while (code.charCodeAt(end - 1 - backslashes) === 92) backslashes++
      if (backslashes % 2 === 0) break
      end = code.indexOf('"', end + 1)
    }
    return end
  }

  /** The value of the quoted scalar from `start` to `end` (quotes included). */
  quotedValue(start: number, end: number, multiline: boolean): string {
    const code = this.code
    if (code.charCodeAt(start) === SINGLE_QUOTE) {
      const text = multiline ? unfoldLines(code.slice(start + 1, end - 1)) : code.slice(start + 1, end - 1)
      return text.includes('\'\'') ? text.replaceAll('\'\'', '\'') : text
    }
    const text = code.slice(start + 1, end - 1)
    return multiline || text.includes('\\') ? doubleQuotedValue(code.slice(start, end)) : text
  }

  parseQuoted(at: number, parent: number): string {
    const code = this.code
    const close = this.closingQuote(at)
    if (close === -1) throw new Bail('an unclosed quote')
    const multiline = close >= this.lineEnd
    if (multiline) {
      if (parent < 0) throw new Bail('a multi-line quoted scalar at the top level')
      // Every line it continues on must be blank or indented deeper than the collection holding it.
      const nextNewline = (from: number) => code.indexOf('\n', from)
      for (let newline = nextNewline(at); newline !== -1 && newline < close; newline = nextNewline(newline + 1)) {
        let column = 0
        while (code.charCodeAt(newline + 1 + column) === SPACE) column++
        const next = code.charCodeAt(newline + 1 + column)
        if (column <= parent && next !== 10 && next !== 13)
          throw new Bail('a quoted scalar continued with too little indentation')
      }
      this.moveToLineOf(close)
    }
    const value = this.stringValue(at, close + 1, this.quotedValue(at, close + 1, multiline))
    this.expectLineEnd(close + 1, 'content after a quoted scalar')
    this.advance()
    return value
  }

  /** Makes the line holding `offset` the current line (the rest of a scalar that spans lines). */
  moveToLineOf(offset: number): void {
    const code = this.code
    this.lineStart = code.lastIndexOf('\n', offset) + 1
    const newline = code.indexOf('\n', offset)
    const end = newline === -1 ? this.length : newline
    this.nextLine = newline === -1 ? this.length : newline + 1
    this.lineEnd = code.charCodeAt(end - 1) === 13 ? end - 1 : end
  }

  /**
   * A plain scalar from `at`, continued on the following lines indented
   * deeper than `parent` until a blank-only tail, a comment or a shallower
   * line (the yaml package's lexer rule).
   */
  parsePlain(at: number, parent: number): unknown {
    let end = this.plainLineEnd(at)
    let ended = this.endedByComment
    let multiline = false
    this.advance()
    // Blank lines between continuation lines fold into the scalar; a comment line ends it.
    while (!ended && this.indent > parent && !this.skippedComment) {
      end = this.plainLineEnd(this.content)
      ended = this.endedByComment
      multiline = true
      this.advance()
    }
    if (multiline && parent < 0) throw new Bail('a multi-line plain scalar at the top level')
    const source = this.code.slice(at, end)
    const value = resolvePlain(multiline ? unfoldLines(source) : source)
    return typeof value === 'string' ? this.stringValue(at, end, value) : value
  }

  /**
   * Where the plain scalar's text on the current line ends (trailing spaces
   * left out), reading from `from`, and whether a comment ends it.
   * A `: ` in it would make it a key, which the yaml package refuses here.
   */
  plainLineEnd(from: number): number {
    const code = this.code
    let at = from
    this.endedByComment = false
    for (; at < this.lineEnd; at++) {
      const char = code.charCodeAt(at)
      if (char === COLON) {
        if (this.isBlank(at + 1)) throw new Bail('a key where a value was expected')
      }
      else if (char === HASH && code.charCodeAt(at - 1) === SPACE) {
        this.endedByComment = true
        break
      }
    }
    while (code.charCodeAt(at - 1) === SPACE) at--
    return at
  }

  /**
   * A flow collection or scalar at `at` on the current line; `position` is set after it. The whole
   * collection must fit on the line.
   */
  flowNode(at: number): unknown {
    const code = this.code
    const first = code.charCodeAt(at)
    if (first === OPEN_BRACKET || first === OPEN_BRACE) {
      if (this.path.length >= MAX_DEPTH) throw new Bail('deep nesting')
      return first === OPEN_BRACKET ? this.flowSequence(at) : this.flowMapping(at)
    }
    if (first === DOUBLE_QUOTE || first === SINGLE_QUOTE) {
      const close = this.closingQuote(at)
      if (close === -1 || close >= this.lineEnd) throw new Bail('a quoted scalar in a flow collection spans lines')
      this.position = close + 1
      return this.stringValue(at, close + 1, this.quotedValue(at, close + 1, false))
    }
    if (!this.startsPlain(at, first, true)) throw new Bail('an anchor, alias, tag or indicator in a flow collection')
    const end = this.flowPlainEnd(at)
    const value = resolvePlain(code.slice(at, end))
    return typeof value === 'string' ? this.stringValue(at, end, value) : value
  }

  /**
   * Where a plain scalar in a flow collection ends: at `,[]{}`, a comment, or a `:` before a space
   * or flow indicator.
   */
  flowPlainEnd(from: number): number {
    const code = this.code
    let at = from
    for (; at < this.lineEnd; at++) {
      const char = code.charCodeAt(at)
      if (isFlowIndicator(char)) break
      if (char === COLON && (this.isBlank(at + 1) || isFlowIndicator(code.charCodeAt(at + 1)))) break
      if (char === HASH && code.charCodeAt(at - 1) === SPACE) break
    }
    this.position = at
    while (code.charCodeAt(at - 1) === SPACE) at--
    return at
  }

  /** Skips spaces in a flow collection; its end must be on this line (no comment before it). */
  skipFlowSpaces(from: number): number {
    let at = from
    while (at < this.lineEnd && this.code.charCodeAt(at) === SPACE) at++
    if (at >= this.lineEnd || this.code.charCodeAt(at) === HASH) throw new Bail('a flow collection spans lines')
    return at
  }

  flowSequence(open: number): unknown[] {
    const code = this.code
    const sequence: unknown[] = []
    let at = this.skipFlowSpaces(open + 1)
    while (code.charCodeAt(at) !== CLOSE_BRACKET) {
      this.path.push(sequence.length)
      sequence.push(this.flowNode(at))
      this.path.pop()
      at = this.nextFlowEntry(
        this.skipFlowSpaces(this.position),
        CLOSE_BRACKET,
        'a pair or other content in a flow sequence',
      )
    }
    this.position = at + 1
    return sequence
  }

  /** After a flow entry, at `at`: the closing `close`, or past a `,` to the next entry or the close. */
  nextFlowEntry(at: number, close: number, unexpected: string): number {
    const char = this.code.charCodeAt(at)
    if (char === close) return at
    if (char !== COMMA) throw new Bail(unexpected)
    const next = this.skipFlowSpaces(at + 1)
    if (this.code.charCodeAt(next) === COMMA) throw new Bail('an empty flow entry')
    return next
  }

  flowMapping(open: number): Record<string, unknown> {
    const code = this.code
    const mapping: Record<string, unknown> = {}
    let at = this.skipFlowSpaces(open + 1)
    let pairs = 0
    for (; code.charCodeAt(at) !== CLOSE_BRACE; pairs++) {
      const key = this.flowKey(at)
      at = this.skipFlowSpaces(this.position)
      let value: unknown = null
      if (code.charCodeAt(at) === COLON) {
        at = this.skipFlowSpaces(at + 1)
        const char = code.charCodeAt(at)
        if (char !== COMMA && char !== CLOSE_BRACE) {
          this.path.push(key)
          value = this.flowNode(at)
          this.path.pop()
          at = this.skipFlowSpaces(this.position)
        }
      }
      this.setKey(mapping, key, value)
      at = this.nextFlowEntry(at, CLOSE_BRACE, 'other content in a flow mapping')
    }
    this.checkUnique(mapping, pairs)
    this.position = at + 1
    return mapping
  }

  /** A flow mapping's key (a plain or quoted scalar); `position` is set after it. */
  flowKey(at: number): string {
    const code = this.code
    const first = code.charCodeAt(at)
    let key: string
    let end: number
    if (first === DOUBLE_QUOTE || first === SINGLE_QUOTE) {
      const close = this.closingQuote(at)
      if (close === -1 || close >= this.lineEnd) throw new Bail('a quoted key spans lines')
      end = close + 1
      key = this.quotedValue(at, end, false)
      this.position = end
    }
    else {
      if (!this.startsPlain(at, first, true)) throw new Bail('a complex key or indicator in a flow mapping')
      end = this.flowPlainEnd(at)
      key = keyString(resolvePlain(code.slice(at, end)))
    }
    if (this.position - at > MAX_KEY_LENGTH) throw new Bail('a long implicit key')
    this.checkKey(at, end, key)
    return key
  }

  /**
   * A string value, or what stands in the data for it when its source
   * (`start` to `end`) mentions `${secret.`: `''` for one with references,
   * the text for one with only escapes. A bad reference goes to the yaml path.
   */
  stringValue(start: number, end: number, value: string): string {
    if (!this.mentions || !value.includes('secret') || !mentionsSecret(this.code.slice(start, end))) return value
    let parts: ReferencePart[]
    try {
      parts = parseReferences(value)
    }
    catch {
      throw new Bail('a malformed reference')
    }
    this.mentioned.push({ doc: this.doc, path: [...this.path], start, end, value, parts })
    return parts.some(part => part.type === 'ref')
      ? ''
      : parts.map(part => (part.type === 'text' ? part.text : '')).join('')
  }
}

/**
 * Parses `code` if it is YAML this parser handles; otherwise the reason the
 * yaml package must (a short phrase, for tests and the bench).
 */
export function parseConfigYaml(code: string): FastYaml | string {
  if (code.length > MAX_YAML_LENGTH) return 'too long'
  const bom = code.charCodeAt(0) === 0xFEFF ? 1 : 0
  // After a BOM, the yaml package counts the first line's indentation differently and refuses a `- ` entry.
  if (bom && (code.charCodeAt(1) === SPACE || code.charCodeAt(1) === DASH)) return 'a BOM before spaces or a dash'
  UNHANDLED_CHARACTER.lastIndex = bom
  if (UNHANDLED_CHARACTER.test(code) || !onlyCrlf(code)) return 'a tab, control or unusual line break'
  if (!code.isWellFormed()) return 'a lone surrogate'
  const parser = new ConfigYamlParser(code)
  try {
    const documents = parser.parseStream(bom)
    return { documents, mentioned: parser.mentioned, digitKeys: parser.digitKeys }
  }
  catch (error) {
    if (error instanceof Bail) return error.reason
    if (error instanceof RangeError) return 'deep nesting' // the stack, on a small one
    throw error
  }
}

/** Where a reference at `offset` of the mentioned string's value is written. */
function referenceLocation(
  code: string,
  starts: number[],
  file: string,
  mention: Mentioned,
  offset: number,
): SourceLocation {
  return locate(
    starts,
    file,
    referenceOffset(code.slice(mention.start, mention.end), mention.start, mention.value, offset),
  )
}

/** The template's data: one document as it is, several as an array, none as null. */
const templateData = (documents: unknown[]) =>
  documents.length === 1 ? documents[0] : documents.length === 0 ? null : documents

/**
 * The {@link YamlTemplate} of `code`, equal to the yaml path's, or
 * undefined when the yaml package must parse the file.
 */
export function fastYamlTemplate(code: string, file: string): YamlTemplate | undefined {
  const parsed = parseConfigYaml(code)
  if (typeof parsed === 'string') return undefined
  const single = parsed.documents.length === 1
  const data = templateData(parsed.documents)
  const withReferences = parsed.mentioned.filter(mention => mention.parts.some(part => part.type === 'ref'))
  if (withReferences.length === 0) return { data, single, refs: [] }
  const starts = lineStarts(code)
  const refs: YamlTemplate['refs'] = withReferences.map(mention => [
    single ? mention.path : [mention.doc, ...mention.path],
    mention.parts.map((part): string | TemplateReference => {
      if (part.type === 'text') return part.text
      const { line, column } = referenceLocation(code, starts, file, mention, part.offset)
      return { secret: part.name, line, column }
    }),
  ])
  if (parsed.digitKeys && refs.length > 1) sortInDataOrder(data, refs)
  return { data, single, refs }
}

/**
 * The yaml path lists a template's references in the order a walk of the
 * data meets them (Object.keys order: integer-like keys first), which is
 * document order unless a key starts with a digit.
 */
function sortInDataOrder(data: unknown, refs: YamlTemplate['refs']): void {
  const ranks = new Map<object, Map<string, number>>()
  const rank = (container: object, key: string | number): number => {
    if (Array.isArray(container)) return key as number
    let keys = ranks.get(container)
    if (!keys) ranks.set(container, keys = new Map(Object.keys(container).map((name, index) => [name, index])))
    return keys.get(String(key))!
  }
  refs.sort(([a], [b]) => {
    let container = data as Record<string | number, unknown>
    for (let i = 0; i < a.length; i++) {
      if (a[i] !== b[i]) return rank(container, a[i]!) - rank(container, b[i]!)
      container = Object.getOwnPropertyDescriptor(container, a[i]!)!.value as Record<string | number, unknown>
    }
    return 0
  })
}

/**
 * What the yaml path's `expandYamlData` gives: the documents with values
 * looked up in document order, the names, and `onRewrite` told of every
 * string that mentions `${secret.`. Undefined when the yaml package must
 * parse the file; a lookup's error is thrown.
 */
export function fastYamlData(
  code: string,
  file: string,
  lookup: SecretLookup,
  onRewrite?: (start: number, end: number, raw: string, value: string) => void,
): { documents: unknown[], names: Set<string> } | undefined {
  const parsed = parseConfigYaml(code)
  if (typeof parsed === 'string') return undefined
  const { documents, mentioned } = parsed
  const names = new Set<string>()
  let starts: number[] | undefined
  for (const mention of mentioned) {
    const value = mention.parts.map((part) => {
      if (part.type === 'text') return part.text
      names.add(part.name)
      return lookup(part.name, () => referenceLocation(code, starts ??= lineStarts(code), file, mention, part.offset))
    }).join('')
    if (mention.path.length) setAt(documents[mention.doc], mention.path, value)
    else documents[mention.doc] = value
    onRewrite?.(mention.start, mention.end, code.slice(mention.start, mention.end), value)
  }
  return { documents, names }
}
