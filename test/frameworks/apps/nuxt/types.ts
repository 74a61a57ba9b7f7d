// Type-checked by the test (tsc --strict): the module and its `secrets` options fit Nuxt's config type.
import type { NuxtConfig } from '@nuxt/schema'
import secretsModule from 'unplugin-secrets/nuxt'
export const config: NuxtConfig = { modules: [secretsModule, 'unplugin-secrets/nuxt'], secrets: { mode: 'runtime', client: ['PUBLIC_X'] } }
// @ts-expect-error an unknown option is refused
export const wrong: NuxtConfig = { secrets: { taget: 'browser' } }
