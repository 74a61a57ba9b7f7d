import { cp, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Built } from '../build'
import { buildEntry, buildError, BUNDLERS, locatedMessage } from '../build'
import { dist, ROOT, tempDir } from '../helpers'

/** Values chosen to break naive substitution: quoting, escapes, YAML syntax, HTML, a reference. */
const GRAFANA_API_KEY = `gl_"dq'sq\\bs\nnl\r\ncrlf\ttab #x : - {a}[b] *anchor &x !!tag é 🔑 \u2028\u2029 </script> \${secret.DB_PASSWORD} $$`
const DB_PASSWORD = 'p@ss:w/rd'
const EMPTY = ''
const BIG = `${'0123456789abcdef'.repeat(6400)}"\n` // 100 KB

const expectedYaml = {
  grafana: { url: 'https://grafana.example.com', api_key: GRAFANA_API_KEY, header: `Bearer ${GRAFANA_API_KEY}` },
  database: { dsn: `postgres://app:${DB_PASSWORD}@db:5432/app`, pair: `${DB_PASSWORD}/${GRAFANA_API_KEY}` },
  literal: '${secret.NOT_EXPANDED}',
  compose: '${HOME} and ${{ secrets.GITHUB_TOKEN }} and $$',
  hosts: ['plain', DB_PASSWORD, [GRAFANA_API_KEY, 2]],
  block: `line one\ntoken ${GRAFANA_API_KEY}\n`,
  base: { pw: DB_PASSWORD },
  derived: { pw: DB_PASSWORD, extra: true },
  alias: { pw: DB_PASSWORD },
  edge: { empty: EMPTY, big: BIG, bracketed: '[]' },
}
const expectedJson = {
  grafana: { url: 'https://grafana.example.com', api_key: GRAFANA_API_KEY },
  dsn: `postgres://app:${DB_PASSWORD}@db/app`,
  list: [DB_PASSWORD, '${secret.NOT_EXPANDED}', 3],
  after: 'below the substituted values',
  edge: { empty: EMPTY, big: BIG },
}

let dir: string
let key: string
const storePath = () => join(dir, 'secrets.enc.json')

beforeAll(async () => {
  dir = await tempDir('usec-bundlers-')
  await cp(join(ROOT, 'test/fixtures/configs'), dir, { recursive: true })
  const { createStore } = await dist('store')
  const { store, storeKey } = await createStore({ path: join(dir, 'secrets.enc.json'), admin: 'test' })
  await store.setMany({ GRAFANA_API_KEY, DB_PASSWORD, EMPTY, BIG })
  key = storeKey
})

describe.each(BUNDLERS)('%s', (bundler) => {
  let output: Record<string, unknown>
  let built: Built
  beforeAll(async () => {
    built = await buildEntry(bundler, dir, { key, store: storePath() })
    output = await import(pathToFileURL(built.file).href)
  }, 60_000)

  it('expands references in YAML (default and named exports) and JSON imports', () => {
    expect(output.yamlConfig).toEqual(expectedYaml)
    expect(output.yamlGrafana).toEqual(expectedYaml.grafana)
    expect(output.jsonConfig).toEqual(expectedJson)
    expect(output.plain).toEqual({ name: 'no references here', count: 3 })
    expect(output.plainJson).toEqual({ name: 'no references here', version: '1.0.0', tags: ['$', '$$', '${HOME}'] })
  })

  it('keeps values out of the sourcemap', async () => {
    const map = await readFile(`${built.file}.map`, 'utf8')
    expect(map).not.toContain(DB_PASSWORD)
    expect(map).not.toContain('p@ss')
  })
})

describe.each(BUNDLERS)('%s: a missing secret', (bundler) => {
  it('fails the build with file:line:col, the name and the fix, and no value', async () => {
    const project = join(dir, `broken-${bundler}`)
    await mkdir(project, { recursive: true })
    await writeFile(join(project, 'entry.js'), 'import config from \'./config.yaml\'\nexport { config }\n')
    await writeFile(join(project, 'config.yaml'), 'a: 1\nkey: ${secret.MISSING_ONE}\nok: ${secret.DB_PASSWORD}\n')
    const text = await buildError(bundler, project, { key, store: storePath() })
    expect(text, 'the build must fail').toBeDefined()
    expect(text).toMatch(locatedMessage(bundler, 'config.yaml', 2, 6, /secret MISSING_ONE is not in .*secrets\.enc\.json\. .*Add it with: unplugin-secrets set MISSING_ONE/))
    expect(text).not.toContain(DB_PASSWORD)
  }, 60_000)
})
