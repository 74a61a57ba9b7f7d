import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { assertSecretName, secretNameProblem } from '../src/core/names'
import { createStore } from '../src/core/store/store'
import { tempDir } from './helpers'

describe('the one secret-name check', () => {
  it('says what is wrong without repeating the input', () => {
    expect(secretNameProblem('GRAFANA_API_KEY')).toBeUndefined()
    expect(secretNameProblem('')).toBe('it is empty')
    expect(secretNameProblem('9LIVES')).toBe('it starts with a digit')
    expect(secretNameProblem('A B')).toBe('character 2 (a space) is not allowed')
    expect(secretNameProblem('AB.C')).toBe('character 3 (".") is not allowed')
    // Not ASCII punctuation: the position only (emoji count as one character).
    expect(secretNameProblem('🔑Ü')).toBe('character 1 is not allowed')
    expect(secretNameProblem('A🔑Ü')).toBe('character 2 is not allowed')
    expect(secretNameProblem('A\nB')).toBe('character 2 is not allowed')
    expect(secretNameProblem(42)).toBe('it is a number, not a string')
    expect(secretNameProblem(undefined)).toBe('it is undefined, not a string')
    expect(secretNameProblem(null)).toBe('it is null, not a string')
  })

  it('the store API refuses a value given as a name without repeating it', async () => {
    const dir = await tempDir('usec-names-')
    const { store } = await createStore({ path: join(dir, 'secrets.enc.json'), admin: 'test' })
    const canary = `xoxb-${randomBytes(16).toString('base64url')}`
    for (const attempt of [() => store.set(canary, 'v'), () => store.setMany({ [canary]: 'v' }), () => store.delete(canary), async () => assertSecretName(canary)]) {
      const error = await attempt().then(() => undefined, (caught: unknown) => caught as Error & { code: string })
      expect(error?.code).toBe('INVALID_NAME')
      expect(error!.message).toMatch(/^Invalid secret name: character 5 \("-"\) is not allowed\. A name is /)
      expect(error!.message).not.toContain(canary.slice(5))
      expect(error!.stack).not.toContain(canary.slice(5))
    }
  })
})
