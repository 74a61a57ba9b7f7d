import { randomBytes } from 'node:crypto'
import { LineCounter, isAlias, isCollection, isScalar, parseAllDocuments, visit } from 'yaml'
import type { Document, Node, Scalar } from 'yaml'
import { SecretsError } from '../errors'
import type { SourceLocation } from '../errors'
import { ReferenceSyntaxError, mentionsSecret, parseReferences } from '../reference'
import { referenceOffset } from './locate'
import { toModuleCode } from './module'
import type { ExpandedModule, SecretLookup } from './types'

/** Aliases one document may expand (the yaml package's default): stops alias bombs. */
export const MAX_ALIAS_COUNT = 100

function located(lines: LineCounter, file: string, offset: number): SourceLocation {
  const { line, col } = lines.linePos(offset)
  return { file, line, column: col - 1 }
}

/** `[` or `{` that does not belong to `${`: a flow collection on the line. */
const FLOW_START = /(^|[^$])[[{]/

interface ParseProblem {
  code: string
  message: string
  pos: [number, number]
}

/**
 * The first key that repeats one before it in the same mapping, as the yaml
 * package's `uniqueKeys` would find it (scalars equal by value) but with a set
 * per mapping: its own check compares each key with every earlier one, so a
 * mapping of 30,000 keys (1 MB) took 11 s and 50 MB would take hours.
 */
function duplicateKey(doc: Document.Parsed): ParseProblem | undefined {
  let found: ParseProblem | undefined
  try {
    visit(doc, {
      Map(_, map) {
        const seen = new Set<unknown>()
        for (const { key } of map.items) {
          if (!isScalar(key) || Number.isNaN(key.value)) continue // yaml: NaN !== NaN, and nodes are equal only to themselves
          if (seen.has(key.value)) {
            const at = key.range?.[0] ?? 0
            if (!found || at < found.pos[0]) found = { code: 'DUPLICATE_KEY', message: 'Map keys must be unique', pos: [at, at + 1] }
          }
          seen.add(key.value)
        }
      },
    })
  }
  catch (error) {
    if (!(error instanceof RangeError)) throw error
    return { code: 'NESTING', message: 'Maximum call stack size exceeded', pos: [doc.range[0], doc.range[0] + 1] }
  }
  return found
}

/**
 * Larger YAML is refused before parsing: the parser holds about 60 bytes of
 * memory per character (16 Mi characters: about 1 GB, 7 s here).
 */
export const MAX_YAML_LENGTH = 16 * 1024 * 1024

function parseYaml(code: string, file: string, lines: LineCounter): Document.Parsed[] {
  if (code.length > MAX_YAML_LENGTH)
    throw new SecretsError('YAML_INVALID', `the file is ${(code.length / 1024 / 1024).toFixed(1)} Mi characters of YAML; YAML configs are limited to 16 Mi (parsing takes about 60 times the file's size in memory). Split the file, or make it JSON.`, { loc: { file, line: 1, column: 0 } })
  const docs = parseAllDocuments(code, { lineCounter: lines, merge: true, uniqueKeys: false, prettyErrors: false, strict: true, logLevel: 'error' })
  if (!Array.isArray(docs)) return []
  for (const doc of docs) {
    const syntax: ParseProblem | undefined = doc.errors[0]
    const duplicate = syntax && /call stack/i.test(syntax.message) ? undefined : duplicateKey(doc)
    const error = syntax && (!duplicate || syntax.pos[0] <= duplicate.pos[0]) ? syntax : duplicate
    if (!error) continue
    const loc = located(lines, file, error.pos[0])
    const lineText = code.slice(error.pos[0] - loc.column, code.indexOf('\n', error.pos[0]) >>> 0)
    const hint = /call stack/i.test(error.message)
      ? ' The file nests too deeply to parse; flatten the structure.'
      : mentionsSecret(lineText) && FLOW_START.test(lineText)
        ? ' A ${secret.…} reference inside a flow collection ([…] or {…}) must be quoted: ["${secret.NAME}"].'
        : error.code === 'DUPLICATE_KEY' ? ' Remove or rename one of the keys.' : ''
    throw new SecretsError('YAML_INVALID', `${error.message.replace(/ at line \d+, column \d+.*$/s, '')}.${hint}`, { loc })
  }
  return docs
}

interface Scan {
  code: string
  file: string
  lines: LineCounter
  lookup: SecretLookup
  names: Set<string>
  /**
   * Start-up resolution: instead of values, strings with references get a
   * placeholder (`marker` + index) and their parts are kept in `deferred`.
   */
  defer?: { marker: string, deferred: ReferenceParts[] }
  /** Told the source range and final text of every scalar whose value changed (render edits the file with it). */
  onRewrite?: (start: number, end: number, raw: string, value: string) => void
}

/** A string's parts: text, and `{ secret: NAME }` for each reference. */
export type ReferenceParts = (string | { secret: string })[]

/** The scalar's source text, when it holds a reference as written (not spelled with escapes). */
function writtenReference(scan: Scan, node: Scalar): string | undefined {
  const [start, end] = node.range ?? [0, 0]
  const raw = scan.code.slice(start, end)
  return mentionsSecret(raw) ? raw : undefined
}

/** Keys may hold no reference: not directly, through an alias, or inside a complex key. */
function checkKey(scan: Scan, doc: Document.Parsed, key: unknown): void {
  const target = isAlias(key) ? key.resolve(doc) : key
  const check = (node: Scalar) => {
    const raw = writtenReference(scan, node)
    if (raw === undefined || typeof node.value !== 'string') return
    const loc = located(scan.lines, scan.file, (isAlias(key) ? key : node).range?.[0] ?? 0)
    let parts
    try {
      parts = parseReferences(node.value)
    }
    catch (error) {
      // A malformed reference in a key, located like one in a value.
      if (error instanceof ReferenceSyntaxError) throw new SecretsError('REFERENCE_INVALID', error.message, { loc })
      throw error
    }
    if (parts.some(part => part.type === 'ref'))
      throw new SecretsError('REFERENCE_IN_KEY', 'a ${secret.…} reference stands in a mapping key; references are expanded in values only. Move it into a value.', { loc })
  }
  if (isScalar(target)) check(target)
  else if (isCollection(target)) visit(target as Node, { Scalar: (_, node) => check(node) })
}

/** Substitutes references in the string scalars of `doc`, in place. */
function expandDocument(scan: Scan, doc: Document.Parsed): void {
  // Keys first, before any value is expanded: an alias key points at a scalar the next pass rewrites.
  visit(doc, { Pair: (_, pair) => checkKey(scan, doc, pair.key) })
  visit(doc, {
    Scalar(key, node) {
      const raw = writtenReference(scan, node)
      if (raw === undefined) return
      const start = node.range![0]
      if (typeof node.value !== 'string')
        throw new SecretsError('REFERENCE_INVALID', `a \${secret.…} reference in a scalar tagged ${node.tag ?? 'as non-text'}: references are expanded in text values only. Remove the tag.`, { loc: located(scan.lines, scan.file, start) })
      const value = node.value
      const at = (offset: number) => located(scan.lines, scan.file, referenceOffset(raw, start, value, offset))
      let parts
      try {
        parts = parseReferences(value)
      }
      catch (error) {
        if (error instanceof ReferenceSyntaxError) throw new SecretsError('REFERENCE_INVALID', error.message, { loc: at(error.offset) })
        throw error
      }
      if (key === 'key') {
        const text = parts.map(part => (part.type === 'text' ? part.text : '')).join('') // checkKey refused references: only escapes here
        node.value = text
        scan.onRewrite?.(start, node.range![1], raw, text)
        return
      }
      if (scan.defer && parts.some(part => part.type === 'ref')) {
        for (const part of parts) if (part.type === 'ref') scan.names.add(part.name)
        node.value = `${scan.defer.marker}${scan.defer.deferred.length}`
        scan.defer.deferred.push(parts.map(part => (part.type === 'text' ? part.text : { secret: part.name })))
        return
      }
      // Values are inserted as data: the result is never scanned again.
      const expanded = parts.map((part) => {
        if (part.type === 'text') return part.text
        scan.names.add(part.name)
        return scan.lookup(part.name, () => at(part.offset))
      }).join('')
      node.value = expanded
      scan.onRewrite?.(start, node.range![1], raw, expanded)
    },
  })
}

function toData(doc: Document.Parsed, file: string, lines: LineCounter): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT })
  }
  catch (error) {
    const message = (error as Error).message
    const hint = /alias/i.test(message) ? ` (more than ${MAX_ALIAS_COUNT} alias expansions: an alias bomb?). Use fewer aliases.` : '.'
    throw new SecretsError('YAML_INVALID', `${message.replace(/\.$/, '')}${hint}`, { loc: located(lines, file, doc.range[0]) })
  }
}

