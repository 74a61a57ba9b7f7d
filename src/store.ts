/**
 * The encrypted, admin-signed secret store, for setup scripts and tools.
 *
 * @module unplugin-secrets/store
 * @example
 * ```ts
 * import { createStore, openStore } from 'unplugin-secrets/store'
 *
 * const { storeKey, adminKey } = await createStore({ path: 'secrets.enc.json', admin: 'alice' })
 * const store = await openStore({ path: 'secrets.enc.json', key: storeKey, adminKey })
 * await store.set('GRAFANA_API_KEY', process.env.GRAFANA_API_KEY!, { description: 'Grafana read-only' })
 * console.log(store.list()) // names and metadata, never values
 * ```
 */
import { formatAdminKey, formatPublicKey, generateAdminKey as generateAdminKeyPair } from './core/store/keys'

export { errorCodes, isSecretsError, SecretsError } from './core/errors'
export type { SecretsErrorCode } from './core/errors'
export { MAX_VALUE_BYTES, SECRET_NAME_PATTERN } from './core/names'
export type { AuditAction } from './core/store/format'
export { keyFilePath } from './core/store/keyfile'
export {
  ADMIN_KEY_ENV,
  createStore,
  DEFAULT_STORE_PATH,
  openStore,
  SecretStore,
  STORE_KEY_ENV,
} from './core/store/store'
export type {
  AdminInfo,
  AuditRecord,
  CreateStoreOptions,
  OpenStoreOptions,
  ReaderInfo,
  RotateOptions,
  SecretInfo,
  SetOptions,
  VerifyReport,
  WriteCondition,
} from './core/store/store'

/**
 * A new admin key pair. Keep `adminKey` private; give `publicKey` to a current
 * admin, who adds you with `store.addAdmin(name, publicKey)`.
 */
export function generateAdminKey(): { adminKey: string, publicKey: string } {
  const key = generateAdminKeyPair()
  return { adminKey: formatAdminKey(key), publicKey: formatPublicKey(key.publicKey) }
}
