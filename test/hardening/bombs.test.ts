/**
 * Hostile configs: alias bombs, 10,000 levels of nesting, a 50 MB file, a
 * 1 MB scalar, a 100,000-key mapping, `__proto__` / `constructor` /
 * `prototype` keys anywhere, references in keys, tags and anchors. Each ends
 * in bounded time with the data or a located SecretsError, and nothing
 * reaches Object.prototype.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { SecretsError } from '../../src/core/errors'
import { expandJson } from '../../src/core/formats/json'
import { renderConfig } from '../../src/core/formats/registry'
import { expandYaml, expandYamlData } from '../../src/core/formats/yaml'
import { parseStoreFile } from '../../src/core/store/format'
import { resolveConfig } from '../../src/core/runtime'
import { tempDir } from '../helpers'
import { createLiveStore } from '../plugin/live-store'
import { cli } from './harness'

const dir = await tempDir('usec-bombs-')
const VALUES: Record<string, string> = { X: 'x-value-canary', Y: 'y-value-canary' }
const lookup = (name: string): string => {
  if (!(name in VALUES)) throw new SecretsError('SECRET_MISSING', `no ${name}`)
  return VALUES[name]!
}

/** Runs `run`; returns 'ok' or the SecretsError, failing on any other throw and on more than `ms`. */
function outcome(run: () => unknown, ms = 10_000): 'ok' | SecretsError {
  const started = performance.now()
  let result: 'ok' | SecretsError = 'ok'
  try {
    run()
  }
  catch (error) {
    if (!(error instanceof SecretsError)) throw new Error(`not a SecretsError: ${String(error)}`, { cause: error })
    result = error
  }
  expect(performance.now() - started).toBeLessThan(ms)
  return result
}

function expectLocated(result: 'ok' | SecretsError, code: string, file: string, message: RegExp): void {
  expect(result).toBeInstanceOf(SecretsError)
  const error = result as SecretsError
  expect(error.code).toBe(code)
  expect(error.message).toMatch(new RegExp(`^${file.replace(/\./g, '\\.')}:\\d+:\\d+: `))
  expect(error.message).toMatch(message)
}

const importModule = async (code: string) => (await import(`data:text/javascript,${encodeURIComponent(code)}`)).default

afterAll(() => {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  expect(Object.prototype).not.toHaveProperty('polluted')
})

describe('alias bombs', () => {
  // Billion laughs: 9 levels of 9 aliases each = 9^9 strings if expanded.
  const bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...Array.from({ length: 8 }, (_, i) => {
    const [name, prev] = [String.fromCharCode(98 + i), String.fromCharCode(97 + i)]
    return `${name}: &${name} [${Array.from({ length: 9 }, () => `*${prev}`).join(',')}]`
  })].join('\n')

  it('are refused with a located YAML_INVALID that names the cause, with and without references, through the transform and render', () => {
    for (const source of [bomb, `${bomb}\nz: \${secret.X}\n`]) {
      expectLocated(outcome(() => expandYaml(source, 'bomb.yaml', lookup), 2_000), 'YAML_INVALID', 'bomb.yaml', /alias bomb\?\)\. Use fewer aliases/)
    }
    // render copies a file without references as it is (never parsed); with one, the same limit.
    expect(outcome(() => renderConfig(bomb, 'bomb.yaml', lookup))).toBe('ok')
    expectLocated(outcome(() => renderConfig(`${bomb}\nz: \${secret.X}\n`, 'bomb.yaml', lookup), 2_000), 'YAML_INVALID', 'bomb.yaml', /alias bomb/)
  })

  it('the CLI render of a bomb exits 1 with the located error, in bounded memory', async () => {
    const file = join(dir, 'bomb.yaml')
    await writeFile(file, `${bomb}\nz: \${secret.X}\n`)
    const { store, keyDir } = await createLiveStore(join(dir, 'cli-bomb'), VALUES)
    const result = await cli(['render', file, '--store', store], { UNPLUGIN_SECRETS_KEY_DIR: keyDir, NODE_OPTIONS: '--max-old-space-size=128' }).done
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toMatch(/^error: .*bomb\.yaml:1:1: .*alias bomb/m)
    expect(result.stdout).toBe('')
  })
})

