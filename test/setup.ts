/**
 * Every test file gets its own key folder (and with it its own rollback
 * memory), so tests never read or write the real user's configuration.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

process.env.UNPLUGIN_SECRETS_KEY_DIR ??= join(mkdtempSync(join(tmpdir(), 'usec-keys-')), 'keys')
