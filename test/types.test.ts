/**
 * The published types: each bundler entry's declaration in dist/ returns one
 * plugin, so a user's editor shows `Plugin`, not `Plugin | Plugin[]`.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from './helpers'

describe('the emitted declarations', () => {
  it.each(['vite', 'rollup', 'rolldown', 'webpack', 'rspack', 'esbuild', 'farm'])('%s returns one plugin', async (bundler) => {
    const declaration = await readFile(join(ROOT, 'dist', `${bundler}.d.mts`), 'utf8')
    const returned = new RegExp(`declare const ${bundler}: \\(options\\?: Options \\| undefined\\) => (.+);`).exec(declaration)?.[1]
    expect(returned, declaration).toMatch(/Plugin/)
    expect(returned).not.toMatch(/\[\]|\|/)
  })
})
