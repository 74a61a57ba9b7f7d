/** `accept-rollback`: trust, on this machine, a store that went back to an older revision on purpose. */
import { acceptRollback as accept } from '../../core/store/store'
import type { Command } from '../command'
import { note, print } from '../io'

export const acceptRollback: Command = {
  name: 'accept-rollback',
  summary: 'accept, on this machine, a store that went back to an older revision on purpose',
  usage: 'accept-rollback',
  details: [
    '  This machine remembers the newest revision of each store it has opened or',
    '  written (per git branch, or per path outside git) and refuses an older one',
    '  (STORE_ROLLBACK). When going back is meant (you reverted the store on',
    '  purpose), run this once: it checks the store as it is now and remembers it.',
    '  Every other check still applies. There is no flag for this on purpose.',
  ].join('\n'),
  example: 'unplugin-secrets accept-rollback --store secrets.enc.json',
  options: {},
  positionals: [0, 0],
  async run({ storePath }) {
    const { store, before, line } = await accept({ path: storePath })
    const now = store.seenRevision()
    if (before?.head === now.head) {
      return note([
        `${store.path} is at revision ${now.revision},`,
        `which this machine already remembers for ${line.label}; nothing to accept.`,
      ].join(' '))
    }
    print(`Accepted revision ${now.revision} of ${store.path} (last change ${now.change}) for ${line.label}.`)
    if (before)
      print(`  It replaces revision ${before.revision} (last change ${before.change}) that this machine had seen.`)
  },
}
