import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config'
import { configFormat, formatByExtension } from '../../src/core/formats/registry'
import { createStore } from '../../src/core/store/store'
import { dist, runCli, tempDir } from '../helpers'

/** One case rule for config extensions: CONFIG.YAML is YAML everywhere (issue #12 §5). */
const TOKEN = 'case-rule-token-5e1f'
const UPPER_YAML = 'service:\n  token: ${secret.TOKEN}\n'
const anyCase = { include: [/\.ya?ml$/i, /\.json$/i] }

let dir: string
let key: string
let store: string

beforeAll(async () => {
  dir = await tempDir('usec-case-')
  store = join(dir, 'secrets.enc.json')
  const created = await createStore({ path: store, admin: 'test' })
  await created.store.set('TOKEN', TOKEN)
  key = created.storeKey
  await mkdir(join(dir, 'config'), { recursive: true })
  await writeFile(join(dir, 'config/CONFIG.YAML'), UPPER_YAML)
  await writeFile(join(dir, 'config/Other.Json'), '{ "token": "${secret.TOKEN}" }\n')
  await writeFile(join(dir, 'entry.js'), 'import config from \'./config/CONFIG.YAML\'\nimport other from \'./config/Other.Json\'\nexport { config, other }\n')
  await writeFile(join(dir, 'yaml-only.js'), 'export { default as config } from \'./config/CONFIG.YAML\'\n') // @rollup/plugin-json takes only .json
})

describe('the format of a config file', () => {
  it('is decided by its extension in any case; any other file a user picks is read as JSON', () => {
    for (const file of ['CONFIG.YAML', 'a.Yml', 'b.yaml?import']) expect(formatByExtension(file)?.name, file).toBe('YAML')
    for (const file of ['C.JSON', 'd.json']) expect(formatByExtension(file)?.name, file).toBe('JSON')
    expect(formatByExtension('notes.txt')).toBeUndefined()
    expect(configFormat('notes.txt').name).toBe('JSON')
  })

  it('loadConfig reads CONFIG.YAML as YAML', async () => {
    expect(await loadConfig(join(dir, 'config/CONFIG.YAML'), { store, key })).toEqual({ service: { token: TOKEN } })
  })

  it('check finds CONFIG.YAML by default and reads it as YAML', async () => {
    const result = await runCli(['check'], { cwd: dir, env: { UNPLUGIN_SECRETS_KEY_DIR: join(dir, 'no-keys') } })
    expect(result.stdout).toContain('config/CONFIG.YAML:2:10  TOKEN  ok')
    expect(result.stdout).toContain('config/Other.Json:1:13  TOKEN  ok')
    expect(result.code, result.stdout + result.stderr).toBe(0)
  })

  it('Rollup with include: /\\.ya?ml$/i builds CONFIG.YAML as YAML', async () => {
    const { rollup } = await import('rollup')
    const { default: secrets } = await dist('rollup')
    const bundle = await rollup({ input: join(dir, 'yaml-only.js'), onwarn: () => {}, plugins: [secrets({ key, store, ...anyCase })] })
    const file = join(dir, 'out-rollup/entry.mjs')
    await bundle.write({ file, format: 'es' })
    expect({ ...await import(pathToFileURL(file).href) }).toEqual({ config: { service: { token: TOKEN } } })
  })

  it('esbuild with include: /\\.ya?ml$/i loads CONFIG.YAML as JS', async () => {
    const { build } = await import('esbuild')
    const { default: secrets } = await dist('esbuild')
    const outfile = join(dir, 'out-esbuild/entry.mjs')
    await build({ entryPoints: [join(dir, 'entry.js')], absWorkingDir: dir, bundle: true, format: 'esm', platform: 'node', outfile, logLevel: 'silent', plugins: [secrets({ key, store, ...anyCase })] })
    expect({ ...await import(pathToFileURL(outfile).href) }).toEqual({ config: { service: { token: TOKEN } }, other: { token: TOKEN } })
  })
})
