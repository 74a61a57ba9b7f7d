import { describe } from 'vitest'
import { frameworkSuite } from './suite'

describe('SvelteKit 2 with adapter-node 5 (Vite plugin)', () => {
  frameworkSuite({
    app: 'sveltekit',
    build: ['vite', ['build']],
    start: port => ({ args: ['build'], env: { PORT: String(port), HOST: '127.0.0.1' } }),
    valuePath: '/api/value',
    clientImport: { file: 'src/routes/+page.svelte', text: '<script lang="ts">\n  import config from \'../../config/app.yaml\'\n</script>\n\n<h1>{config.api.token}</h1>\n' },
    // The page and its __data.json, in SvelteKit's output and in the adapter's copy (gzip and brotli copies removed too).
    prerender: { env: { PRERENDER: '1' }, leaked: /secret values were found in the prerendered \(browser\) output: .*API_TOKEN in build\/prerendered\/leak\.html/ },
    outputs: ['build', '.svelte-kit/output'],
  })
})
