/** JSON configs: references expanded in place in the strings that hold them, with a map of the edits. */
import { printParseErrorCode } from 'jsonc-parser'
import { basename } from 'node:path'
import { SecretsError } from '../errors'
import type { SourceLocation } from '../errors'
import { visitJson } from '../jsonc'
import { MENTION, mentionsSecret, parseReferences, ReferenceSyntaxError } from '../reference'
import { lineStarts, locate, referenceOffset } from '../locate'
import type { ExpandedModule, SecretLookup, SourceMapData } from './types'

/** 'CommaExpected' -> 'comma expected' */
const jsonErrorText = (code: number): string =>
  printParseErrorCode(code)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()

/** Where each string token of valid JSON that may hold a reference is: [start, end), quotes included. */
function referenceStrings(code: string): [number, number][] {
  // Valid JSON has `$` only inside strings, and inside a string every `"` is escaped:
  // the nearest unescaped quotes around a match are its string's own.
  const escaped = (quote: number) => {
    let backslashes = 0
    for (let i = quote - 1; code.charCodeAt(i) === 92; i--) backslashes++
    return backslashes % 2 === 1
  }
  const found: [number, number][] = []
  const mention = new RegExp(MENTION.source, 'g')
  for (let match = mention.exec(code); match; match = mention.exec(code)) {
    let start = code.lastIndexOf('"', match.index)
    while (escaped(start)) start = code.lastIndexOf('"', start - 1)
    let end = code.indexOf('"', match.index)
    while (escaped(end)) end = code.indexOf('"', end + 1)
    found.push([start, end + 1])
    mention.lastIndex = end + 1
  }
  return found
}

