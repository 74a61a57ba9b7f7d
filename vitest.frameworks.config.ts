import { defineConfig } from 'vitest/config'
import SummaryReporter from './test/summary-reporter.ts'

/**
 * `npm run test:frameworks`: real Nuxt, Astro, SvelteKit and React Router
 * apps (test/frameworks/apps), each installed with `npm ci` into a temporary
 * folder with the packed package, built, started and run in dev. Minutes per
 * framework, so not part of `npm test`; CI runs it. One app at a time: an
 * install and a build each take both cores.
 */
export default defineConfig({
  test: {
    include: ['test/frameworks/**/*.test.ts'],
    globalSetup: ['test/key-folder.setup.ts', 'test/frameworks/pack.setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 600_000,
    fileParallelism: false,
    maxWorkers: 1,
    reporters: ['default', new SummaryReporter()],
  },
})
