import { reactRouter } from '@react-router/dev/vite'
import secrets from 'unplugin-secrets/vite'
import { defineConfig } from 'vite'

export default defineConfig({
  plugins: [secrets({ mode: process.env.SECRETS_MODE === 'runtime' ? 'runtime' : 'inline' }), reactRouter()],
})
