import type { Config } from '@react-router/dev/config'

// PRERENDER=1: /leak is prerendered at build time (its loader data goes into the HTML).
export default { ssr: true, prerender: process.env.PRERENDER === '1' ? ['/leak'] : undefined } satisfies Config
