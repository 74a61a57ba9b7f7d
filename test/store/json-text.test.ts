/**
 * The store's strict JSON parse: a duplicate key is found by counting members
 * (colons outside strings against the parse's keys), checked here against
 * jsonc-parser's reading of the same random texts.
 */
import fc from 'fast-check'
import { visit } from 'jsonc-parser'
import { describe, expect, it } from 'vitest'
import { memberCount, parsedMemberCount, parseStrictJson } from '../../src/core/store/json-text'

/** Whether jsonc-parser sees a key twice in one object (keys compared decoded). */
function hasDuplicateKey(text: string): boolean {
  const objects: Set<string>[] = []
  let found = false
  visit(text, {
    onObjectBegin: () => void objects.push(new Set()),
    onObjectEnd: () => void objects.pop(),
    onObjectProperty(key) {
      const seen = objects.at(-1)!
      if (seen.has(key)) found = true
      seen.add(key)
    },
  })
  return found
}

// Keys that collide once decoded ("a" and "\u0061"), end in an escaped backslash, hold quotes and colons.
const KEYS = ['"a"', '"\\u0061"', '"b"', '"__proto__"', '"a\\\\"', '"x\\":y"', '"é"', '"{:}"']
const STRINGS = ['"plain"', '"with : colon"', '"q\\":"', '"\\\\"', '"{}[]:,"', '"\\\\\\":"', '""']
const space = fc.constantFrom('', ' ', '\n  ', '\t')

const json = fc.letrec<{ value: string }>(tie => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...STRINGS),
    fc.constantFrom('0', '-1.5e3', 'true', 'null'),
    fc.array(tie('value'), { maxLength: 4 }).map(items => `[${items.join(',')}]`),
    fc.array(fc.tuple(space, fc.constantFrom(...KEYS), space, tie('value')), { maxLength: 5 })
      .map(members => `{${members.map(([a, key, b, value]) => `${a}${key}${b}:${b}${value}`).join(',')}}`),
  ),
})).value

describe('parseStrictJson', () => {
  it('refuses a text exactly when some object repeats a key (jsonc-parser as the reference)', () => {
    fc.assert(fc.property(json, (text) => {
      const duplicate = hasDuplicateKey(text)
      expect(memberCount(text) !== parsedMemberCount(JSON.parse(text))).toBe(duplicate)
      if (duplicate) expect(() => parseStrictJson(text, 'store.json')).toThrow(/appears twice in one object/)
      else expect(parseStrictJson(text, 'store.json')).toEqual(JSON.parse(text))
    }), { numRuns: 2000, seed: 20261202 })
  })

  it('names the repeated key and where it is', () => {
    const text = '{\n  "a": {"x": "\\\\", "__proto__": 1, "__proto__": 2}\n}'
    expect(() => parseStrictJson(text, 'store.json')).toThrow(
      'store.json:2:36: the key "__proto__" appears twice in one object (a bad merge or a hand edit).',
    )
  })

  it('counts members in nesting deeper than the call stack', () => {
    const depth = 100_000
    const text = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
    expect(parsedMemberCount(JSON.parse(text))).toBe(depth)
    expect(memberCount(text)).toBe(depth)
  })
})
