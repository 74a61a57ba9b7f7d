/**
 * The age libraries (typage, and noble's curves and ChaCha for the ssh-ed25519
 * type), loaded on first use: they are large, only stores with readers need
 * them, and a plain require keeps a server bundle that includes the store
 * code in one chunk (a dynamic import() would make a bundler split it).
 */
import { createRequire } from 'node:module'

const load = createRequire(import.meta.url)
let typageModule: typeof import('age-encryption') | undefined
let curvesModule: typeof import('@noble/curves/ed25519.js') | undefined
let chachaModule: typeof import('@noble/ciphers/chacha.js') | undefined

export const typage = (): typeof import('age-encryption') =>
  (typageModule ??= load('age-encryption') as typeof import('age-encryption'))
export const curves = (): typeof import('@noble/curves/ed25519.js') =>
  (curvesModule ??= load('@noble/curves/ed25519.js') as typeof import('@noble/curves/ed25519.js'))
export const chacha = (): typeof import('@noble/ciphers/chacha.js') =>
  (chachaModule ??= load('@noble/ciphers/chacha.js') as typeof import('@noble/ciphers/chacha.js'))
