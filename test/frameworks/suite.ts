/**
 * What every framework app is checked for: a build whose server delivers the
 * value, a client import refused, a prerendered leak failing the build, and
 * `mode: 'runtime'` with no value in the output and a start-up failure without the key.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { App } from './app'
import { API_TOKEN, filesWithValue, freePort, installApp, servedToken, startServer, VALUE_MARK } from './app'

export interface FrameworkSpec {
  /** The folder under test/frameworks/apps. */
  app: string
  /** The build: a tool of node_modules/.bin and its arguments. */
  build: [string, string[]]
  /** The built server: node and its arguments, and the environment that sets its port. */
  start: (port: number) => { args: string[], env: Record<string, string> }
  /** Where the server answers with `{ url, token }` from the config. */
  valuePath: string
  /** A file (relative to the app) rewritten to import the config from browser code, and its text. */
  clientImport: { file: string, text: string }
  /** Makes /leak prerendered: build environment variables, or a file to rewrite. */
  prerender: { env?: Record<string, string>, file?: { path: string, text: string }, leaked: RegExp }
  /** Every folder a build writes (relative to the app). */
  outputs: string[]
}

/** The build with the store key; runtime mode with SECRETS_MODE=runtime (read by each app's config). */
function build(app: App, spec: FrameworkSpec, env: Record<string, string> = {}) {
  return app.run(spec.build[0], spec.build[1], env)
}

/** The built server, started with `env` (no key unless given). */
async function start(app: App, spec: FrameworkSpec, env: Record<string, string>) {
  const port = await freePort()
  const server = spec.start(port)
  return startServer(process.execPath, server.args, { cwd: app.dir, env: app.env({ ...server.env, ...env }), port })
}

const output = (result: { stdout: string, stderr: string }) => `${result.stdout}\n${result.stderr}`

/** The common checks; returns the installed app for the framework's own (dev server) tests. */
export function frameworkSuite(spec: FrameworkSpec): () => App {
  let app: App
  beforeAll(async () => {
    app = await installApp(spec.app)
  })

  describe('mode: inline (the default)', () => {
    it('builds, and the built server delivers the value to server code', async () => {
      const built = await build(app, spec)
      expect(built.code, output(built)).toBe(0)
      expect(output(built)).not.toContain('was not scanned') // the store is found from the framework's root
      expect(await servedToken(await start(app, spec, {}), spec.valuePath)).toBe(API_TOKEN)
    })

    it('refuses a config imported by browser code, naming the secret and the fix', async () => {
      const original = await readFile(join(app.dir, spec.clientImport.file), 'utf8')
      await app.write(spec.clientImport.file, spec.clientImport.text)
      try {
        const built = await build(app, spec)
        expect(built.code).not.toBe(0)
        expect(output(built)).toMatch(/secret API_TOKEN would be shipped to the browser \(client build\)\. Move the import to server code, or allow this name with client: \['API_TOKEN'\]/)
        expect(output(built)).not.toContain(VALUE_MARK)
      }
      finally {
        await app.write(spec.clientImport.file, original)
      }
    })

    it('fails the build when a prerendered page holds the value, and removes what holds it', async () => {
      const { env = {}, file, leaked } = spec.prerender
      const original = file && await readFile(join(app.dir, file.path), 'utf8')
      if (file) await app.write(file.path, file.text)
      try {
        const built = await build(app, spec, env)
        expect(built.code).not.toBe(0)
        expect(output(built)).toMatch(leaked)
        expect(output(built)).not.toContain(VALUE_MARK)
        const left = (await filesWithValue(app, spec.outputs)).filter(name => !/\.(?:m?js|map)$/.test(name)) // server code holds it inline
        expect(left).toEqual([])
      }
      finally {
        if (file) await app.write(file.path, original!)
      }
    })
  })

  describe('mode: runtime', () => {
    beforeAll(async () => {
      const built = await build(app, spec, { SECRETS_MODE: 'runtime' })
      expect(built.code, output(built)).toBe(0)
    })

    it('writes no value into any output, source maps included', async () => {
      expect(await filesWithValue(app, spec.outputs)).toEqual([])
    })

    it('a server started without its key exits before it listens, naming the key it needs', async () => {
      const started = await start(app, spec, {})
      expect(started.listening).toBe(false)
      if (started.listening) return
      expect(started.code).not.toBe(0)
      expect(started.output).toMatch(/config\/app\.yaml: cannot resolve its secrets at start-up: No store key for .*secrets\.enc\.json/)
      expect(started.output).toContain('UNPLUGIN_SECRETS_KEY')
      expect(started.output).not.toContain(VALUE_MARK)
    })

    it('with the key, the value arrives', async () => {
      expect(await servedToken(await start(app, spec, { UNPLUGIN_SECRETS_KEY: app.key }), spec.valuePath)).toBe(API_TOKEN)
    })
  })

  return () => app
}
