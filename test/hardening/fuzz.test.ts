/**
 * Fuzzing every parser we own or call, with fast-check and fixed seeds:
 * the reference grammar, YAML and JSON expansion (transform and render), the
 * store file reader (and trust check), key strings, and YAML duplicate keys
 * against the yaml package's own check. Properties: nothing but a SecretsError
 * is ever thrown, no run takes over 1 s, no output or message holds a value
 * that was not referenced. `npm run fuzz` runs the same with FUZZ_RUNS=20000.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { SecretsError } from '../../src/core/errors'
import { expandJson } from '../../src/core/formats/json'
import { renderConfig } from '../../src/core/formats/registry'
import { expandYaml, expandYamlData } from '../../src/core/formats/yaml'
import { parseReferences } from '../../src/core/reference'
import { parseStoreFile } from '../../src/core/store/format'
import { formatAdminKey, formatPublicKey, formatStoreKey, generateAdminKey, parseAdminKey, parsePublicKey, parseStoreKey } from '../../src/core/store/keys'
import { randomKey } from '../../src/core/store/crypto'
import { openStore } from '../../src/core/store/store'
import { tempDir } from '../helpers'
import { makeStore } from '../store/fixtures'
import { SEED } from './harness'

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000)
const dir = await tempDir('usec-fuzz-')
process.env.UNPLUGIN_SECRETS_KEY_DIR = join(dir, 'keys')

/** Each name's value is a canary that appears nowhere else, so a leak is unambiguous. */
const NAMES = ['A', 'B_2', 'TOKEN', '_x'] as const
const CANARY: Record<string, string> = Object.fromEntries(NAMES.map((name, i) => [name, `canary${i}q7Zk${name}`]))
const UNUSED = 'canaryUNUSEDq7Zk' // in the store, never referenced by the fuzz inputs below
const lookup = (name: string): string => {
  if (name in CANARY) return CANARY[name]!
  throw new SecretsError('SECRET_MISSING', `secret ${name} is not in the store.`)
}

let inputsTried = 0

/** Runs `run` within 1 s; a SecretsError is a fine outcome, anything else fails the property. */
function bounded<T>(run: () => T): { value?: T, error?: SecretsError } {
  inputsTried++
  const started = performance.now()
  try {
    return { value: run() }
  }
  catch (error) {
    if (!(error instanceof SecretsError)) throw new Error(`threw ${(error as Error)?.name}: ${(error as Error)?.message}`, { cause: error })
    expect(error.message.length).toBeLessThan(1_000) // no unbounded echo of the input
    return { error }
  }
  finally {
    expect(performance.now() - started).toBeLessThan(1_000)
  }
}

/** No canary of a name outside `referenced` in `text` (and never the unused one). */
function expectOnlyReferenced(text: string, referenced: Set<string>): void {
  expect(text).not.toContain(UNUSED)
  for (const name of NAMES) {
    if (!referenced.has(name)) expect(text).not.toContain(CANARY[name])
  }
}

const reference = fc.oneof(
  fc.constantFrom(...NAMES).map(name => `\${secret.${name}}`),
  fc.constantFrom(...NAMES).map(name => `$\${secret.${name}}`),
  fc.constantFrom('${secret.MISSING}', '${secret.}', '${secret.1A}', '${ secret.A }', '${secret.A', '${secret.A-B}', '$${', '${', '$', '}', '${{ secrets.A }}', '${VAR}'),
)
/** Text dense in what parsers care about: YAML and JSON punctuation, quotes, escapes, indentation, references. */
const token = fc.oneof(
  { weight: 3, arbitrary: reference },
  { weight: 3, arbitrary: fc.constantFrom(':', ': ', '- ', '? ', ',', '[', ']', '{', '}', '"', '\'', '\\', '\\u0024', '#', '&a ', '*a', '!!str ', '!t ', '|', '>', '|-', '<<: ', '---\n', '...\n', '%YAML 1.2\n', '\n', '\n  ', '\n    ', '\t', ' ', '\r\n', '\uFEFF', '\u2028', '__proto__', 'constructor', 'prototype', 'null', 'true', '0x1F', '.nan', '-0', '1e999') },
  { weight: 2, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
)
const hostileText = fc.array(token, { maxLength: 60 }).map(parts => parts.join(''))

/** JSON texts: valid documents with references in strings and keys, then mutated. */
const jsonValue = fc.letrec(tie => ({
  value: fc.oneof({ depthSize: 'small' }, fc.array(fc.oneof(reference, fc.string({ maxLength: 6 })), { maxLength: 3 }).map(p => p.join('')), fc.integer(), fc.constant(null), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(fc.oneof(fc.string({ maxLength: 5 }), reference, fc.constantFrom('__proto__', 'constructor')), tie('value'), { maxKeys: 4 }),
})).value
const mutatedJson = fc.tuple(jsonValue, fc.constantFrom(0, 2), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.oneof(token, fc.constant(''))), { maxLength: 3 }))
  .map(([value, indent, edits]) => edits.reduce((text, [at, remove, insert]) => {
    const i = text.length ? at % text.length : 0
    return text.slice(0, i) + insert + text.slice(i + remove)
  }, JSON.stringify(value, null, indent)))

