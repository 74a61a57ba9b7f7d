/**
 * YAML configs through the yaml package: find `${secret.NAME}` in string scalars, expand them or
 * keep a template to fill later. The authority the fast path (yaml-fast.ts) must agree with.
 */
import { randomBytes } from 'node:crypto'
import { isAlias, isCollection, isMap, isPair, isScalar, LineCounter, parseAllDocuments } from 'yaml'
import type { Document, Pair, Scalar, YAMLMap } from 'yaml'
import { SecretsError } from '../errors'
import type { SourceLocation } from '../errors'
import { MENTION, mentionsSecret, parseReferences, ReferenceSyntaxError } from '../reference'
import { referenceOffset } from '../locate'
import { fastYamlData, fastYamlTemplate } from './yaml-fast'
import { setAt, toModuleCode } from './module'
import type { ExpandedModule, SecretLookup } from './types'

/** Aliases one document may expand (the yaml package's default): stops alias bombs. */
export const MAX_ALIAS_COUNT = 100

function located(lines: LineCounter, file: string, offset: number): SourceLocation {
  const { line, col } = lines.linePos(offset)
  return { file, line, column: col - 1 }
}

/** `[` or `{` that does not belong to `${`: a flow collection on the line. */
const FLOW_START = /(?:^|[^$])[[{]/

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
  walk(doc.contents, {
    map(map) {
      const seen = new Set<unknown>()
      for (const { key } of map.items) {
        // yaml: NaN !== NaN, and nodes are equal only to themselves
        if (!isScalar(key) || Number.isNaN(key.value)) continue
        if (seen.has(key.value)) {
          const at = key.range?.[0] ?? 0
          if (!found || at < found.pos[0])
            found = { code: 'DUPLICATE_KEY', message: 'Map keys must be unique', pos: [at, at + 1] }
        }
        seen.add(key.value)
      }
    },
  })
  return found
}

/**
 * Larger YAML is refused before parsing: the parser holds about 60 bytes of
 * memory per character (16 Mi characters: about 1 GB, 7 s here).
 */
export const MAX_YAML_LENGTH = 16 * 1024 * 1024

function parseYaml(code: string, file: string, lines: LineCounter): Document.Parsed[] {
  if (code.length > MAX_YAML_LENGTH) {
    throw new SecretsError('YAML_INVALID', [
      `the file is ${(code.length / 1024 / 1024).toFixed(1)} Mi characters of YAML;`,
      'YAML configs are limited to 16 Mi (parsing takes about 60 times the file\'s size in memory).',
      'Split the file, or make it JSON.',
    ].join(' '), { loc: { file, line: 1, column: 0 } })
  }
  const docs = parseAllDocuments(code, {
    lineCounter: lines,
    merge: true,
    uniqueKeys: false,
    prettyErrors: false,
    strict: true,
    logLevel: 'error',
  })
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
    throw new SecretsError('YAML_INVALID', `${error.message.replace(/ at line \d+, column \d.*$/s, '')}.${hint}`, {
      loc,
    })
  }
  return docs
}

const lineColumn = ({ line, column }: SourceLocation) => ({ line, column })

interface Scan {
  code: string
  mentions: Mentions
  file: string
  lines: LineCounter
  lookup: SecretLookup
  names: Set<string>
  /**
   * Start-up resolution: instead of values, strings with references get a
   * placeholder (`marker` + index) and their parts are kept in `deferred`.
   */
  defer?: { marker: string, deferred: ReferenceParts[], located: TemplateReference[][] }
  /** Told the source range and final text of every scalar whose value changed (render edits the file with it). */
  onRewrite?: (start: number, end: number, raw: string, value: string) => void
}

/** A string's parts: text, and `{ secret: NAME }` for each reference. */
export type ReferenceParts = (string | { secret: string })[]

/** The scalar's source text, when it holds a reference as written (not spelled with escapes). */
function writtenReference(scan: Scan, node: Scalar): string | undefined {
  const [start, end] = node.range ?? [0, 0]
  return scan.mentions.within(start, end) ? scan.code.slice(start, end) : undefined
}

