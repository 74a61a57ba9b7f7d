import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { API_TOKEN, freePort, servedToken, startServer, typeCheck } from './app'
import { frameworkSuite } from './suite'

describe('Astro 5 with @astrojs/node 9 (unplugin-secrets/astro)', () => {
  const app = frameworkSuite({
    app: 'astro',
    build: ['astro', ['build']],
    start: port => ({ args: ['dist/server/entry.mjs'], env: { PORT: String(port), HOST: '127.0.0.1' } }),
    valuePath: '/api/value.json',
    clientImport: { file: 'src/pages/index.astro', text: '---\nexport const prerender = true\n---\n<h1>Home</h1>\n<script>\n  import config from \'../../config/app.yaml\'\n  console.log(config.api.token)\n</script>\n' },
    prerender: {
      file: { path: 'src/pages/leak.astro', text: '---\nimport config from \'../../config/app.yaml\'\n\nexport const prerender = true\n---\n<p>{config.api.token}</p>\n' },
      leaked: /secret values were found in the Astro \(browser\) output: API_TOKEN in dist\/client\/leak\/index\.html\./,
    },
    outputs: ['dist'],
  })

  it('astro dev prints the dashboard and its sign-in link, and follows a store change', async () => {
    const port = await freePort()
    const bin = join(app().dir, 'node_modules/.bin/astro')
    const dev = await startServer(bin, ['dev', '--port', String(port), '--host', '127.0.0.1'], { cwd: app().dir, env: app().env({ UNPLUGIN_SECRETS_KEY: app().key, UNPLUGIN_SECRETS_ADMIN_KEY: app().adminKey }), port })
    if (!dev.listening) throw new Error(dev.output)
    expect(await servedToken(dev, '/api/value.json')).toBe(API_TOKEN)
    expect(dev.output()).toMatch(/\[unplugin-secrets\] Secrets: http:\/\/localhost:\d+\/__secrets\//)
    expect(dev.output()).toMatch(/\[unplugin-secrets\] Sign in as test \(one-time link, 15 min\): http:\/\/localhost:\d+\/__secrets\/\?token=[\w-]{20,}/)
    expect((await dev.get('/__secrets/')).status).toBe(200)
    await app().setSecret('API_TOKEN', 'tok-rotated-in-dev-4e7f')
    await expect.poll(() => servedToken(dev, '/api/value.json'), { timeout: 15_000 }).toBe('tok-rotated-in-dev-4e7f')
    await dev.stop()
  })

  it('the integration fits the AstroIntegration type of Astro', async () => {
    const result = await typeCheck(app(), { file: 'types.ts' })
    expect(result, result.stdout).toMatchObject({ code: 0, stdout: '' })
  })
})
