import { printParseErrorCode } from 'jsonc-parser'
import MagicString from 'magic-string'
import { SecretsError } from '../errors'
import { visitJson } from '../jsonc'
import type { SourceLocation } from '../errors'
import { ReferenceSyntaxError, mentionsSecret, parseReferences } from '../reference'
import { referenceOffset } from './locate'
import type { ExpandedModule, SecretLookup } from './types'

function lineStarts(code: string): number[] {
  const starts = [0]
  for (let i = code.indexOf('\n'); i !== -1; i = code.indexOf('\n', i + 1)) starts.push(i + 1)
  return starts
}

function locate(starts: number[], file: string, offset: number): SourceLocation {
  let low = 0
  let high = starts.length - 1
  while (low < high) {
    const mid = (low + high + 1) >> 1
    if (starts[mid]! <= offset) low = mid
    else high = mid - 1
  }
  return { file, line: low + 1, column: offset - starts[low]! }
}

/** 'CommaExpected' -> 'comma expected' */
const jsonErrorText = (code: number): string => printParseErrorCode(code).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()

/**
 * Expands references in the string values of a JSON file, in place: the
 * output is still JSON (each bundler's JSON handling keeps working), every
 * line outside the edited strings is unchanged, and the map points back.
 * A reference spelled with escapes (`\u0024{secret.X}`) is text.
 */
export function expandJson(code: string, file: string, lookup: SecretLookup, { sourcemap = false } = {}): ExpandedModule {
  const names = new Set<string>()
  if (!mentionsSecret(code)) return { code, map: null, names }
  const starts = lineStarts(code)
  const at = (offset: number) => locate(starts, file, offset)
  const edits = new MagicString(code)
  let failure: SecretsError | undefined
  // Strict JSON: a bundler's own parser would quote the expanded text in its error for anything less.
  const strict = code.startsWith('\uFEFF') ? ` ${code.slice(1)}` : code
  visitJson(strict, {
    onObjectProperty(property, offset, length) {
      if (failure || !mentionsSecret(code.slice(offset, offset + length))) return
      try {
        const parts = parseReferences(property)
        if (parts.some(part => part.type === 'ref'))
          failure = new SecretsError('REFERENCE_IN_KEY', `a \${secret.…} reference stands in the key ${JSON.stringify(property)}; references are expanded in values only. Move it into a value.`, { loc: at(offset) })
        else edits.overwrite(offset, offset + length, JSON.stringify(parts.map(part => (part.type === 'text' ? part.text : '')).join(''))) // only escapes
      }
      catch (error) {
        failure = error instanceof ReferenceSyntaxError ? new SecretsError('REFERENCE_INVALID', error.message, { loc: at(offset) }) : error as SecretsError
      }
    },
    onLiteralValue(value, offset, length) {
      if (failure || typeof value !== 'string') return
      const raw = code.slice(offset, offset + length)
      if (!mentionsSecret(raw)) return
      const position = (within: number) => at(referenceOffset(raw, offset, value, within))
      try {
        const expanded = parseReferences(value).map((part) => {
          if (part.type === 'text') return part.text
          names.add(part.name)
          return lookup(part.name, () => position(part.offset))
        }).join('')
        edits.overwrite(offset, offset + length, JSON.stringify(expanded))
      }
      catch (error) {
        failure = error instanceof ReferenceSyntaxError ? new SecretsError('REFERENCE_INVALID', error.message, { loc: position(error.offset) }) : error as SecretsError
      }
    },
    onError(error, offset) {
      failure ??= new SecretsError('JSON_INVALID', `the file is not valid JSON (${jsonErrorText(error)}). Fix the JSON; references are only expanded in valid files.`, { loc: at(offset) })
    },
  }, { allowTrailingComma: false, disallowComments: true }, () => {
    failure ??= new SecretsError('JSON_INVALID', 'the file nests arrays or objects too deeply to parse. Flatten the structure.', { loc: at(0) })
  })
  if (failure) throw failure
  return { code: edits.toString(), map: sourcemap ? edits.generateMap({ hires: 'boundary', source: file, includeContent: false }) : null, names }
}
