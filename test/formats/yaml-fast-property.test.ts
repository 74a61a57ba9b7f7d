/**
 * The fast YAML path against the yaml package's path on generated
 * config-shaped YAML. `npm test` runs a few hundred texts; `npm run fuzz`
 * runs FUZZ_RUNS of them.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { configYaml, yamlLineSoup } from './yaml-config-arbitrary'
import { differenceFromYamlPath, handledByFastPath } from './yaml-differential'

const RUNS = Number(process.env.FUZZ_RUNS ?? 400)

describe('the fast YAML path on generated configs', () => {
  it(`gives the yaml path's data, references, locations and errors, or leaves the text to it (${RUNS} texts)`, () => {
    let handled = 0
    fc.assert(fc.property(fc.oneof({ arbitrary: configYaml, weight: 3 }, { arbitrary: yamlLineSoup, weight: 1 }), (yaml) => {
      if (handledByFastPath(yaml)) handled++
      const difference = differenceFromYamlPath(yaml)
      if (difference) throw new Error(`${difference.what} differs\nfast: ${difference.fast}\nyaml: ${difference.yaml}`)
    }), { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? 18) })
    // Most texts must reach the comparison, or the property proves little.
    expect(handled / RUNS).toBeGreaterThan(0.4)
  }, Math.max(60_000, RUNS * 30))
})
