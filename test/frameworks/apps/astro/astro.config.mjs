import node from '@astrojs/node'
import { defineConfig } from 'astro/config'
import secrets from 'unplugin-secrets/astro'

export default defineConfig({
  output: 'server',
  adapter: node({ mode: 'standalone' }),
  integrations: [secrets({ mode: process.env.SECRETS_MODE === 'runtime' ? 'runtime' : 'inline' })],
})
