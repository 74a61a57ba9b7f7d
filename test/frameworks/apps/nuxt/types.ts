// Type-checked by the test (tsc --strict) after a build: Nuxt types the `secrets` key from the module's options.
/// <reference path="./.nuxt/nuxt.node.d.ts" />
import { defineNuxtConfig } from 'nuxt/config'
import secretsModule from 'unplugin-secrets/nuxt'

export const config = defineNuxtConfig({ modules: [secretsModule, 'unplugin-secrets/nuxt'], secrets: { mode: 'runtime', client: ['PUBLIC_X'] } })
// @ts-expect-error an unknown option is refused
export const wrong = defineNuxtConfig({ secrets: { taget: 'browser' } })
