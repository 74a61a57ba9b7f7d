import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { stripVTControlCharacters } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { locatedMessage, webpackLikeCompiler } from '../build'
import { dist, ROOT, tempDir } from '../helpers'

const VALUE = 'tok-value-9f8e7d'

let dir: string
let key: string
let otherKey: string

beforeAll(async () => {
  dir = await tempDir('usec-plugin-errors-')
  const { createStore } = await dist('store')
  const { store, storeKey } = await createStore({ path: join(dir, 'secrets.enc.json'), admin: 'test' })
  await store.set('GRAFANA_API_KEY', VALUE)
  key = storeKey
  otherKey = (await createStore({ path: join(dir, 'other', 'secrets.enc.json'), admin: 'test' })).storeKey
})

/**
 * Builds `files` (entry.js imports config) with Rollup; resolves to the error
 * message, or '' on success. Rollup prints the location as `file (line:column)`
 * with the 0-based column of `loc`: `config.yaml (3:12)` is column 13 in an editor.
 */
async function rollupError(name: string, files: Record<string, string>, options: Record<string, unknown> = {}): Promise<{ message: string, loc?: { line: number, column: number } }> {
  const project = join(dir, name)
  await mkdir(project, { recursive: true })
  for (const [file, text] of Object.entries(files)) await writeFile(join(project, file), text)
  const { rollup } = await import('rollup')
  const { default: json } = await import('@rollup/plugin-json')
  const { default: secrets } = await dist('rollup')
  try {
    await rollup({ input: join(project, 'entry.js'), plugins: [secrets({ key, store: join(dir, 'secrets.enc.json'), ...options }), json()], onwarn: () => {} })
    return { message: '' }
  }
  catch (error) {
    const { message, loc } = error as { message: string, loc?: { line: number, column: number } }
    expect(message).not.toContain(VALUE)
    return { message, loc }
  }
}

const yamlEntry = 'import c from \'./config.yaml\'\nexport default c\n'
const jsonEntry = 'import c from \'./config.json\'\nexport default c\n'

