import { defineConfig } from 'vitest/config'
import SummaryReporter from './test/summary-reporter.ts'

/**
 * `npm run test:hardening`: faults, concurrency, hostile input and leaks
 * (test/hardening). Minutes, not seconds, so not part of `npm test`; CI runs
 * both. `npm run fuzz` runs the same fuzz files with FUZZ_RUNS raised.
 */
export default defineConfig({
  test: {
    include: ['test/hardening/**/*.test.ts'],
    globalSetup: ['test/key-folder.setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    // Most files run dozens of child processes: two files at a time on 2 cores.
    maxWorkers: 2,
    reporters: ['default', new SummaryReporter()],
  },
})
