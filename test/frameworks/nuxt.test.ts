import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { API_TOKEN, freePort, servedToken, startServer, typeCheck } from './app'
import { frameworkSuite } from './suite'

describe('Nuxt 4 (unplugin-secrets/nuxt)', () => {
  const app = frameworkSuite({
    app: 'nuxt',
    build: ['nuxt', ['build']],
    start: port => ({ args: ['.output/server/index.mjs'], env: { PORT: String(port), HOST: '127.0.0.1' } }),
    // A Nitro server route: built by Nitro's Rollup, which gets the plugin from the module.
    valuePath: '/api/value',
    clientImport: { file: 'app/pages/index.vue', text: '<script setup lang="ts">\nimport config from \'../../config/app.yaml\'\n</script>\n\n<template><h1>{{ config.api.token }}</h1></template>\n' },
    // The page and its payload in Nitro's public folder.
    prerender: { env: { PRERENDER: '1' }, leaked: /secret values were found in the Nuxt public \(browser\) output: .*API_TOKEN in \.output\/public\/leak\/index\.html/ },
    outputs: ['.output', '.nuxt/dist'],
  })

  it('nuxt dev follows a store change, and says where the dashboard is not available', async () => {
    const port = await freePort()
    const bin = join(app().dir, 'node_modules/.bin/nuxt')
    const dev = await startServer(bin, ['dev', '--port', String(port), '--host', '127.0.0.1'], { cwd: app().dir, env: app().env({ UNPLUGIN_SECRETS_KEY: app().key }), port })
    if (!dev.listening) throw new Error(dev.output)
    await expect.poll(() => servedToken(dev, '/api/value'), { timeout: 60_000 }).toBe(API_TOKEN)
    expect(dev.output()).toContain('the dashboard is not served by nuxt dev')
    expect(dev.output()).toContain('npx unplugin-secrets list | set NAME | rm NAME')
    await app().setSecret('API_TOKEN', 'tok-rotated-in-dev-4e7f')
    await expect.poll(() => servedToken(dev, '/api/value'), { timeout: 30_000 }).toBe('tok-rotated-in-dev-4e7f')
    await dev.stop()
  })

  it('the module and its secrets options fit the config type of Nuxt', async () => {
    // With the tsconfig Nuxt generated in the build: it maps @nuxt/schema, which npm may nest under nuxt/.
    const result = await typeCheck(app(), { project: 'tsconfig.types.json' })
    expect(result, result.stdout).toMatchObject({ code: 0, stdout: '' })
  })
})
