/**
 * Every failure the package reports. Codes are stable: scripts may match on
 * them. Messages say what went wrong, where, and how to fix it, and never
 * contain a secret value.
 */
export const errorCodes = {
  INVALID_NAME: 'a secret name breaks the naming rule',
  REFERENCE_INVALID: 'a ${secret.NAME} reference is malformed',
  REFERENCE_IN_KEY: 'a ${secret.NAME} reference stands in a mapping key',
  SECRET_MISSING: 'a config references a secret the store does not have',
  SECRET_IN_CLIENT: 'a secret that is not allowed for the browser is referenced by a module for the browser',
  SECRET_IN_OUTPUT:
    'the output scan found a secret value in files written for the browser after the bundle (prerendered pages)',
  YAML_INVALID: 'a YAML config does not parse (or is unsafe: duplicate keys, alias bombs)',
  JSON_INVALID: 'a JSON config that holds a reference does not parse',
  FORMAT_UNSUPPORTED: 'a file given to render or loadConfig is neither YAML nor JSON (by its extension)',
  INVALID_VALUE: 'a secret value is not a well-formed UTF-8 string',
  VALUE_TOO_LARGE: 'a secret value is over 1 MiB of UTF-8',
  SECRET_NOT_FOUND: 'no secret with that name',
  SECRET_EXISTS: 'a write with ifAbsent (the dashboard\'s Add) was given a name the store already has',
  SECRET_CHANGED: 'a write with ifVersion found the secret at another version: someone changed it since it was read',
  STORE_NOT_FOUND: 'no store file at the path',
  STORE_EXISTS: 'a store already exists at the path',
  STORE_MALFORMED: 'the store file is not valid JSON or not in the store format (half-written, truncated, hand-edited)',
  STORE_UNSUPPORTED: 'the store file was written by a newer format version',
  STORE_TAMPERED: 'the store content does not match its signature, '
    + 'hash chain or ciphertext authentication, or differs from what its audit trail signed',
  STORE_ROLLBACK: 'the store went back to an older revision (or another history) '
    + 'than this machine has seen, or is below the minimum revision',
  MERGE_CONFLICT:
    'the two sides of a merge changed one secret, admin or reader in different ways, or both rotated the store key',
  MERGE_UNRELATED: 'the files given to merge are not versions of one store',
  UNTRUSTED_ADMIN: 'a change was signed by someone who is not an admin of this store, '
    + 'or the admin list does not descend from the store\'s trust root',
  KEY_MISSING: 'no store key in the options, the environment or the key file',
  KEY_INVALID: 'a key string is malformed (wrong prefix, length or checksum)',
  WRONG_KEY: 'the store key does not belong to this store or is not its current key',
  ADMIN_REQUIRED: 'a change was attempted without an admin key',
  NOT_ADMIN: 'the admin key is not in this store\'s admin list',
  ADMIN_EXISTS: 'an admin with that name or public key is already listed',
  ADMIN_NOT_FOUND: 'no admin with that name',
  LAST_ADMIN: 'removing the only admin would lock the store',
  INVALID_ADMIN_NAME: 'an admin name breaks the naming rule',
  RECIPIENT_INVALID: 'a reader\'s recipient is not an age X25519 recipient (age1…) or an SSH ed25519 public key',
  IDENTITY_INVALID:
    'an age identity is malformed, of a kind not supported, passphrase-protected, or in a file others can read',
  IDENTITY_MISSING:
    'no age identity in UNPLUGIN_SECRETS_AGE_KEY_FILE, UNPLUGIN_SECRETS_AGE_KEY or the default identity file',
  IDENTITY_EXISTS: 'identity new found an identity file already there (it never overwrites one)',
  READER_EXISTS: 'readers add was given a name or a recipient the store has already',
  READER_NOT_FOUND: 'no reader with that name',
  READER_ENTRY_DAMAGED: 'a reader\'s age-encrypted entry is truncated, edited or not an age file',
  LOCK_TIMEOUT: 'another process held the store lock for too long',
  WRITE_FAILED:
    'the store, a key file or a config\'s declaration (dts: true) could not be written; the previous file is intact',
  DECLARATION_EXISTS: 'dts: true would overwrite a declaration file beside a config that the plugin did not write',
  USAGE: 'the command line is wrong',
  CANCELLED: 'the user cancelled at a prompt',
} as const

export type SecretsErrorCode = keyof typeof errorCodes

/** A place in a config file: 1-based line, 0-based column (as Rollup's `loc`). */
export interface SourceLocation {
  file: string
  line: number
  column: number
}

/** The only error type the package throws on purpose. */
export class SecretsError extends Error {
  override name = 'SecretsError'
  readonly code: SecretsErrorCode
  /** Where in a config file, when the error is about one; the message starts with `file:line:col:`. */
  readonly loc?: SourceLocation

  constructor(code: SecretsErrorCode, message: string, options?: { cause?: unknown, loc?: SourceLocation }) {
    super(options?.loc ? `${formatLocation(options.loc)}: ${message}` : message, options)
    this.code = code
    if (options?.loc) this.loc = options.loc
  }
}

export const formatLocation = (loc: SourceLocation): string => `${loc.file}:${loc.line}:${loc.column + 1}`

export function isSecretsError(error: unknown): error is SecretsError {
  return error instanceof SecretsError
}
