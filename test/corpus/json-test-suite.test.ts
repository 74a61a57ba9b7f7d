import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CORPUS, dist } from '../helpers'

const SUITE = join(CORPUS, 'json-test-suite')
const files = readdirSync(SUITE).filter(name => name.endsWith('.json')).sort()

/** Builds `file` with Rollup, our plugin and @rollup/plugin-json; the default export, or the error. */
async function build(file: string): Promise<{ data?: unknown, error?: Error }> {
  const { rollup } = await import('rollup')
  const { default: json } = await import('@rollup/plugin-json')
  const { default: secrets } = await dist('rollup')
  const entry = '\0entry'
  try {
    const bundle = await rollup({
      input: entry,
      onwarn: () => {},
      plugins: [
        { name: 'entry', resolveId: (id: string) => (id === entry ? id : null), load: (id: string) => (id === entry ? `export { default } from ${JSON.stringify(join(SUITE, file))}` : null) },
        secrets({ store: join(SUITE, 'no-store-needed.enc.json') }),
        json(),
      ],
    })
    const { output } = await bundle.generate({ format: 'es' })
    const data = (await import(`data:text/javascript,${encodeURIComponent(output[0].code)}`)).default
    return { data }
  }
  catch (error) {
    return { error: error as Error }
  }
}

describe('JSONTestSuite through Rollup with the plugin (no references: the plugin must not change anything)', () => {
  it('y_ files keep their data; n_ files are rejected; i_ files either, never a crash', async () => {
    const problems: string[] = []
    for (const file of files) {
      const result = await build(file)
      if (result.error && !(result.error instanceof Error)) problems.push(`${file}: threw a non-Error`)
      if (file.startsWith('y_')) {
        if (result.error) problems.push(`${file}: rejected: ${result.error.message.slice(0, 120)}`)
        else if (!Object.is(JSON.stringify(result.data), JSON.stringify(JSON.parse(readFileSync(join(SUITE, file), 'utf8'))))) problems.push(`${file}: data changed`)
      }
      if (file.startsWith('n_') && !result.error) problems.push(`${file}: accepted`)
    }
    expect(problems).toEqual([])
  }, 120_000)
})