describe('build errors: file:line:col, the cause, the fix, never a value', () => {
  it('a bad maxAge is refused when the plugin is created, in a build as in dev', async () => {
    const { default: secrets } = await dist('rollup')
    for (const bad of [0, -5, Number.NaN, '90'])
      expect(() => secrets({ maxAge: bad }), String(bad)).toThrow(/maxAge must be a number of days above 0, or false/)
    expect(() => secrets({ maxAge: false })).not.toThrow()
  })

  it('a missing secret names the store, suggests a near name and the command to add it', async () => {
    const { message, loc } = await rollupError('missing', { 'entry.js': yamlEntry, 'config.yaml': 'grafana:\n  key: ${secret.GRAFANA_API_KEY}\n  other: "x ${secret.GRAFANA_API_KY}"\n' })
    expect(message).toMatch(/config\.yaml \(3:12\): secret GRAFANA_API_KY is not in .*secrets\.enc\.json\. Did you mean GRAFANA_API_KEY\? Add it with: unplugin-secrets set GRAFANA_API_KY --store /)
    expect(loc).toMatchObject({ line: 3, column: 12 })
  })

  it('in JSON too, at the reference', async () => {
    const { message } = await rollupError('missing-json', { 'entry.js': jsonEntry, 'config.json': '{\n  "a": 1,\n  "b": "Bearer ${secret.NOPE}"\n}\n' })
    expect(message).toMatch(/config\.json \(3:15\): secret NOPE is not in .*Add it with: unplugin-secrets set NOPE/)
    expect(message).not.toMatch(/Did you mean/)
  })

  it('a wrong key names the cause', async () => {
    const { message } = await rollupError('wrong-key', { 'entry.js': yamlEntry, 'config.yaml': 'k: ${secret.GRAFANA_API_KEY}\n' }, { key: otherKey })
    expect(message).toMatch(/config\.yaml \(1:3\): cannot expand \$\{secret\.GRAFANA_API_KEY\}: The store key in the key option does not open .*another store/)
  })

  it('a tampered store names the cause and the fix', async () => {
    const tampered = join(dir, 'tampered.enc.json')
    const text = await readFile(join(dir, 'secrets.enc.json'), 'utf8')
    await writeFile(tampered, text.replace('"updatedBy": "test"', '"updatedBy": "mallory"'))
    const { message } = await rollupError('tampered', { 'entry.js': yamlEntry, 'config.yaml': 'k: ${secret.GRAFANA_API_KEY}\n' }, { store: tampered })
    expect(message).toMatch(/config\.yaml \(1:3\): cannot expand \$\{secret\.GRAFANA_API_KEY\}: .*tampered\.enc\.json: its content does not match the signature of admin "test".*restore it from git/)
  })

  it('no store: a clear error only when a file references a secret', async () => {
    const { message } = await rollupError('no-store', { 'entry.js': yamlEntry, 'config.yaml': 'k: ${secret.GRAFANA_API_KEY}\n' }, { store: 'nowhere/secrets.enc.json' })
    expect(message).toMatch(/cannot expand \$\{secret\.GRAFANA_API_KEY\}: No store at .*unplugin-secrets init/)
    const ok = await rollupError('no-store-needed', { 'entry.js': yamlEntry, 'config.yaml': 'k: plain\nescaped: $${secret.X}\n' }, { store: 'nowhere/secrets.enc.json', key: undefined })
    expect(ok.message).toBe('')
  })

  it('malformed references, references in keys, unquoted references in flow collections', async () => {
    expect((await rollupError('bad-ref', { 'entry.js': yamlEntry, 'config.yaml': 'a: 1\nb: ${secret.A-B}\n' })).message).toMatch(/config\.yaml \(2:3\): Invalid secret name in "\$\{secret\.A-B\}"/)
    expect((await rollupError('spaces', { 'entry.js': yamlEntry, 'config.yaml': 'b: "${ secret.X }"\n' })).message).toMatch(/config\.yaml \(1:4\): Malformed reference .*write \$\{secret\.X\} without spaces/)
    expect((await rollupError('key', { 'entry.js': yamlEntry, 'config.yaml': 'ok: 1\n${secret.GRAFANA_API_KEY}: 2\n' })).message).toMatch(/config\.yaml \(2:0\): a \$\{secret\.…\} reference stands in a mapping key/)
    expect((await rollupError('flow', { 'entry.js': yamlEntry, 'config.yaml': 'list: [${secret.GRAFANA_API_KEY}]\n' })).message).toMatch(/config\.yaml \(1:\d+\): .*must be quoted: \["\$\{secret\.NAME\}"\]/)
    expect((await rollupError('json-key', { 'entry.js': jsonEntry, 'config.json': '{"${secret.GRAFANA_API_KEY}": 1}' })).message).toMatch(/config\.json \(1:1\): a \$\{secret\.…\} reference stands in the key/)
  })

  it('values never reach keys: through an alias, inside a complex key, or a bundler\'s JSON error', async () => {
    expect((await rollupError('alias-key', { 'entry.js': yamlEntry, 'config.yaml': 'a: &k "${secret.GRAFANA_API_KEY}"\n*k : 1\n' })).message).toMatch(/config\.yaml \(2:0\): a \$\{secret\.…\} reference stands in a mapping key/)
    expect((await rollupError('complex-key', { 'entry.js': yamlEntry, 'config.yaml': '? ["${secret.GRAFANA_API_KEY}"]\n: 1\n' })).message).toMatch(/config\.yaml \(1:3\): a \$\{secret\.…\} reference stands in a mapping key/)
    // JSON with a comment: refused before expansion, so no parser can quote an expanded value.
    const commented = await rollupError('json-comment', { 'entry.js': jsonEntry, 'config.json': '{"k": "${secret.GRAFANA_API_KEY}", "j": // c\n 1}' })
    expect(commented.message).toMatch(/config\.json \(1:40\): the file is not valid JSON \(invalid comment token\)/)
  })

  it('a reference in a tagged non-text scalar is an error, not garbage', async () => {
    expect((await rollupError('binary', { 'entry.js': yamlEntry, 'config.yaml': 'k: !!binary ${secret.GRAFANA_API_KEY}\n' })).message).toMatch(/config\.yaml \(1:12\): a \$\{secret\.…\} reference in a scalar tagged tag:yaml\.org,2002:binary/)
  })

  it('a reference spelled with escapes is text, whatever else the file holds', async () => {
    const project = 'escaped'
    const result = await rollupError(project, { 'entry.js': 'import c from \'./config.yaml\'\nimport j from \'./config.json\'\nglobalThis.__escaped = [c, j]\n', 'config.yaml': 'a: "\\x24{secret.GRAFANA_API_KEY}"\nb: ${secret.GRAFANA_API_KEY}\n', 'config.json': '{"a": "\\u0024{secret.GRAFANA_API_KEY}", "b": "${secret.GRAFANA_API_KEY}"}' })
    expect(result.message).toBe('')
  })

  it('locations inside block scalars, after multi-byte text, in CRLF files, after a BOM', async () => {
    expect((await rollupError('block', { 'entry.js': yamlEntry, 'config.yaml': 'a: |\n  line\n  é🔑 ${secret.NOPE_1}\n' })).message).toMatch(/config\.yaml \(3:6\): secret NOPE_1 is not in/) // columns count UTF-16 units, as JS tools do
    expect((await rollupError('crlf', { 'entry.js': yamlEntry, 'config.yaml': 'a: 1\r\nb: x ${secret.NOPE_2}\r\n' })).message).toMatch(/config\.yaml \(2:5\): secret NOPE_2 is not in/)
    expect((await rollupError('bom-json', { 'entry.js': jsonEntry, 'config.json': '\uFEFF{"a": "${secret.NOPE_3}"}' })).message).toMatch(/config\.json \(1:7\): secret NOPE_3 is not in/)
  })

  it('YAML safety: duplicate keys and alias bombs are errors; __proto__ stays data', async () => {
    expect((await rollupError('dup', { 'entry.js': yamlEntry, 'config.yaml': 'a: 1\nb: 2\na: 3\n' })).message).toMatch(/config\.yaml \(3:0\): Map keys must be unique/)
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array.from({ length: 10 }).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)].join('\n')
    expect((await rollupError('bomb', { 'entry.js': yamlEntry, 'config.yaml': `${bomb}\n` })).message).toMatch(/alias/i)
    const ok = await rollupError('proto', { 'entry.js': 'import c from \'./config.yaml\'\nglobalThis.__config = c\n', 'config.yaml': '__proto__:\n  polluted: yes\nconstructor:\n  prototype:\n    polluted: yes\n' })
    expect(ok.message).toBe('')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('vite', () => {
  it('reports the error with its location through Vite', async () => {
    const project = join(dir, 'vite-missing')
    await mkdir(project, { recursive: true })
    await writeFile(join(project, 'entry.js'), yamlEntry)
    await writeFile(join(project, 'config.yaml'), 'a: 1\nkey: ${secret.MISSING_ONE}\n')
    const { build } = await import('vite')
    const { default: secrets } = await dist('vite')
    const error = await build({ root: project, configFile: false, logLevel: 'silent', plugins: [secrets({ key, store: join(dir, 'secrets.enc.json') })], build: { ssr: join(project, 'entry.js'), write: false } }).then(() => undefined, (caught: unknown) => caught as { message: string, loc?: { line: number } })
    expect(error?.message).toMatch(locatedMessage('vite', 'config.yaml', 2, 6, /secret MISSING_ONE is not in/))
    expect(error?.message).not.toContain(VALUE)
  })
})

describe('what the user reads: our error first, one location', () => {
  const missing = async (name: string) => {
    const project = join(dir, name)
    await mkdir(project, { recursive: true })
    await writeFile(join(project, 'entry.js'), yamlEntry)
    await writeFile(join(project, 'config.yaml'), 'a: 1\nkey: ${secret.MISSING_ONE}\n')
    const store = relative(process.cwd(), join(dir, 'secrets.enc.json'))
    return { project, store, text: `secret MISSING_ONE is not in ${store}. Add it with: unplugin-secrets set MISSING_ONE --store ${store}` }
  }

  it('Rollup: its location once (loc, with Rollup\'s 0-based column) and a frame at the reference', async () => {
    const { project, text } = await missing('exact-rollup')
    const { rollup } = await import('rollup')
    const { default: secrets } = await dist('rollup')
    const error = await rollup({ input: join(project, 'entry.js'), plugins: [secrets({ key, store: join(dir, 'secrets.enc.json') })] }).then(() => undefined, (caught: unknown) => caught as { message: string, loc: object, frame: string })
    expect(error?.message).toBe(`[plugin unplugin-secrets] ${relative(process.cwd(), join(project, 'config.yaml'))} (2:5): ${text}`)
    expect(error?.loc).toEqual({ file: join(project, 'config.yaml'), line: 2, column: 5 })
    expect(error?.frame).toBe('1: a: 1\n2: key: ${secret.MISSING_ONE}\n        ^')
  })

  it.each(['webpack', 'rspack'] as const)('%s: our error alone, not "Module parse failed … You may need an additional loader" first', async (name) => {
    const { project, text } = await missing(`exact-${name}`)
    const { default: secrets } = await dist(name)
    const compiler = await webpackLikeCompiler(name, { mode: 'production', target: 'node', context: project, entry: join(project, 'entry.js'), output: { path: join(project, 'out') }, plugins: [secrets({ key, store: join(dir, 'secrets.enc.json') })] })
    const errors = await new Promise<{ moduleName: string, message: string }[]>((resolve, reject) => compiler.run((error, stats) => {
      if (error) reject(error)
      else resolve((stats as unknown as { toJson: (options: object) => { errors: { moduleName: string, message: string }[] } }).toJson({ all: false, errors: true }).errors)
    }))
    const loader = relative(project, join(ROOT, `node_modules/unplugin/dist/${name}/loaders/transform.mjs`))
    const ours = `config.yaml:2:6: ${text}`
    expect(errors.map(error => error.moduleName)).toEqual(['./config.yaml'])
    // Rspack colours its frame when CI is set (its colour check reads CI); the words are what is compared.
    expect(stripVTControlCharacters(errors[0]!.message)).toBe(name === 'webpack'
      ? `Module build failed (from ${loader}):\n${ours}`
      : `  × Module build failed (from ${loader}):\n  ╰─▶   × ${ours}\n      \n`)
  })
})
