/**
 * Every single-bit flip of a small store: all 8 bits of every byte (the
 * store suite, test/store/tamper.test.ts, flips the low bit of each byte and
 * truncates at every offset). Each damaged file gives a SecretsError with a
 * code, or — only if the flip left the content equivalent — the original
 * values; never a wrong value, never another exception.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SecretsError } from '../../src/core/errors'
import { openStore } from '../../src/core/store/store'
import { tempDir } from '../helpers'
import { makeStore } from '../store/fixtures'

const dir = await tempDir('usec-damage-')
process.env.UNPLUGIN_SECRETS_KEY_DIR = join(dir, 'keys')

describe('store damage', () => {
  it('every single-bit flip of a one-secret store: a SecretsError with a code, never a wrong value', async () => {
    const { path, storeKey } = await makeStore(dir, { ONLY: 'only-value-1' })
    const text = await readFile(path)
    const codes = new Map<string, number>()
    let opened = 0
    for (let i = 0; i < text.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const damaged = Buffer.from(text)
        damaged[i]! ^= 1 << bit
        await writeFile(path, damaged)
        try {
          const store = await openStore({ path, key: storeKey })
          expect(Object.fromEntries(await store.getAll()), `byte ${i} bit ${bit}`).toEqual({ ONLY: 'only-value-1' })
          opened++
        }
        catch (error) {
          if (!(error instanceof SecretsError)) throw new Error(`byte ${i} bit ${bit}: ${String(error)}`, { cause: error })
          codes.set(error.code, (codes.get(error.code) ?? 0) + 1)
        }
      }
    }
    const flips = text.length * 8
    console.log(`store damage: ${flips} single-bit flips, ${flips - opened} refused (${[...codes].map(([code, n]) => `${code} ${n}`).join(', ')}), ${opened} opened with the original values`)
    expect(codes.get('STORE_TAMPERED')).toBeGreaterThan(0)
    expect(codes.get('STORE_MALFORMED')).toBeGreaterThan(0)
    expect(opened).toBeLessThan(flips / 100)
  }, 300_000)
})
