import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { isSecretsError } from '../src/core/errors'
import { resolveOptions } from '../src/core/options'
import { createStore } from '../src/core/store/store'
import { ROOT, runFile, tempDir } from './helpers'

function usageMessage(options: unknown): string {
  try {
    resolveOptions(options)
  }
  catch (error) {
    expect(isSecretsError(error) && error.code, String(error)).toBe('USAGE')
    return (error as Error).message
  }
  throw new Error(`accepted: ${String(options)}`)
}

describe('resolveOptions: every option checked in one place', () => {
  it('fills every default', () => {
    expect(resolveOptions()).toEqual({ store: 'secrets.enc.json', key: undefined, include: [/\.ya?ml$/, /\.json$/], exclude: [/[\\/]node_modules[\\/]/], client: [], target: 'server', mode: 'inline', cache: true, dashboard: true, maxAge: 90, dts: false })
    // undefined is "not given" (an unset variable in a config): the default, not an error
    expect(resolveOptions({ target: undefined, key: undefined }).target).toBe('server')
  })

  it('accepts every documented shape', () => {
    const options = { store: 'x/s.json', key: 'usec_store_AQID-_x', include: ['**/*.yaml', /\.json$/i], exclude: null, client: ['A', '_b9'], target: 'browser', mode: 'runtime', cache: 'tmp/cache', dashboard: false, maxAge: false, dts: true } as const
    expect(resolveOptions(options)).toEqual(options)
    expect(resolveOptions({ include: /\.ya?ml$/, exclude: 'vendor/**', cache: false, maxAge: 0.5 })).toMatchObject({ include: /\.ya?ml$/, exclude: 'vendor/**', cache: false, maxAge: 0.5 })
  })

  it.each([
    [{ target: 'Browser' }, /target must be 'browser' or 'server'; got "Browser"\./],
    [{ target: 'web' }, /target must be 'browser' or 'server'; got "web"\./],
    [{ target: true }, /target must be 'browser' or 'server'; got true\./],
    [{ mode: 'Runtime' }, /mode must be 'inline' or 'runtime'; got "Runtime"\./],
    [{ mode: null }, /mode must be 'inline' or 'runtime'; got null\./],
    [{ client: 'PUBLIC_KEY' }, /client must be an array of secret names, for example client: \['PUBLIC_MAPS_KEY'\]; got the string "PUBLIC_KEY"; write client: \["PUBLIC_KEY"\]\./],
    [{ client: 'A,B' }, /client must be an array of secret names.*; got a string\./],
    [{ client: ['OK', 7] }, /client must be .*; item 1 is not a secret name: it is a number, not a string\./],
    [{ client: ['OK', 'has-dash'] }, /item 1 is not a secret name: character 4 \("-"\) is not allowed\./],
    [{ store: '' }, /store must be the store file's path \(a non-empty string\); got ""\./],
    [{ store: 42 }, /store must be .*; got 42\./],
    [{ include: 42 }, /include must be a FilterPattern: a glob string, a RegExp, an array of them, or null; got 42\./],
    [{ exclude: [/x/, {}] }, /exclude must be a FilterPattern.*; got an array whose item 1 is an object\./],
    [{ cache: '' }, /cache must be true, false \(memory only\) or a folder path; got ""\./],
    [{ cache: 0 }, /cache must be .*; got 0\./],
    [{ dashboard: 'false' }, /dashboard must be true or false; got "false"\./],
    [{ dts: 'true' }, /dts must be true \(write config\.d\.yaml\.ts beside each YAML config\) or false; got "true"\./],
    [{ dts: 1 }, /dts must be .*; got 1\./],
    [{ maxAge: 0 }, /maxAge must be a number of days above 0, or false to turn the dashboard's rotation banner off; got 0\./],
    [{ maxAge: Number.POSITIVE_INFINITY }, /maxAge must be .*; got Infinity\./],
    [{ maxAge: '90' }, /maxAge must be .*; got "90"\./],
    [{ key: 42 }, /key must be a store key \(a string that starts with usec_store_\); got a number\./],
    [{ key: '' }, /key must be .*; got an empty string \(an unset variable\?\); leave the option out to use UNPLUGIN_SECRETS_KEY or your key file\./],
  ])('%j is refused, naming the option, the value and what it accepts', (options, pattern) => {
    expect(usageMessage(options)).toMatch(pattern)
  })

  it('a malformed key is refused without its text', () => {
    for (const key of ['usec_admin_c2VjcmV0LWFkbWluLWtleS12YWx1ZQ', 'paste d-secret-value-1234']) {
      const message = usageMessage({ key })
      expect(message).toMatch(new RegExp(`key must be a store key .*; got a string of ${key.length} characters that is not one \\(not shown\\)\\.`))
      expect(message).not.toContain(key.slice(11))
    }
  })

  it('a client entry that is not a name is not shown (it may be a value pasted there)', () => {
    const value = 'hunter2-pasted-value-90f1'
    const message = usageMessage({ client: ['OK', value] })
    expect(message).toMatch(/item 1 is not a secret name: character 8 \("-"\) is not allowed/)
    expect(message).not.toContain('hunter2')
  })

  it('an unknown option is refused with the nearest name', () => {
    expect(usageMessage({ taget: 'browser' })).toMatch(/^unplugin-secrets: unknown option "taget"\. Did you mean target\? The options are store, environment, key, include, exclude, client, target, mode, cache, dashboard, maxAge, dts\.$/)
    expect(usageMessage({ Client: ['A'] })).toMatch(/unknown option "Client"\. Did you mean client\?/)
    expect(usageMessage({ clients: ['A'] })).toMatch(/unknown option "clients"\. Did you mean client\?/)
    expect(usageMessage({ env: 'prod' })).toMatch(/unknown option "env"\. The options are/)
    expect(usageMessage({ enviroment: 'prod' })).toMatch(/unknown option "enviroment"\. Did you mean environment\?/)
  })

  it('environment takes a name or a function; a bad name, "all", and store with it are refused', () => {
    const choose = () => 'production'
    expect(resolveOptions({ environment: 'production' }).environment).toBe('production')
    expect(resolveOptions({ environment: 'default' }).environment).toBe('default')
    expect(resolveOptions({ environment: choose }).environment).toBe(choose)
    const rule = 'environment must be an environment name \\(1 to 32 characters: a lower-case letter, then lower-case letters, digits or - \\(\\[a-z\\]\\[a-z0-9-\\]\\*\\); \'default\' is secrets\\.enc\\.json\\) or a function of the build that returns one; '
    expect(usageMessage({ environment: 'Production' })).toMatch(new RegExp(`${rule}got "Production"\\.$`))
    expect(usageMessage({ environment: '../prod' })).toMatch(new RegExp(`${rule}got "\\.\\./prod"\\.$`))
    expect(usageMessage({ environment: '' })).toMatch(new RegExp(`${rule}got ""\\.$`))
    expect(usageMessage({ environment: 7 })).toMatch(new RegExp(`${rule}got a number\\.$`))
    expect(usageMessage({ environment: 'all' })).toMatch(/got "all"; a build reads one environment's store\.$/)
    expect(usageMessage({ store: 'secrets.enc.json', environment: 'production' }))
      .toBe('unplugin-secrets: store and environment both choose the store: give one. store names a file; environment: \'NAME\' reads secrets.NAME.enc.json in the root.')
  })

  it('options that are not an object are refused', () => {
    for (const options of [null, 'browser', ['client'], 1]) expect(usageMessage(options)).toMatch(/the options must be an object, for example secrets\(\{ client: \['PUBLIC_MAPS_KEY'\] \}\); got /)
  })
})

describe('a .js Rollup config with a wrong option fails the build and writes nothing', () => {
  const TOKEN = 'srv-token-value-4d1c7b'
  let dir: string
  let storeKey: string

  beforeAll(async () => {
    dir = await tempDir('usec-options-')
    const created = await createStore({ path: join(dir, 'secrets.enc.json'), admin: 'test' })
    await created.store.set('API_KEY', TOKEN)
    storeKey = created.storeKey
  })

  /** Runs `rollup -c` (the real CLI) on an untyped rollup.config.mjs whose plugin options are `options` (JS source). */
  async function rollupCli(name: string, options: string) {
    const project = join(dir, name)
    await mkdir(project, { recursive: true })
    await writeFile(join(project, 'config.yaml'), 'token: ${secret.API_KEY}\n')
    await writeFile(join(project, 'entry.js'), 'import c from \'./config.yaml\'\nconsole.log(c.token)\n')
    await writeFile(join(project, 'rollup.config.mjs'), [
      `import secrets from ${JSON.stringify(join(ROOT, 'dist/rollup.mjs'))}`,
      `export default { input: 'entry.js', output: { dir: 'out', format: 'es' }, plugins: [secrets({ store: '../secrets.enc.json', ${options} })] }`,
    ].join('\n'))
    const result = await runFile(join(ROOT, 'node_modules/rollup/dist/bin/rollup'), ['-c', 'rollup.config.mjs', '--silent'], { cwd: project, env: { UNPLUGIN_SECRETS_KEY: storeKey } })
    const written = existsSync(join(project, 'out')) ? await Promise.all((await readdir(join(project, 'out'))).map(file => readFile(join(project, 'out', file), 'utf8'))) : []
    return { ...result, output: result.stdout + result.stderr, written: written.join('\n') }
  }

  it.each([
    ['target-browser-capital', 'target: \'Browser\'', /target must be 'browser' or 'server'; got "Browser"/],
    ['target-web', 'target: \'web\'', /target must be 'browser' or 'server'; got "web"/],
    ['mode-runtime-capital', 'mode: \'Runtime\'', /mode must be 'inline' or 'runtime'; got "Runtime"/],
    ['client-string', 'target: \'browser\', client: \'PUBLIC_API_KEY\'', /client must be an array of secret names.*; got the string "PUBLIC_API_KEY"; write client: \["PUBLIC_API_KEY"\]/],
  ])('%s', async (name, options, pattern) => {
    const { code, output, written } = await rollupCli(name, options)
    expect(code, output).not.toBe(0)
    expect(output).toMatch(pattern)
    expect(written).not.toContain(TOKEN)
    expect(output).not.toContain(TOKEN)
  })

  it('the same config with valid options builds (the harness works)', async () => {
    const { code, output, written } = await rollupCli('valid', 'target: \'server\'')
    expect(code, output).toBe(0)
    expect(written).toContain(TOKEN)
  })
})
