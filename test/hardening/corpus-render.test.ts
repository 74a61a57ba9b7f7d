/**
 * The test corpora (test/corpus) through `render` (test/corpus runs them through the
 * transform and Rollup): yaml-test-suite, JSONTestSuite and the real configs.
 * A file with no `${secret.` is copied unparsed, so each case gets one:
 * YAML a leading `# ${secret.X}` comment (parsed, nothing to substitute),
 * JSON a wrapping array with a reference, real configs references put in
 * place of plain values. Valid files keep their data (and every line without
 * a reference is byte-identical); invalid ones give a located SecretsError.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { SecretsError } from '../../src/core/errors'
import { renderConfig } from '../../src/core/formats/registry'
import { CORPUS, tempDir } from '../helpers'
import { createLiveStore } from '../plugin/live-store'
import { cli } from './harness'

const VALUE = 'rendered "value" #1: \\ {x}\n2nd line'
const lookup = (name: string): string => {
  if (name === 'X') return VALUE
  throw new SecretsError('SECRET_MISSING', `secret ${name} is not in the store`)
}

function render(code: string, file: string): { code?: string, error?: SecretsError } {
  try {
    return { code: renderConfig(code, file, lookup).code }
  }
  catch (error) {
    if (!(error instanceof SecretsError)) throw new Error(`${file}: not a SecretsError: ${String(error)}`, { cause: error })
    return { error }
  }
}

const yamlData = (code: string) => parseAllDocuments(code, { merge: true }) as unknown as { errors: unknown[], toJS: (options: object) => unknown }[]

describe('yaml-test-suite through render', () => {
  const SUITE = join(CORPUS, 'yaml-test-suite')
  // Cases the yaml package accepts though the suite says error (listed with reasons in test/corpus/yaml-test-suite.test.ts).
  const PARSER_ACCEPTS = new Set(['9MMA', 'SF5V'])
  const cases = readdirSync(SUITE).filter(id => existsSync(join(SUITE, id, 'in.yaml'))).sort()

  it(`${cases.length} cases: valid ones come out byte-identical, error ones give a located YAML_INVALID`, () => {
    const problems: string[] = []
    let valid = 0
    let invalid = 0
    for (const id of cases) {
      const original = readFileSync(join(SUITE, id, 'in.yaml'), 'utf8')
      const bom = original.startsWith('\uFEFF') ? '\uFEFF' : ''
      const text = `${bom}# \${secret.X} makes render parse this file\n${original.slice(bom.length)}`
      const result = render(text, `${id}.yaml`)
      if (existsSync(join(SUITE, id, 'error')) && !PARSER_ACCEPTS.has(id)) {
        invalid++
        if (!result.error) problems.push(`${id}: accepted`)
        else if (result.error.code !== 'YAML_INVALID' || !new RegExp(`^${id}\\.yaml:\\d+:\\d+: `).test(result.error.message)) problems.push(`${id}: ${result.error.message}`)
      }
      else if (existsSync(join(SUITE, id, 'in.json'))) {
        valid++
        if (result.error) problems.push(`${id}: rejected: ${result.error.message}`)
        else if (result.code !== text) problems.push(`${id}: output differs from the input`)
      }
    }
    console.log(`yaml-test-suite through render: ${valid} valid, ${invalid} invalid`)
    expect(problems).toEqual([])
  })
})

describe('JSONTestSuite through render', () => {
  const SUITE = join(CORPUS, 'json-test-suite')
  const files = readdirSync(SUITE).filter(name => name.endsWith('.json')).sort()

  it(`${files.length} files wrapped as [file, "\${secret.X}"]: render agrees with JSON.parse on the wrapped text; data kept; errors located`, () => {
    const problems: string[] = []
    for (const name of files) {
      const original = readFileSync(join(SUITE, name), 'utf8')
      const text = `[${original},"\${secret.X}"]`
      let expected: unknown
      let parses = true
      try {
        expected = [...(JSON.parse(text) as unknown[]).slice(0, -1), VALUE]
      }
      catch {
        parses = false
      }
      const result = render(text, name)
      if (name.startsWith('i_')) continue // implementation-defined: only "no crash", checked by render()
      if (parses) {
        if (result.error) problems.push(`${name}: rejected: ${result.error.message}`)
        else if (!isDeepStrictEqual(JSON.parse(result.code!), expected)) problems.push(`${name}: data changed`)
        else if (!result.code!.startsWith(`[${original},`)) problems.push(`${name}: text outside the reference changed`)
      }
      else if (!result.error) {
        problems.push(`${name}: accepted`)
      }
      else if (!['JSON_INVALID', 'REFERENCE_IN_KEY'].includes(result.error.code) || !/^\d+:\d+: /.test(result.error.message.slice(name.length + 1)) || !result.error.message.startsWith(`${name}:`)) {
        problems.push(`${name}: ${result.error.code} ${result.error.message}`)
      }
    }
    expect(problems).toEqual([])
  })
})

describe('real configs through render', () => {
  const FOLDER = join(CORPUS, 'real-configs')
  const files = readdirSync(FOLDER).filter(name => /\.(?:ya?ml|json)$/.test(name)).sort()
  /** A simple `key: value` line (YAML) or `"key": "value"` (JSON) whose value can become a reference. */
  const YAML_LINE = /^(\s*(?:- )?[\w.-]+: )([A-Za-z][\w.-]*)(\s*)$/
  const JSON_LINE = /^(\s*"[\w.-]+": )"([A-Za-z][\w.-]*)"(,?\s*)$/

  /** The file with up to 5 plain values replaced by references (`withRefs`) and by the quoted value (`expected`), and the line numbers touched. */
  function withReferences(text: string, json: boolean) {
    const lines = text.split('\n')
    const refs = [...lines]
    const plain = [...lines]
    const touched = new Set<number>()
    for (let i = 0; i < lines.length && touched.size < 5; i += 7) {
      const match = (json ? JSON_LINE : YAML_LINE).exec(lines[i]!)
      if (!match) continue
      refs[i] = `${match[1]}${json ? '"${secret.X}"' : '${secret.X}'}${match[3]}`
      plain[i] = `${match[1]}${JSON.stringify(VALUE)}${match[3]}`
      touched.add(i)
    }
    return { withRefs: refs.join('\n'), expected: plain.join('\n'), touched }
  }

  it.each(files)('%s: referenced values in, every other line byte-identical, data as if the value were written there', (name) => {
    const text = readFileSync(join(FOLDER, name), 'utf8')
    const json = name.endsWith('.json')
    const { withRefs, expected, touched } = withReferences(text, json)
    const result = render(withRefs, name)
    if (json && /^\s*\/\/|\/\*/m.test(text)) {
      // JSONC (comments): references are refused there with a located JSON_INVALID, the file as it is passes through.
      if (touched.size) expect(result.error?.code).toBe('JSON_INVALID')
      return
    }
    expect(result.error?.message).toBeUndefined()
    const out = result.code!.split('\n')
    const input = withRefs.split('\n')
    if (touched.size === 0) expect(result.code).toBe(withRefs)
    // Lines without a reference keep their bytes (a block scalar's quoting may merge lines only where a reference is).
    if (out.length === input.length) input.forEach((line, i) => touched.has(i) || expect(out[i], `${name}:${i + 1}`).toBe(line))
    if (json) expect(JSON.parse(result.code!)).toEqual(JSON.parse(expected))
    else expect(yamlData(result.code!).map(doc => doc.toJS({ maxAliasCount: -1 }))).toEqual(yamlData(expected).map(doc => doc.toJS({ maxAliasCount: -1 })))
  })

  it('the CLI render gives the same bytes as the in-process render, for every real config', async () => {
    const dir = await tempDir('usec-corpus-render-')
    const { store, keyDir } = await createLiveStore(dir, { X: VALUE })
    let compared = 0
    for (const name of files) {
      const { withRefs } = withReferences(readFileSync(join(FOLDER, name), 'utf8'), name.endsWith('.json'))
      const file = join(dir, name)
      await writeFile(file, withRefs)
      const expected = render(withRefs, name)
      const result = await cli(['render', file, '--store', store], { UNPLUGIN_SECRETS_KEY_DIR: keyDir }).done
      if (expected.error) {
        expect(result.code, name).toBe(1)
        expect(result.stderr, name).toContain(expected.error.message.replace(`${name}:`, ''))
      }
      else {
        expect(result.code, `${name}: ${result.stderr}`).toBe(0)
        expect(result.stdout, name).toBe(expected.code)
      }
      compared++
    }
    expect(compared).toBe(files.length)
  }, 180_000)
})