describe('deep nesting', () => {
  const yamlShapes: Record<string, (depth: number) => string> = {
    'flow sequences': depth => `${'['.repeat(depth)}"\${secret.X}"${']'.repeat(depth)}`,
    'flow mappings': depth => `${'{a: '.repeat(depth)}"\${secret.X}"${'}'.repeat(depth)}`,
    'block mappings': depth => `${Array.from({ length: depth }, (_, i) => `${' '.repeat(i)}a:`).join('\n')} \${secret.X}\n`,
    'block sequences': depth => `${Array.from({ length: depth }, (_, i) => `${' '.repeat(i)}-`).join('\n')} \${secret.X}\n`,
  }
  const jsonShapes: Record<string, (depth: number) => string> = {
    arrays: depth => `${'['.repeat(depth)}"\${secret.X}"${']'.repeat(depth)}`,
    objects: depth => `${'{"a":'.repeat(depth)}"\${secret.X}"${'}'.repeat(depth)}`,
  }
  const DEPTHS = [100, 1_000, 3_000, 10_000]

  it.each(Object.entries(yamlShapes))('YAML %s, 100 to 10,000 levels: the value, or "nests too deeply" at a location', (_, shape) => {
    for (const depth of DEPTHS) {
      for (const run of [(text: string) => expandYaml(text, 'deep.yaml', lookup), (text: string) => renderConfig(text, 'deep.yaml', lookup)]) {
        const result = outcome(() => run(shape(depth)))
        if (depth === 100) expect(result).toBe('ok')
        // Block nesting needs one more space per level: 10,000 levels are 50 M characters, over the size limit.
        if (result !== 'ok') expectLocated(result, 'YAML_INVALID', 'deep.yaml', /nests too deeply to parse; flatten the structure|limited to 16 Mi/)
      }
    }
  })

  it.each(Object.entries(jsonShapes))('JSON %s, 100 to 10,000 levels: the value, or JSON_INVALID "nests … too deeply" (was an uncaught RangeError)', (_, shape) => {
    for (const depth of DEPTHS) {
      for (const run of [(text: string) => expandJson(text, 'deep.json', lookup), (text: string) => renderConfig(text, 'deep.json', lookup)]) {
        const result = outcome(() => run(shape(depth)))
        if (depth === 100) expect(result).toBe('ok')
        if (result !== 'ok') expectLocated(result, 'JSON_INVALID', 'deep.json', /nests arrays or objects too deeply to parse\. Flatten the structure/)
      }
    }
    // Valid JSON is checked by JSON.parse (no depth limit in V8); invalid JSON is located by
    // jsonc-parser, which recurses: 100,000 levels with the last bracket missing overflow it.
    for (const run of [(text: string) => expandJson(text, 'deep.json', lookup), (text: string) => renderConfig(text, 'deep.json', lookup)]) {
      const result = outcome(() => run(shape(100_000)))
      if (result !== 'ok') expectLocated(result, 'JSON_INVALID', 'deep.json', /nests arrays or objects too deeply/)
      expectLocated(outcome(() => run(shape(100_000).slice(0, -1))), 'JSON_INVALID', 'deep.json', /nests arrays or objects too deeply|not valid JSON/)
    }
  })

  it('a store file nested 100,000 levels deep: STORE_MALFORMED (was an uncaught RangeError)', () => {
    for (const text of [`{"format":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, '['.repeat(100_000)]) {
      const result = outcome(() => parseStoreFile(text, 'deep.enc.json'))
      expect(result).toMatchObject({ code: 'STORE_MALFORMED' })
      expect((result as SecretsError).message).toMatch(/^deep\.enc\.json: /)
    }
  })
})

describe('size', () => {
  const mapping = (keys: number) => Array.from({ length: keys }, (_, i) => `key_${i}: value number ${i} with some text`).join('\n')

  it('a 50 MB YAML file is refused at once with a located error that says the limit and what to do', () => {
    const text = `${mapping(10)}\n${'# padding comment line\n'.repeat(Math.ceil(50 * 1024 * 1024 / 23))}last: \${secret.X}\n`
    expect(text.length).toBeGreaterThan(50 * 1024 * 1024)
    for (const run of [() => expandYaml(text, 'big.yaml', lookup), () => renderConfig(text, 'big.yaml', lookup)])
      expectLocated(outcome(run, 1_000), 'YAML_INVALID', 'big.yaml', /limited to 16 Mi .*Split the file, or make it JSON/)
  })

  it('a mapping of 100,000 keys (4 MB) parses in linear time (yaml\'s uniqueKeys took 145 s), and a duplicate among them is still found', () => {
    const text = `${mapping(100_000)}\nlast: \${secret.X}\n`
    expect(outcome(() => expandYamlData(text, 'wide.yaml', lookup), 30_000)).toBe('ok')
    expectLocated(outcome(() => expandYamlData(`${text}key_5: again\n`, 'wide.yaml', lookup), 30_000), 'YAML_INVALID', 'wide.yaml', /Map keys must be unique\. Remove or rename one of the keys/)
  })

  it('a 50 MB JSON config with references expands in bounded time', () => {
    const items = Array.from({ length: 500_000 }, (_, i) => `{"id":${i},"name":"item ${i} with some padding text here and a little more","token":"${i % 1000 === 0 ? '${secret.X}' : 'none'}"}`)
    const text = `[${items.join(',\n')}]`
    expect(text.length).toBeGreaterThan(45 * 1024 * 1024)
    let code = ''
    expect(outcome(() => { code = expandJson(text, 'big.json', lookup).code }, 60_000)).toBe('ok')
    expect(code.split(VALUES.X!).length - 1).toBe(500)
  })

  it('a 1 MB single scalar around a reference: the value, quickly, in every scalar style and in JSON', () => {
    const filler = 'x'.repeat(1024 * 1024)
    for (const [file, text] of [
      ['plain.yaml', `a: ${filler} \${secret.X}\n`],
      ['quoted.yaml', `a: "${filler} \${secret.X}"\n`],
      ['block.yaml', `a: |\n  ${filler} \${secret.X}\n`],
      ['scalar.json', `{"a": "${filler} \${secret.X}"}`],
    ] as const) {
      let data: unknown
      expect(outcome(() => {
        data = file.endsWith('.json') ? JSON.parse(expandJson(text, file, lookup).code) : expandYamlData(text, file, lookup).documents[0]
      }, 5_000), file).toBe('ok')
      expect((data as { a: string }).a.trimEnd(), file).toBe(`${filler} ${VALUES.X}`)
      expect(outcome(() => renderConfig(text, file, lookup), 5_000), file).toBe('ok')
    }
  })
})

describe('__proto__, constructor and prototype keys anywhere', () => {
  const yamlSources = [
    '__proto__: {polluted: yes}\n',
    '__proto__:\n  polluted: "${secret.X}"\n',
    'a:\n  constructor:\n    prototype:\n      polluted: "${secret.X}"\n',
    'list:\n  - __proto__: {polluted: 1}\n  - {constructor: {prototype: {polluted: 1}}}\n',
    'base: &b {__proto__: {polluted: "${secret.X}"}}\nmerged:\n  <<: *b\n  other: 1\n',
    '<<: {__proto__: {polluted: 1}}\nx: "${secret.Y}"\n',
    '? __proto__\n: {polluted: 1}\nprototype: {polluted: "${secret.X}"}\n',
    '"__proto__": &p {polluted: 1}\nalias: *p\nconstructor: ${secret.X}\n',
  ]
  const jsonSources = [
    '{"__proto__": {"polluted": "${secret.X}"}}',
    '{"a": {"constructor": {"prototype": {"polluted": "${secret.X}"}}}}',
    '[{"__proto__": {"polluted": 1}}, "${secret.Y}"]',
  ]

  /** No object in `data` has a prototype other than Object.prototype / Array.prototype, and `polluted` is only ever an own key. */
  function expectPlain(data: unknown): void {
    if (Array.isArray(data)) return data.forEach(expectPlain)
    if (data === null || typeof data !== 'object') return
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype)
    for (const key of Object.keys(data)) expectPlain((data as Record<string, unknown>)[key])
    if ('polluted' in data) expect(Object.hasOwn(data, 'polluted')).toBe(true)
  }

  it('YAML: the data keeps them as own keys, through the transform (imported module), the runtime mode and render', async () => {
    for (const source of yamlSources) {
      const data = expandYamlData(source, 'proto.yaml', lookup).documents[0]
      expectPlain(data)
      const module = await importModule(expandYaml(source, 'proto.yaml', lookup).code)
      expectPlain(module)
      expect(module).toEqual(data)
      // mode: 'runtime': the build records paths, the start-up code sets values at them.
      const { code } = expandYaml(source, 'proto.yaml', () => '', { runtime: { store: 'unused' } })
      const match = /resolveConfig\((.*), (\{"store".*\})\);/.exec(code)
      if (match) {
        // eslint-disable-next-line no-eval -- reads the object literal the generated module holds
        const template = (0, eval)(`(${match[1]})`)
        const options = JSON.parse(match[2]!)
        const { openStoreSync: _ } = await import('../../src/core/store/store')
        const live = await createLiveStore(join(dir, `runtime-${yamlSources.indexOf(source)}`), VALUES)
        process.env.UNPLUGIN_SECRETS_KEY_DIR = live.keyDir
        const resolved = resolveConfig(template, { ...options, store: live.store })
        expectPlain(resolved)
        expect(resolved).toEqual(data)
      }
      expect(outcome(() => renderConfig(source, 'proto.yaml', lookup))).toBe('ok')
      expect(({} as Record<string, unknown>).polluted, source).toBeUndefined()
    }
  })

  it('JSON: own keys after expansion and in render output', () => {
    for (const source of jsonSources) {
      expectPlain(JSON.parse(expandJson(source, 'proto.json', lookup).code))
      expectPlain(JSON.parse(renderConfig(source, 'proto.json', lookup).code))
      expect(({} as Record<string, unknown>).polluted, source).toBeUndefined()
    }
  })
})

describe('references where only values may hold them', () => {
  it.each([
    ['in a key', '${secret.X}: value\n', 'REFERENCE_IN_KEY', /stands in a mapping key.*Move it into a value/],
    ['in a key through an alias', 'a: &k "${secret.X}"\n*k : value\n', 'REFERENCE_IN_KEY', /Move it into a value/],
    ['in a complex key', '? {a: "${secret.X}"}\n: value\n', 'REFERENCE_IN_KEY', /Move it into a value/],
    ['in a tag', 'a: !${secret.X} value\n', 'YAML_INVALID', /Tags and anchors must be separated/],
    ['in an anchor', 'a: &${secret.X} value\n', 'YAML_INVALID', /Tags and anchors must be separated/],
    ['in a tagged non-text scalar', 'a: !!binary "${secret.X}"\n', 'REFERENCE_INVALID', /references are expanded in text values only\. Remove the tag/],
    ['in a JSON key', '{"${secret.X}": 1}', 'REFERENCE_IN_KEY', /Move it into a value/],
  ])('%s: a located error, no value in it', (_, source, code, message) => {
    const file = source.startsWith('{') ? 'refs.json' : 'refs.yaml'
    for (const run of [() => (file.endsWith('.json') ? expandJson(source, file, lookup) : expandYaml(source, file, lookup)), () => renderConfig(source, file, lookup)]) {
      const result = outcome(run)
      expectLocated(result, code, file, message)
      for (const value of Object.values(VALUES)) expect((result as SecretsError).message).not.toContain(value)
    }
  })

  it('a reference as a merge source: a located error that says what a merge key takes (it used to blame an alias bomb)', () => {
    for (const source of ['<<: ${secret.X}\n', 'a:\n  <<: ${secret.X}\n  b: 1\n']) {
      for (const run of [() => expandYaml(source, 'merge.yaml', lookup), () => renderConfig(source, 'merge.yaml', lookup)]) {
        const result = outcome(run)
        expectLocated(result, 'YAML_INVALID', 'merge.yaml', /Merge sources must be maps or map aliases\. A merge key \(<<\) takes a mapping, or an alias of one/)
        expect((result as SecretsError).message).not.toMatch(/alias bomb/)
      }
    }
  })

  it('a reference in a comment, a %TAG directive or an escaped one is text', () => {
    expect(expandYamlData('# ${secret.X}\n%TAG !e! tag:${secret.X},2000:\n---\na: "$${secret.X}" # ${secret.Y}\n', 'text.yaml', lookup).documents).toEqual([{ a: '${secret.X}' }])
  })
})
