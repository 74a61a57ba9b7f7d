import { printParseErrorCode, visit } from 'jsonc-parser'
import MagicString from 'magic-string'
import { SecretsError } from '../errors'
import type { SourceLocation } from '../errors'
import { ReferenceSyntaxError, expandReferences, mentionsSecret } from '../reference'
import type { ExpandedModule, SecretLookup } from './types'
import { referenceOffset } from './types'

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

/**
 * Expands references in the string values of a JSON file, in place: the
 * output is still JSON (each bundler's JSON handling keeps working), every
 * line outside the edited strings is unchanged, and the map points back.
 */
export function expandJson(code: string, file: string, lookup: SecretLookup, { sourcemap = false } = {}): ExpandedModule {
  const names = new Set<string>()
  if (!mentionsSecret(code)) return { code, map: null, names }
  const starts = lineStarts(code)
  const edits = new MagicString(code)
  let failure: SecretsError | undefined
  visit(code, {
    onObjectProperty(property, offset) {
      if (!failure && mentionsSecret(property))
        failure = new SecretsError('REFERENCE_IN_KEY', `a \${secret.…} reference stands in the key ${JSON.stringify(property)}; references are expanded in values only. Move it into a value.`, { loc: locate(starts, file, offset) })
    },
    onLiteralValue(value, offset, length) {
      if (failure || typeof value !== 'string' || !mentionsSecret(value)) return
      try {
        const expanded = expandReferences(value, (name, at) => {
          names.add(name)
          return lookup(name, locate(starts, file, referenceOffset(code, offset + 1, offset + length - 1, value, at)))
        })
        edits.overwrite(offset, offset + length, JSON.stringify(expanded))
      }
      catch (error) {
        if (error instanceof ReferenceSyntaxError)
          failure = new SecretsError('REFERENCE_INVALID', error.message, { loc: locate(starts, file, referenceOffset(code, offset + 1, offset + length - 1, value, error.offset)) })
        else failure = error as SecretsError
      }
    },
    onError(error, offset) {
      failure ??= new SecretsError('JSON_INVALID', `the file is not valid JSON (${jsonErrorText(error)}). Fix the JSON; references are only expanded in valid files.`, { loc: locate(starts, file, offset) })
    },
  }, { allowTrailingComma: false, disallowComments: false })
  if (failure) throw failure
  return { code: edits.toString(), map: sourcemap ? edits.generateMap({ hires: 'boundary', source: file, includeContent: false }) : null, names }
}

/** 'CommaExpected' -> 'comma expected' */
const jsonErrorText = (code: number): string => printParseErrorCode(code).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()