/** A key is a string followed by `:`. */
function isKey(code: string, end: number): boolean {
  let i = end
  while (/[ \t\r\n]/.test(code[i] ?? '')) i++
  return code[i] === ':'
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

/** A source map VLQ number. */
function vlq(n: number): string {
  let rest = n < 0 ? (-n << 1) | 1 : n << 1
  let out = ''
  do {
    const digit = rest & 31
    rest >>>= 5
    out += BASE64[rest > 0 ? digit | 32 : digit]
  } while (rest > 0)
  return out
}

/**
 * A v3 map for a text whose edits each stay on one line (JSON strings hold no
 * line break), at magic-string's default resolution: every line maps to
 * itself from its start, and on an edited line the replacement maps to the
 * original string and the text after it to the text after the original.
 * Written directly: a per-line segment list costs more than the edits on 1 MB.
 */
function editMap(code: string, edits: Edit[], file: string): SourceMapData {
  const parts = ['AAAA']
  let lineStart = 0
  let lineEnd = code.indexOf('\n')
  /** Source column of the last segment (columns are relative to it). */
  let sourceColumn = 0
  /** Moves to the line holding `offset` (to the last line: Infinity). */
  const moveTo = (offset: number) => {
    if (lineEnd === -1 || lineEnd >= offset) return
    parts.push(sourceColumn === 0 ? ';AACA' : `;AAC${vlq(-sourceColumn)}`)
    sourceColumn = 0
    let lines = 0
    lineStart = lineEnd + 1
    lineEnd = code.indexOf('\n', lineStart)
    while (lineEnd !== -1 && lineEnd < offset) {
      lines++
      lineStart = lineEnd + 1
      lineEnd = code.indexOf('\n', lineStart)
    }
    parts.push(';AACA'.repeat(lines))
  }
  let index = 0
  while (index < edits.length) {
    moveTo(edits[index]![0])
    const end = lineEnd === -1 ? code.length : lineEnd
    let generated = 0
    let shift = 0
    const segment = (column: number) => {
      if (column + shift === generated) return
      parts.push(`,${vlq(column + shift - generated)}AA${vlq(column - sourceColumn)}`)
      generated = column + shift
      sourceColumn = column
    }
    for (; index < edits.length && edits[index]![0] < end; index++) {
      const [start, stop, text] = edits[index]!
      segment(start - lineStart)
      shift += text.length - (stop - start)
      if (stop < end) segment(stop - lineStart)
    }
  }
  moveTo(Infinity)
  return { version: 3, file: basename(file), sources: [file], names: [], mappings: parts.join('') }
}

/** [start, end, replacement] in the file's text, in order. */
type Edit = [number, number, string]

/**
 * One JSON file's expansion: the edits (each string that holds a reference or
 * an escape, replaced by its final value), the names, and where offsets are.
 */
class JsonExpansion {
  readonly names = new Set<string>()
  readonly edits: Edit[] = []
  #starts: number[] | undefined // only an error needs them

  constructor(readonly code: string, readonly file: string, readonly lookup: SecretLookup) {}

  at(offset: number): SourceLocation {
    return locate(this.#starts ??= lineStarts(this.code), this.file, offset)
  }

  /** A key holding `${secret.`: an error if it is a reference; escapes are rewritten. */
  key(property: string, offset: number, length: number): void {
    let parts
    try {
      parts = parseReferences(property)
    }
    catch (error) {
      throw error instanceof ReferenceSyntaxError
        ? new SecretsError('REFERENCE_INVALID', error.message, { loc: this.at(offset) })
        : error
    }
    if (parts.some(part => part.type === 'ref')) {
      throw new SecretsError('REFERENCE_IN_KEY', [
        `a \${secret.…} reference stands in the key ${JSON.stringify(property)};`,
        'references are expanded in values only. Move it into a value.',
      ].join(' '), { loc: this.at(offset) })
    }
    // only escapes
    this.edits.push([
      offset,
      offset + length,
      JSON.stringify(parts.map(part => (part.type === 'text' ? part.text : '')).join('')),
    ])
  }

  /** A string value holding `${secret.`: its references looked up. */
  value(value: string, offset: number, length: number): void {
    const raw = this.code.slice(offset, offset + length)
    const position = (within: number) => this.at(referenceOffset(raw, offset, value, within))
    try {
      const expanded = parseReferences(value).map((part) => {
        if (part.type === 'text') return part.text
        this.names.add(part.name)
        return this.lookup(part.name, () => position(part.offset))
      }).join('')
      this.edits.push([offset, offset + length, JSON.stringify(expanded)])
    }
    catch (error) {
      throw error instanceof ReferenceSyntaxError
        ? new SecretsError('REFERENCE_INVALID', error.message, { loc: position(error.offset) })
        : error
    }
  }

  /** The text with every edit applied. */
  output(): string {
    let output = ''
    let last = 0
    for (const [start, end, text] of this.edits) {
      output += this.code.slice(last, start) + text
      last = end
    }
    return output + this.code.slice(last)
  }
}

/** Valid JSON: only the strings around each `${secret.` are read. */
function expandValidJson(expansion: JsonExpansion): void {
  const { code } = expansion
  for (const [start, end] of referenceStrings(code)) {
    const value = JSON.parse(code.slice(start, end)) as string
    if (isKey(code, end)) expansion.key(value, start, end - start)
    else expansion.value(value, start, end - start)
  }
}

/** Anything else goes through jsonc-parser, for an error that says where (the first problem in the file wins). */
function expandInvalidJson(expansion: JsonExpansion, body: string): void {
  const { code } = expansion
  let failure: unknown
  const guarded = <A extends unknown[]>(run: (...args: A) => void) => (...args: A) => {
    if (failure) return
    try {
      run(...args)
    }
    catch (error) {
      failure = error
    }
  }
  visitJson(body === code ? code : ` ${body}`, { // a space for the BOM keeps offsets
    onObjectProperty: guarded((property: string, offset: number, length: number) => {
      if (mentionsSecret(code.slice(offset, offset + length))) expansion.key(property, offset, length)
    }),
    onLiteralValue: guarded((value: unknown, offset: number, length: number) => {
      if (typeof value === 'string' && mentionsSecret(code.slice(offset, offset + length)))
        expansion.value(value, offset, length)
    }),
    onError: guarded((error: number, offset: number) => {
      throw new SecretsError('JSON_INVALID', [
        `the file is not valid JSON (${jsonErrorText(error)}).`,
        'Fix the JSON; references are only expanded in valid files.',
      ].join(' '), { loc: expansion.at(offset) })
    }),
  }, { allowTrailingComma: false, disallowComments: true }, () => {
    failure ??= new RangeError('nesting')
  })
  // The stack can also run out inside one of the callbacks above (guarded keeps that error).
  if (failure instanceof RangeError) {
    throw new SecretsError('JSON_INVALID', [
      'the file nests arrays or objects too deeply to parse.',
      'Flatten the structure.',
    ].join(' '), { loc: expansion.at(0) })
  }
  if (failure) throw failure
}

const parsesAsJson = (text: string): boolean => {
  try {
    JSON.parse(text)
    return true
  }
  catch {
    return false
  }
}

/**
 * Expands references in the string values of a JSON file, in place: the
 * output is still JSON (each bundler's JSON handling keeps working), every
 * line outside the edited strings is unchanged, and the map points back.
 * A reference spelled with escapes (`\u0024{secret.X}`) is text.
 *
 * Valid JSON (JSON.parse says so) is not tokenized: only the strings around
 * each `${secret.` are read. Anything else goes through jsonc-parser, for
 * an error that says where.
 */
export function expandJson(
  code: string,
  file: string,
  lookup: SecretLookup,
  { sourcemap = false } = {},
): ExpandedModule {
  if (!mentionsSecret(code)) return { code, map: null, names: new Set() }
  const expansion = new JsonExpansion(code, file, lookup)
  // Strict JSON: a bundler's own parser would quote the expanded text in its error for anything less.
  const body = code.startsWith('\uFEFF') ? code.slice(1) : code
  if (parsesAsJson(body)) expandValidJson(expansion)
  else expandInvalidJson(expansion, body)
  return {
    code: expansion.output(),
    map: sourcemap ? editMap(code, expansion.edits, file) : null,
    names: expansion.names,
  }
}
