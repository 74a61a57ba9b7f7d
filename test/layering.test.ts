/**
 * The arrows of the code's layers: core/ imports no dashboard and no CLI
 * code, and the store imports no config format (both use core/locate.ts).
 */
import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from './helpers'

/** Every relative import in the .ts files under `folder`, as a path from src/ (`core/store/format.ts -> core/locate`). */
async function importsUnder(folder: string): Promise<string[]> {
  const files = (await readdir(join(ROOT, 'src', folder), { recursive: true })).filter(file => file.endsWith('.ts'))
  const found: string[] = []
  for (const file of files) {
    const path = join(ROOT, 'src', folder, file)
    for (const [, target] of (await readFile(path, 'utf8')).matchAll(/(?:from|import\()\s*'(\.[^']+)'/g))
      found.push(`${relative(join(ROOT, 'src'), path)} -> ${relative(join(ROOT, 'src'), resolve(dirname(path), target!))}`)
  }
  return found
}

describe('layering', () => {
  it('core imports no dashboard and no CLI code', async () => {
    expect((await importsUnder('core')).filter(edge => / -> (?:dashboard|cli)\//.test(edge))).toEqual([])
  })

  it('the store imports no config format', async () => {
    expect((await importsUnder('core/store')).filter(edge => / -> core\/formats\//.test(edge))).toEqual([])
  })
})
