import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import secrets from 'unplugin-secrets/vite'

process.env.UNPLUGIN_SECRETS_KEY_DIR ??= fileURLToPath(new URL('./.keys', import.meta.url))

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [secrets()],
  build: { ssr: 'server/app.ts', outDir: 'dist/server', emptyOutDir: true },
})
