import type { Reporter, TestModule } from 'vitest/node'

/**
 * Ends the run with the plain `N passed, N failed` line that CI reads, after
 * one line per distinct skip note (why tests were skipped, e.g. no browser).
 * An error outside any test (a file that fails to load, a failing beforeAll)
 * counts as a failure: its tests show as skipped, and the run did fail.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0
    let failed = 0
    let skipped = 0
    const notes = new Set<string>()
    for (const module of testModules) {
      failed += module.errors().length
      for (const suite of module.children.allSuites()) failed += suite.errors().length
      for (const test of module.children.allTests()) {
        const result = test.result()
        if (result.state === 'passed') passed++
        else if (result.state === 'failed') failed++
        else skipped++
        if (result.state === 'skipped' && result.note) notes.add(result.note)
      }
    }
    for (const note of notes) process.stdout.write(`\nskipped: ${note}`)
    process.stdout.write(`\nvitest: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`)
  }
}
