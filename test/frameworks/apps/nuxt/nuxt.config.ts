export default defineNuxtConfig({
  compatibilityDate: '2025-07-15',
  devtools: { enabled: false },
  telemetry: false,
  modules: ['unplugin-secrets/nuxt'],
  secrets: { mode: process.env.SECRETS_MODE === 'runtime' ? 'runtime' : 'inline' },
  // PRERENDER=1: /leak is prerendered at build time (its server data goes into the page and its payload).
  nitro: { prerender: { routes: process.env.PRERENDER === '1' ? ['/leak'] : [] } },
})
