import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { describe, expect, it } from 'vitest'
import { SecretsError } from '../../src/core/errors'
import { expandYaml } from '../../src/core/formats/yaml'
import { CORPUS } from '../helpers'
import { parseJsonStream } from './json-stream'

const SUITE = join(CORPUS, 'yaml-test-suite')

/**
 * Cases where the `yaml` package itself (2.9, YAML 1.2 core schema) disagrees
 * with the suite; plain `yaml.parseAllDocuments(...).toJS()` gives the same
 * result as our transform (checked when this list was made).
 */
const PARSER_DISAGREES: Record<string, string> = {
  '2XXW': '!!set becomes a JS Set (the yaml package\'s type for the tag); the suite writes it as a mapping to nulls',
  '565N': '!!binary becomes a Uint8Array, the suite expects the base64 text',
  '9MQT-01': 'yaml rejects "..." inside a double-quoted scalar at column 0',
  'DK95-01': 'yaml rejects a tab before a continuation line in a double-quoted scalar',
  'DK95-06': 'yaml rejects tabs that only look like indentation',
  'HWV9': 'an explicit document end with no document: yaml gives one empty document',
  'J7PZ': '!!omap stays a sequence of pairs in yaml; the suite expects a mapping',
  'M7A3': 'bare documents: yaml keeps a trailing empty document',
  'QT73': 'a comment and document-end marker only: yaml gives one empty document',
}
const PARSER_ACCEPTS: Record<string, string> = {
  '9MMA': 'yaml accepts a %YAML directive with no document after it',
  'SF5V': 'yaml accepts a duplicate %YAML directive',
}

const noReferences = (): string => { throw new Error('the suite holds no ${secret.} references') }

async function importModule(code: string): Promise<unknown> {
  return (await import(`data:text/javascript,${encodeURIComponent(code)}`)).default
}

const cases = readdirSync(SUITE).filter(id => existsSync(join(SUITE, id, 'in.yaml'))).sort()

describe('yaml-test-suite through the YAML transform', () => {
  const dataCases = cases.filter(id => existsSync(join(SUITE, id, 'in.json')) && !(id in PARSER_DISAGREES))
  const errorCases = cases.filter(id => existsSync(join(SUITE, id, 'error')) && !(id in PARSER_ACCEPTS))

  it(`${dataCases.length} data cases: the module's default export deep-equals in.json`, async () => {
    const failures: string[] = []
    for (const id of dataCases) {
      const expected = parseJsonStream(readFileSync(join(SUITE, id, 'in.json'), 'utf8'))
      const { code } = expandYaml(readFileSync(join(SUITE, id, 'in.yaml'), 'utf8'), `${id}/in.yaml`, noReferences)
      const data = await importModule(code)
      const want = expected.length === 1 ? expected[0] : expected.length === 0 ? null : expected
      if (!isDeepStrictEqual(JSON.parse(JSON.stringify(data ?? null)), want)) failures.push(id)
    }
    expect(failures).toEqual([])
  }, 60_000)

  it(`${errorCases.length} error cases: a located SecretsError, never a crash`, () => {
    for (const id of errorCases) {
      let error: unknown
      try {
        expandYaml(readFileSync(join(SUITE, id, 'in.yaml'), 'utf8'), `${id}/in.yaml`, () => 'x')
      }
      catch (caught) {
        error = caught
      }
      expect(error, id).toBeInstanceOf(SecretsError)
      expect((error as SecretsError).code, id).toBe('YAML_INVALID')
      expect((error as SecretsError).message, id).toMatch(new RegExp(`^${id}/in\\.yaml:\\d+:\\d+: `))
    }
  })

  it('the skip lists name only cases that exist, and each still disagrees (so the list stays honest)', async () => {
    for (const id of Object.keys(PARSER_DISAGREES)) {
      const expected = parseJsonStream(readFileSync(join(SUITE, id, 'in.json'), 'utf8'))
      let same = false
      try {
        const data = await importModule(expandYaml(readFileSync(join(SUITE, id, 'in.yaml'), 'utf8'), 'in.yaml', noReferences).code)
        same = isDeepStrictEqual(JSON.parse(JSON.stringify(data ?? null)), expected.length === 1 ? expected[0] : expected)
      }
      catch {}
      expect(same, `${id} now passes: remove it from PARSER_DISAGREES`).toBe(false)
    }
    for (const id of Object.keys(PARSER_ACCEPTS)) expect(existsSync(join(SUITE, id, 'error')), id).toBe(true)
  })
})