function checkExpansion(file: string, text: string): void {
  const transformed = bounded(() => (file.endsWith('.json') ? expandJson(text, file, lookup) : expandYaml(text, file, lookup)))
  if (transformed.value) expectOnlyReferenced(transformed.value.code, transformed.value.names)
  if (transformed.error) {
    expectOnlyReferenced(transformed.error.message, new Set())
    if (transformed.error.code !== 'SECRET_MISSING') expect(transformed.error.message).toMatch(new RegExp(`^${file.replace('.', '\\.')}:\\d+:\\d+: `))
  }
  const rendered = bounded(() => renderConfig(text, file, lookup))
  if (rendered.value) expectOnlyReferenced(rendered.value.code, rendered.value.names)
  if (rendered.error) expectOnlyReferenced(rendered.error.message, new Set())
  // The transform and render agree on whether a file is acceptable (a file with two faults may report either first).
  if (/\.ya?ml$/.test(file) && text.includes('${secret.') && ![transformed.error?.code, rendered.error?.code].includes('SECRET_MISSING'))
    expect(rendered.error?.code).toBe(transformed.error?.code)
}

describe(`fuzz (fast-check, seed ${SEED}, ${RUNS} runs per property)`, () => {
  it('the reference grammar: parts or a REFERENCE_INVALID with an offset inside the string; bounded messages', () => {
    fc.assert(fc.property(fc.oneof(hostileText, fc.string({ maxLength: 200 }), fc.tuple(fc.constantFrom('${ secret.', '${secret.', '${secret .', 'x: ${secret.A} $'), fc.string({ minLength: 1100, maxLength: 3000, unit: fc.constantFrom('a', ' ', '$', '{', 'secret.') })).map(([a, b]) => a + b)), (input) => {
      const { value, error } = bounded(() => parseReferences(input))
      if (error) {
        expect(error.code).toBe('REFERENCE_INVALID')
        expect((error as SecretsError & { offset: number }).offset).toBeLessThan(input.length)
      }
      // Text and references put back together give the input (with $${secret. as ${secret.).
      if (value) expect(value.map(part => (part.type === 'text' ? part.text : `\${secret.${part.name}}`)).join('')).toBe(input.replaceAll('$${secret.', '${secret.'))
    }), { seed: SEED, numRuns: RUNS * 5 })
  })

  it('YAML: transform and render of hostile text', () => {
    fc.assert(fc.property(hostileText, text => checkExpansion('f.yaml', text)), { seed: SEED, numRuns: RUNS * 2 })
  })

  it('JSON: transform and render of mutated documents', () => {
    fc.assert(fc.property(fc.oneof(mutatedJson, hostileText), text => checkExpansion('f.json', text)), { seed: SEED, numRuns: RUNS * 2 })
  })

  it('YAML duplicate keys: found exactly where the yaml package\'s own (quadratic) uniqueKeys check finds them', () => {
    const key = fc.constantFrom('a', 'b', '"a"', '\'a\'', '1', '"1"', '01', '0x1', 'null', '~', '', 'true', '.nan', '-0', '0', '[a]', '{a: 1}', '&k a', '*k', '!!str 1', '<<')
    const mapping = fc.array(fc.tuple(key, fc.constantFrom('1', 'x', '[1]', '{c: 1, c: 2}', '{d: 1}')), { minLength: 1, maxLength: 5 })
      .map(pairs => pairs.map(([k, v]) => `${k}: ${v}`).join('\n'))
    fc.assert(fc.property(mapping, (text) => {
      const docs = parseAllDocuments(text, { merge: true, uniqueKeys: true, strict: true })
      const theirs = (Array.isArray(docs) ? docs : []).some(doc => doc.errors.some(error => error.code === 'DUPLICATE_KEY'))
      const otherError = (Array.isArray(docs) ? docs : []).some(doc => doc.errors.some(error => error.code !== 'DUPLICATE_KEY'))
      const ours = bounded(() => expandYamlData(text, 'd.yaml', lookup))
      if (!otherError) expect(/Map keys must be unique/.test(ours.error?.message ?? ''), text).toBe(theirs)
    }), { seed: SEED, numRuns: RUNS * 2 })
  })

  it('store files: every mutation of a real store opens to the same values or fails with a SecretsError; never a wrong value', async () => {
    const { path, storeKey } = await makeStore(dir, { ALPHA: 'alpha-value-1', BETA: 'beta-value-2', UNUSED_ONE: UNUSED })
    const original = await (await import('node:fs/promises')).readFile(path, 'utf8')
    const values = Object.fromEntries(await (await openStore({ path, key: storeKey })).getAll())
    const edit = fc.tuple(fc.nat(), fc.nat({ max: 40 }), fc.oneof(token, fc.constantFrom('0', '1', '""', '[]', '{}', 'null', '"x"', 'A', '=', '9999999999999999999'), fc.constant('')))
    const mutated = fc.oneof(
      fc.array(edit, { minLength: 1, maxLength: 4 }).map(edits => edits.reduce((text, [at, remove, insert]) => {
        const i = at % text.length
        return text.slice(0, i) + insert + text.slice(i + remove)
      }, original)),
      hostileText,
    )
    let opened = 0
    await fc.assert(fc.asyncProperty(mutated, async (text) => {
      const parsed = bounded(() => parseStoreFile(text, path))
      if (parsed.error) return
      await writeFile(path, text)
      inputsTried++
      try {
        const store = await openStore({ path, key: storeKey })
        const all = Object.fromEntries(await store.getAll())
        store.verify()
        expect(all).toEqual(values) // only a change that keeps the content (whitespace, key order) opens
        opened++
      }
      catch (error) {
        if (!(error instanceof SecretsError)) throw error
        expect(error.message).not.toContain(UNUSED)
      }
    }), { seed: SEED, numRuns: RUNS })
    expect(opened).toBeGreaterThanOrEqual(0)
  })

  it('key strings: arbitrary text and single edits of real keys give KEY_INVALID (never another error), and messages never repeat the key', () => {
    const store = formatStoreKey({ dataKey: randomKey(), trustRoot: randomKey() })
    const admin = generateAdminKey()
    const keys = [store, formatAdminKey(admin), formatPublicKey(admin.publicKey)]
    const parsers = [parseStoreKey, parseAdminKey, parsePublicKey]
    const edited = fc.tuple(fc.constantFrom(0, 1, 2), fc.nat(), fc.nat({ max: 3 }), fc.oneof(fc.string({ maxLength: 3 }), fc.constantFrom('-', '_', '=', '+', '/', ' ', '\n', 'A')))
      .map(([k, at, remove, insert]) => {
        const key = keys[k]!
        const i = at % key.length
        return key.slice(0, i) + insert + key.slice(i + remove)
      })
    fc.assert(fc.property(fc.oneof(edited, fc.string({ maxLength: 120 }), hostileText, fc.anything()), (input) => {
      for (const [index, parse] of parsers.entries()) {
        const { error } = bounded(() => parse(input))
        if (error) {
          expect(error.code).toBe('KEY_INVALID')
          for (const key of keys) expect(error.message).not.toContain(key.slice(12, 30))
        }
        else {
          // Only the real key (maybe with surrounding white space) parses.
          expect(typeof input === 'string' && input.trim()).toBe(keys[index])
        }
      }
    }), { seed: SEED, numRuns: RUNS * 2 })
  })

  it('reports the inputs tried', () => {
    console.log(`fuzz: ${inputsTried} inputs tried (FUZZ_RUNS=${RUNS})`)
    expect(inputsTried).toBeGreaterThan(RUNS * 10)
  })
})
