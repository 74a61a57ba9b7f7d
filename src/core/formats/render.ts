import MagicString from 'magic-string'
import { mentionsSecret } from '../reference'
import { expandJson } from './json'
import type { SecretLookup } from './types'
import { expandYamlData } from './yaml'

/** A YAML double-quoted scalar for `value`: JSON's escapes are YAML's, plus the characters YAML must not see raw. */
export function yamlDoubleQuoted(value: string): string {
  return JSON.stringify(value).replace(/[\u007F-\u009F\u2028\u2029\uFEFF\uFFFE\uFFFF]/g, char => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/**
 * The file with every string that holds a reference (or an escape) replaced
 * by its final value, keeping format, comments and layout: JSON is edited in
 * place; in YAML each such scalar becomes a double-quoted scalar (a block
 * scalar `|`/`>` too). Every other line is byte-identical. `$${secret.X}`
 * renders as the literal `${secret.X}`: the output is final.
 */
export function renderConfig(code: string, file: string, lookup: SecretLookup): { code: string, names: Set<string> } {
  if (!/\.ya?ml$/i.test(file)) {
    const json = expandJson(code, file, lookup)
    return { code: json.code, names: json.names }
  }
  if (!mentionsSecret(code)) return { code, names: new Set() }
  // One pass: the YAML path checks everything (syntax, keys, references, missing names) and reports each rewritten scalar.
  const edits = new MagicString(code)
  const { names } = expandYamlData(code, file, lookup, {
    onRewrite(start, end, raw, value) {
      // A block scalar's range ends after its last line break: keep one.
      const newline = /^[|>]/.test(raw) && raw.endsWith('\n') ? '\n' : ''
      edits.overwrite(start, end, yamlDoubleQuoted(value) + newline)
    },
  })
  return { code: edits.toString(), names }
}
