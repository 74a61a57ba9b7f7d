/** `rotate`: a new store key; every value is re-encrypted and the old key stops working. */
import { openStore } from '../../core/store/store'
import type { Command } from '../command'
import { note } from '../io'

export const rotate: Command = {
  name: 'rotate',
  summary: 'new store key: re-encrypt every value; the old key stops working',
  usage: 'rotate',
  details: [
    '  The new key is saved to your key file before the store is rewritten, so a',
    '  crash leaves a store that the old or the new key opens. Afterwards, update',
    '  UNPLUGIN_SECRETS_KEY wherever it is set (unplugin-secrets key export).',
    '  Rotating the store key does not change the credentials themselves: after',
    '  someone leaves, rotate those at their providers and set them again.',
  ].join('\n'),
  example: 'unplugin-secrets rotate && unplugin-secrets key export',
  options: {},
  positionals: [0, 0],
  async run({ storePath }) {
    const store = await openStore({ path: storePath })
    store.assertAdmin()
    await store.rotate() // the new key goes to the key file before the store is rewritten
    note(`Rotated ${store.path}: every value is re-encrypted under a new store key (revision ${store.revision}).`)
    note('The new key is in your key file; the old key no longer opens the store.')
    note('Update CI and teammates: unplugin-secrets key export')
  },
}
