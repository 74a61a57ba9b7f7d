import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { expandJson } from '../../src/core/formats/json'
import { expandYamlData } from '../../src/core/formats/yaml'
import { expandReferences } from '../../src/core/reference'

const NAMES = ['A', 'B_2', 'TOKEN', '_x'] as const

/** Strings built from text (no `$` or `{`), references, escaped references and stray dollars. */
const configString = fc.array(fc.oneof(
  fc.string({ unit: 'grapheme' }).map(text => text.replace(/[${]/g, '')),
  fc.constantFrom(...NAMES).map(name => `\${secret.${name}}`),
  fc.constantFrom(...NAMES).map(name => `$\${secret.${name}}`),
  fc.constantFrom('$', '$$', ' $ '),
), { maxLength: 5 }).map(parts => parts.join(''))

const configData = fc.letrec(tie => ({
  value: fc.oneof({ depthSize: 'small' }, configString, fc.integer(), fc.boolean(), fc.constant(null), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(fc.string().map(key => key.replace(/[${]/g, '')), tie('value'), { maxKeys: 4 }),
})).object

/** Values chosen to break naive substitution, one per name. */
const secretValue: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary' }).filter(value => value.isWellFormed()),
  fc.constantFrom('"', '\'', '\\', '\n', '\r\n', '\t', '# x', ': ', '- ', '{}[]', '*a', '&x', '!!tag', '\u2028\u2029', '</script>', '${secret.A}', '', 'x'.repeat(5000)),
)
const secretValues: fc.Arbitrary<Record<string, string>> = fc.record(Object.fromEntries(NAMES.map(name => [name, secretValue])))

function substitute(value: unknown, lookup: (name: string) => string): unknown {
  if (typeof value === 'string') return expandReferences(value, lookup)
  if (Array.isArray(value)) return value.map(item => substitute(item, lookup))
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, lookup)]))
  return value
}

describe('expanding a serialized document equals substituting in the data', () => {
  it('YAML (every scalar style the serializer picks)', () => {
    fc.assert(fc.property(configData, secretValues, fc.constantFrom('PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE', 'BLOCK_LITERAL', 'BLOCK_FOLDED') as fc.Arbitrary<'PLAIN'>, (data, values, style) => {
      const lookup = (name: string): string => values[name]!
      const text = stringify(data, { defaultStringType: style, lineWidth: 40 })
      expect(expandYamlData(text, 'c.yaml', lookup).documents[0]).toEqual(substitute(data, lookup))
    }), { seed: 20261126, numRuns: 300 })
  })

  it('JSON (with and without indentation)', () => {
    fc.assert(fc.property(configData, secretValues, fc.constantFrom(0, 2), (data, values, indent) => {
      const lookup = (name: string): string => values[name]!
      const text = JSON.stringify(data, null, indent)
      expect(JSON.parse(expandJson(text, 'c.json', lookup).code)).toEqual(substitute(data, lookup))
    }), { seed: 20261126, numRuns: 300 })
  })
})
