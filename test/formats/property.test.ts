import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { expandJson } from '../../src/core/formats/json'
import { expandYamlData } from '../../src/core/formats/yaml'
import { expandReferences } from '../../src/core/reference'

const NAMES = ['A', 'B_2', 'TOKEN', '_x'] as const

/** Strings built from text (no `$` or `{`), references, escaped references and stray dollars (and `extra` pieces). */
const configString = (...extra: string[]) => fc.array(fc.oneof(
  fc.string({ unit: 'grapheme' }).map(text => text.replace(/[${]/g, '')),
  fc.constantFrom(...NAMES).map(name => `\${secret.${name}}`),
  fc.constantFrom(...NAMES).map(name => `$\${secret.${name}}`),
  fc.constantFrom('$', '$$', ' $ ', ...extra),
), { maxLength: 5 }).map(parts => parts.join(''))

const dataOf = (strings: fc.Arbitrary<string>, keys: fc.Arbitrary<string>) => fc.letrec(tie => ({
  value: fc.oneof({ depthSize: 'small' }, strings, fc.integer(), fc.boolean(), fc.constant(null), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(keys, tie('value'), { maxKeys: 4 }),
})).object

const plainKey = fc.string().map(key => key.replace(/[${]/g, ''))
const configData = dataOf(configString(), plainKey)
/** Quotes and backslashes next to references (JSON finds a reference's string by its quotes), and escapes in keys. */
const jsonData = dataOf(configString('\\', '"', '\\"', '\\\\', '": "', '\\u0024'), fc.oneof(plainKey, fc.constantFrom('$${secret.A}', 'a\\"b', '"')))

/** Values chosen to break naive substitution, one per name. */
const secretValue: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary' }).filter(value => value.isWellFormed()),
  fc.constantFrom('"', '\'', '\\', '\n', '\r\n', '\t', '# x', ': ', '- ', '{}[]', '*a', '&x', '!!tag', '\u2028\u2029', '</script>', '${secret.A}', '', 'x'.repeat(5000)),
)
const secretValues: fc.Arbitrary<Record<string, string>> = fc.record(Object.fromEntries(NAMES.map(name => [name, secretValue])))

function substitute(value: unknown, lookup: (name: string) => string): unknown {
  if (typeof value === 'string') return expandReferences(value, lookup)
  if (Array.isArray(value)) return value.map(item => substitute(item, lookup))
  // A key holds no reference, but `$${secret.` is the escape there too.
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [expandReferences(key, lookup), substitute(item, lookup)]))
  return value
}

describe('expanding a serialized document equals substituting in the data', () => {
  it('YAML (every scalar style the serializer picks)', () => {
    fc.assert(fc.property(configData, secretValues, fc.constantFrom('PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE', 'BLOCK_LITERAL', 'BLOCK_FOLDED') as fc.Arbitrary<'PLAIN'>, (data, values, style) => {
      const lookup = (name: string): string => values[name]!
      const text = stringify(data, { defaultStringType: style, lineWidth: 40 })
      // Against what the parser reads (the serializer's folding does not always round-trip backslashes).
      expect(expandYamlData(text, 'c.yaml', lookup).documents[0]).toEqual(substitute(parse(text), lookup))
    }), { seed: 20261126, numRuns: 300 })
  })

  it('JSON (with and without indentation)', () => {
    fc.assert(fc.property(jsonData, secretValues, fc.constantFrom(0, 2), (data, values, indent) => {
      const lookup = (name: string): string => values[name]!
      const text = JSON.stringify(data, null, indent)
      expect(JSON.parse(expandJson(text, 'c.json', lookup).code)).toEqual(substitute(data, lookup))
    }), { seed: 20261126, numRuns: 300 })
  })
})
