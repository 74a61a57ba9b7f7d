/**
 * Finding references with no store: a format's own walk, given a lookup that records each reference
 * instead of resolving it.
 */
import { mentionsSecret } from '../reference'
import type { FoundReference, SecretLookup } from './types'

export function recordReferences(code: string, walk: (record: SecretLookup) => unknown): FoundReference[] {
  const found: FoundReference[] = []
  const record: SecretLookup = (name, locate) => {
    found.push({ name, loc: locate() })
    return ''
  }
  if (mentionsSecret(code)) walk(record)
  return found
}
