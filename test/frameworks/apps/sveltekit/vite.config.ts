import { sveltekit } from '@sveltejs/kit/vite'
import secrets from 'unplugin-secrets/vite'
import { defineConfig } from 'vite'

export default defineConfig({
  plugins: [sveltekit(), secrets({ mode: process.env.SECRETS_MODE === 'runtime' ? 'runtime' : 'inline' })],
})
