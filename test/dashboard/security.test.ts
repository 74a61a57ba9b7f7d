import { describe, expect, it } from 'vitest'
import { hostnameAllowed, SignInLimiter, tokensEqual } from '../../src/dashboard/security'

describe('dashboard security pieces', () => {
  it('allows localhost, IP literals and the dev server\'s configured host names only', () => {
    for (const host of ['localhost', 'LOCALHOST', '127.0.0.1', '[::1]', '192.168.1.20', 'dev.internal'])
      expect(hostnameAllowed(host, ['dev.internal']), host).toBe(true)
    for (const host of ['attacker.example', 'localhost.attacker.example', '127.0.0.1.nip.io', 'dev.internal.attacker.example', 'sub.dev.internal'])
      expect(hostnameAllowed(host, ['dev.internal']), host).toBe(false)
  })

  it('counts failed sign-ins per client in a sliding minute', () => {
    const limiter = new SignInLimiter(5, 60_000)
    for (let i = 0; i < 5; i++) {
      expect(limiter.retryAfter('a', 1000 + i)).toBe(0)
      limiter.fail('a', 1000 + i)
    }
    expect(limiter.retryAfter('a', 2000)).toBe(59)
    expect(limiter.retryAfter('b', 2000)).toBe(0) // another client is not affected
    expect(limiter.retryAfter('a', 61_001)).toBe(0) // the oldest failure aged out
  })

  it('compares tokens by content, whatever their lengths', () => {
    expect(tokensEqual('abc', 'abc')).toBe(true)
    for (const given of [undefined, '', 'ab', 'abd', 'abcd']) expect(tokensEqual(given, 'abc'), String(given)).toBe(false)
  })
})
