import { defineConfig } from 'vitest/config'
import SummaryReporter from './test/summary-reporter.ts'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The hardening suite and the framework apps have their own configs and scripts (npm run test:hardening, test:frameworks).
    exclude: ['test/hardening/**', 'test/frameworks/**', '**/node_modules/**'],
    globalSetup: ['test/key-folder.setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Child-process suites share 2 cores; keep them from starving each other.
    maxWorkers: 2,
    reporters: ['default', new SummaryReporter()],
  },
})
