// Type-checked by the test (tsc --strict): the integration fits Astro's own AstroIntegration type.
import type { AstroIntegration } from 'astro'
import secrets from 'unplugin-secrets/astro'

export const integration: AstroIntegration = secrets({ client: ['PUBLIC_X'] })
