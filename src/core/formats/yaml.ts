import { LineCounter, parseAllDocuments, visit } from 'yaml'
import type { Document } from 'yaml'
import { SecretsError } from '../errors'
import type { SourceLocation } from '../errors'
import { ReferenceSyntaxError, expandReferences, mentionsSecret } from '../reference'
import { toModuleCode } from './module'
import type { ExpandedModule, SecretLookup } from './types'
import { referenceOffset } from './types'

/** Aliases one document may expand (the yaml package's default): stops alias bombs. */
export const MAX_ALIAS_COUNT = 100

function located(lines: LineCounter, file: string, offset: number): SourceLocation {
  const { line, col } = lines.linePos(offset)
  return { file, line, column: col - 1 }
}

function parseYaml(code: string, file: string, lines: LineCounter): Document.Parsed[] {
  const docs = parseAllDocuments(code, { lineCounter: lines, merge: true, uniqueKeys: true, prettyErrors: false, strict: true })
  if (!Array.isArray(docs)) return []
  for (const doc of docs) {
    const error = doc.errors[0]
    if (!error) continue
    const loc = located(lines, file, error.pos[0])
    const lineText = code.slice(error.pos[0] - loc.column, code.indexOf('\n', error.pos[0]) >>> 0)
    const hint = mentionsSecret(lineText) && /[[{]/.test(lineText)
      ? ' A ${secret.…} reference inside a flow collection ([…] or {…}) must be quoted: ["${secret.NAME}"].'
      : error.code === 'DUPLICATE_KEY' ? ' Remove or rename one of the keys.' : ''
    throw new SecretsError('YAML_INVALID', `${error.message.replace(/ at line \d+, column \d+.*$/s, '')}.${hint}`, { loc })
  }
  return docs
}

/** Substitutes references in the string scalars of `doc`, in place. Keys may hold none. */
function expandDocument(doc: Document.Parsed, code: string, file: string, lines: LineCounter, lookup: SecretLookup, names: Set<string>): void {
  visit(doc, {
    Scalar(key, node) {
      if (typeof node.value !== 'string' || !mentionsSecret(node.value)) return
      const [start, end] = node.range ?? [0, 0]
      if (key === 'key')
        throw new SecretsError('REFERENCE_IN_KEY', `a \${secret.…} reference stands in the mapping key ${JSON.stringify(node.value)}; references are expanded in values only. Move it into a value.`, { loc: located(lines, file, start) })
      const value = node.value
      try {
        node.value = expandReferences(value, (name, offset) => {
          names.add(name)
          return lookup(name, located(lines, file, referenceOffset(code, start, end, value, offset)))
        })
      }
      catch (error) {
        if (error instanceof ReferenceSyntaxError)
          throw new SecretsError('REFERENCE_INVALID', error.message, { loc: located(lines, file, referenceOffset(code, start, end, value, error.offset)) })
        throw error
      }
    },
  })
}

function toData(doc: Document.Parsed, file: string, lines: LineCounter): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT })
  }
  catch (error) {
    throw new SecretsError('YAML_INVALID', `${(error as Error).message} (more than ${MAX_ALIAS_COUNT} alias expansions: an alias bomb?). Use fewer aliases.`, { loc: located(lines, file, doc.range[0]) })
  }
}

/** Parses YAML (every document), expands references in string scalars, and returns the data. */
export function expandYamlData(code: string, file: string, lookup: SecretLookup): { documents: unknown[], names: Set<string> } {
  const lines = new LineCounter()
  const names = new Set<string>()
  const docs = parseYaml(code, file, lines)
  const scan = mentionsSecret(code)
  const documents = docs.map((doc) => {
    if (scan) expandDocument(doc, code, file, lines, lookup, names)
    return toData(doc, file, lines)
  })
  return { documents, names }
}

/**
 * A YAML config as an ES module: `export default` the data (an array of
 * documents for a multi-document file), and a named export for each top-level
 * key that is a legal identifier, as @rollup/plugin-yaml does.
 */
export function expandYaml(code: string, file: string, lookup: SecretLookup): ExpandedModule {
  const { documents, names } = expandYamlData(code, file, lookup)
  const data = documents.length === 1 ? documents[0] : documents.length === 0 ? null : documents
  return { code: toModuleCode(data, documents.length === 1), map: null, names }
}