/** Parses YAML (every document), expands references in string scalars, and returns the data. */
export function expandYamlData(code: string, file: string, lookup: SecretLookup, { defer, onRewrite }: Pick<Scan, 'defer' | 'onRewrite'> = {}): { documents: unknown[], names: Set<string> } {
  const scan: Scan = { code, file, lines: new LineCounter(), lookup, names: new Set(), ...(defer ? { defer } : {}), ...(onRewrite ? { onRewrite } : {}) }
  const docs = parseYaml(code, file, scan.lines)
  const hasReferences = mentionsSecret(code)
  const documents = docs.map((doc) => {
    if (hasReferences) expandDocument(scan, doc)
    return toData(doc, file, scan.lines)
  })
  return { documents, names: scan.names }
}

/**
 * A YAML config as an ES module: `export default` the data (an array of
 * documents for a multi-document file), and a named export for each top-level
 * key that is a legal identifier, as @rollup/plugin-yaml does.
 */
export function expandYaml(code: string, file: string, lookup: SecretLookup, { runtime }: { runtime?: { store: string } } = {}): ExpandedModule {
  const defer = runtime ? { marker: `\0unplugin-secrets:${randomBytes(6).toString('hex')}:`, deferred: [] as ReferenceParts[] } : undefined
  const { documents, names } = expandYamlData(code, file, lookup, { defer })
  const data = documents.length === 1 ? documents[0] : documents.length === 0 ? null : documents
  if (!defer || names.size === 0) return { code: toModuleCode(data, documents.length === 1), map: null, names }
  // Where each placeholder ended up (aliases and merge keys copy it): [path, parts] pairs for the runtime.
  const refs: [(string | number)[], ReferenceParts][] = []
  const collect = (value: unknown, path: (string | number)[]): unknown => {
    if (typeof value === 'string' && value.startsWith(defer.marker)) {
      refs.push([path, defer.deferred[Number(value.slice(defer.marker.length))]!])
      return ''
    }
    if (Array.isArray(value)) return value.map((item, index) => collect(item, [...path, index]))
    if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, collect(item, [...path, key])]))
    return value
  }
  const template = collect(data, [])
  return { code: toModuleCode(template, documents.length === 1, { store: runtime!.store, file, refs }), map: null, names }
}