/**
 * Where the text mentions `${secret.` (or a near miss): the same test as
 * mentionsSecret on a slice, without slicing every scalar of the file.
 */
class Mentions {
  readonly #starts: number[] = []
  readonly #ends: number[] = []

  constructor(code: string) {
    for (const match of code.matchAll(new RegExp(MENTION.source, 'g'))) {
      this.#starts.push(match.index)
      this.#ends.push(match.index + match[0].length)
    }
  }

  /** Whether a whole mention lies in [start, end). */
  within(start: number, end: number): boolean {
    let low = 0
    let high = this.#starts.length
    while (low < high) {
      const mid = (low + high) >> 1
      if (this.#starts[mid]! < start) low = mid + 1
      else high = mid
    }
    for (let i = low; i < this.#starts.length && this.#starts[i]! < end; i++) {
      if (this.#ends[i]! <= end) return true
    }
    return false
  }
}

/**
 * Every pair and scalar of a document in document order, keys before their
 * values; aliases are not followed (their targets are met where they stand).
 * A loop, not recursion: depth is whatever the parser accepted.
 */
function walk(
  root: unknown,
  visitor: {
    map?: (map: YAMLMap) => void
    pair?: (pair: Pair) => void
    scalar?: (node: Scalar, isKey: boolean) => void
  },
): void {
  const stack: [unknown, boolean][] = [[root, false]]
  while (stack.length > 0) {
    const [node, isKey] = stack.pop()!
    if (isScalar(node)) {
      visitor.scalar?.(node, isKey)
    }
    else if (isPair(node)) {
      visitor.pair?.(node)
      stack.push([node.value, false], [node.key, true])
    }
    else if (isCollection(node)) {
      if (isMap(node)) visitor.map?.(node)
      for (let i = node.items.length - 1; i >= 0; i--) stack.push([node.items[i], false])
    }
  }
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
    if (parts.some(part => part.type === 'ref')) {
      throw new SecretsError('REFERENCE_IN_KEY', [
        'a ${secret.…} reference stands in a mapping key;',
        'references are expanded in values only. Move it into a value.',
      ].join(' '), { loc })
    }
  }
  if (isScalar(target)) check(target)
  else if (isCollection(target)) walk(target, { scalar: check })
}

/** Substitutes references in the string scalars of `doc`, in place. */
function expandDocument(scan: Scan, doc: Document.Parsed): void {
  // Keys first, before any value is expanded: an alias key points at a scalar the next pass rewrites.
  walk(doc.contents, { pair: pair => checkKey(scan, doc, pair.key) })
  walk(doc.contents, {
    scalar(node, isKey) {
      const raw = writtenReference(scan, node)
      if (raw === undefined) return
      const start = node.range![0]
      if (typeof node.value !== 'string') {
        throw new SecretsError('REFERENCE_INVALID', [
          `a \${secret.…} reference in a scalar tagged ${node.tag ?? 'as non-text'}:`,
          'references are expanded in text values only. Remove the tag.',
        ].join(' '), { loc: located(scan.lines, scan.file, start) })
      }
      const value = node.value
      const at = (offset: number) => located(scan.lines, scan.file, referenceOffset(raw, start, value, offset))
      let parts
      try {
        parts = parseReferences(value)
      }
      catch (error) {
        if (error instanceof ReferenceSyntaxError)
          throw new SecretsError('REFERENCE_INVALID', error.message, { loc: at(error.offset) })
        throw error
      }
      if (isKey) {
        // checkKey refused references: only escapes here
        const text = parts.map(part => (part.type === 'text' ? part.text : '')).join('')
        node.value = text
        scan.onRewrite?.(start, node.range![1], raw, text)
        return
      }
      if (scan.defer && parts.some(part => part.type === 'ref')) {
        for (const part of parts) {
          if (part.type === 'ref') scan.names.add(part.name)
        }
        node.value = `${scan.defer.marker}${scan.defer.deferred.length}`
        scan.defer.deferred.push(parts.map(part => (part.type === 'text' ? part.text : { secret: part.name })))
        scan.defer.located.push(
          parts.flatMap(part => (part.type === 'ref' ? [{ secret: part.name, ...lineColumn(at(part.offset)) }] : [])),
        )
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
    // Only the alias-count error is a bomb: "Merge sources must be maps or map aliases" mentions aliases too.
    const hint = /call stack/i.test(message)
      ? '. The file nests too deeply to parse; flatten the structure.'
      : /excessive alias count/i.test(message)
        ? ` (more than ${MAX_ALIAS_COUNT} alias expansions: an alias bomb?). Use fewer aliases.`
        : /merge sources/i.test(message)
          ? '. A merge key (<<) takes a mapping, or an alias of one; put a reference under a key of that mapping.'
          : '.'
    throw new SecretsError('YAML_INVALID', `${message.replace(/\.$/, '')}${hint}`, {
      loc: located(lines, file, doc.range[0]),
    })
  }
}

/** Parses YAML (every document), expands references in string scalars, and returns the data. */
export function expandYamlData(
  code: string,
  file: string,
  lookup: SecretLookup,
  options: Pick<Scan, 'defer' | 'onRewrite'> = {},
): { documents: unknown[], names: Set<string> } {
  return (
    (options.defer ? undefined : fastYamlData(code, file, lookup, options.onRewrite))
    ?? parsedYamlData(code, file, lookup, options)
  )
}

/** {@link expandYamlData} through the yaml package (the fast path's authority). */
export function parsedYamlData(
  code: string,
  file: string,
  lookup: SecretLookup,
  { defer, onRewrite }: Pick<Scan, 'defer' | 'onRewrite'> = {},
): { documents: unknown[], names: Set<string> } {
  const scan: Scan = {
    code,
    file,
    lines: new LineCounter(),
    mentions: new Mentions(code),
    lookup,
    names: new Set(),
    ...(defer ? { defer } : {}),
    ...(onRewrite ? { onRewrite } : {}),
  }
  const docs = parseYaml(code, file, scan.lines)
  const hasReferences = mentionsSecret(code)
  const documents = docs.map((doc) => {
    if (hasReferences) expandDocument(scan, doc)
    return toData(doc, file, scan.lines)
  })
  return { documents, names: scan.names }
}

/** A reference inside a template string: the name and where it is written (for a missing-secret error). */
export interface TemplateReference { secret: string, line: number, column: number }

/**
 * A parsed YAML config with no value in it: the data with `''` where a string
 * held references, and where each such string is (a path; aliases and merge
 * keys copy one into several) with its parts. This is what the parse cache
 * keeps, and what runtime mode resolves at start-up.
 */
export interface YamlTemplate {
  data: unknown
  /** One document: `data` is it (else an array of the documents, or null for none). */
  single: boolean
  refs: [(string | number)[], (string | TemplateReference)[]][]
}

/** Whether `value` holds a string starting with `marker` anywhere, Maps and Sets included. */
function holdsMarker(value: unknown, marker: string): boolean {
  if (typeof value === 'string') return value.startsWith(marker)
  if (value instanceof Map) return [...value].some(entry => holdsMarker(entry, marker))
  if (value instanceof Set || Array.isArray(value)) return [...value].some(item => holdsMarker(item, marker))
  if (value !== null && typeof value === 'object') return Object.values(value).some(item => holdsMarker(item, marker))
  return false
}

/**
 * Parses YAML into a {@link YamlTemplate}. Returns undefined when a reference
 * sits inside a YAML 1.1 `!!omap`, `!!pairs` or `!!set` (data a path cannot
 * address): such a file is expanded directly.
 */
export function yamlTemplate(code: string, file: string): YamlTemplate | undefined {
  return fastYamlTemplate(code, file) ?? parsedYamlTemplate(code, file)
}

/** {@link yamlTemplate} through the yaml package (the fast path's authority). */
export function parsedYamlTemplate(code: string, file: string): YamlTemplate | undefined {
  const marker = `\0unplugin-secrets:${randomBytes(6).toString('hex')}:`
  const deferred: ReferenceParts[] = []
  const located: TemplateReference[][] = []
  // Only escape-only strings reach the lookup, with no reference to look up.
  const { documents } = parsedYamlData(code, file, () => '', { defer: { marker, deferred, located } })
  const single = documents.length === 1
  const data = single ? documents[0] : documents.length === 0 ? null : documents
  const refs: YamlTemplate['refs'] = []
  if (deferred.length === 0) return { data, single, refs } // nothing to take out
  // Where each placeholder ended up (aliases and merge keys copy it), in document order; then '' in its place.
  const parts = (index: number) => {
    let next = 0
    return deferred[index]!.map(part => (typeof part === 'string' ? part : located[index]![next++]!))
  }
  let opaque = false
  // Depth first in document order: [value, its parent's path, its key there].
  const stack: [unknown, (string | number)[], string | number | undefined][] = [[data, [], undefined]]
  while (stack.length > 0) {
    const [value, parent, key] = stack.pop()!
    if (typeof value === 'string') {
      if (value.startsWith(marker))
        refs.push([key === undefined ? parent : [...parent, key], parts(Number(value.slice(marker.length)))])
      continue
    }
    if (value === null || typeof value !== 'object') continue
    const path = key === undefined ? parent : [...parent, key]
    if (Array.isArray(value)) {
      for (let index = value.length - 1; index >= 0; index--) stack.push([value[index], path, index])
    }
    else if (Object.getPrototypeOf(value) === Object.prototype) {
      const keys = Object.keys(value)
      for (let index = keys.length - 1; index >= 0; index--)
        stack.push([(value as Record<string, unknown>)[keys[index]!], path, keys[index]])
    }
    else if (holdsMarker(value, marker)) {
      opaque = true // a Map or Set: no path reaches inside
    }
  }
  if (opaque) return undefined
  let template = data
  for (const [path] of refs) {
    if (path.length) setAt(template, path, '')
    else template = ''
  }
  return { data: template, single, refs }
}

/** Puts the values into a template's data (in place) and returns it; `lookup` throws for a missing or refused name. */
export function fillTemplate(template: YamlTemplate, file: string, lookup: SecretLookup): unknown {
  for (const [path, parts] of template.refs) {
    const value = parts
      .map(part =>
        typeof part === 'string' ? part : lookup(part.secret, () => ({ file, line: part.line, column: part.column })),
      )
      .join('')
    if (path.length) setAt(template.data, path, value)
    else template.data = value // the document is the string
  }
  return template.data
}

/** The ES module for a template: values filled in, or (`runtime`) resolved at start-up. */
export function templateModule(
  template: YamlTemplate,
  file: string,
  lookup: SecretLookup,
  { runtime }: { runtime?: { store: string } } = {},
): ExpandedModule {
  const names = new Set(
    template.refs.flatMap(([, parts]) => parts.flatMap(part => (typeof part === 'string' ? [] : [part.secret]))),
  )
  if (runtime && names.size > 0) {
    const refs = template.refs.map(([path, parts]) => [
      path,
      parts.map(part => (typeof part === 'string' ? part : { secret: part.secret })),
    ])
    return {
      code: toModuleCode(template.data, template.single, { store: runtime.store, file, refs }),
      map: null,
      names,
    }
  }
  return { code: toModuleCode(fillTemplate(template, file, lookup), template.single), map: null, names }
}

/**
 * A YAML config as an ES module: `export default` the data (an array of
 * documents for a multi-document file), and a named export for each top-level
 * key that is a legal identifier, as @rollup/plugin-yaml does.
 */
export function expandYaml(
  code: string,
  file: string,
  lookup: SecretLookup,
  { runtime }: { runtime?: { store: string } } = {},
): ExpandedModule {
  const template = yamlTemplate(code, file)
  if (template) return templateModule(template, file, lookup, { runtime })
  if (runtime) {
    throw new SecretsError('REFERENCE_INVALID', [
      'a ${secret.…} reference inside a YAML 1.1 !!omap, !!pairs or !!set cannot be resolved at start-up (mode:',
      '\'runtime\'). Use a plain mapping or sequence, or mode: \'inline\'.',
    ].join(' '), { loc: { file, line: 1, column: 0 } })
  }
  const { documents, names } = expandYamlData(code, file, lookup)
  return {
    code: toModuleCode(
      documents.length === 1 ? documents[0] : documents.length === 0 ? null : documents,
      documents.length === 1,
    ),
    map: null,
    names,
  }
}
