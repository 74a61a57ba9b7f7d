/** `identity`: make your own age identity (to be added as a reader), or show the one in use. */
import {
  AGE_KEY_ENV,
  AGE_KEY_FILE_ENV,
  createIdentityFile,
  defaultIdentityPath,
  identityMissing,
  loadReaderIdentity,
} from '../../core/store/reader-identity'
import type { Command } from '../command'
import { usageError } from '../command'
import { note, print, printable } from '../io'

const SUBCOMMANDS = ['new', 'show'] as const

async function createIdentity(): Promise<void> {
  const { path, recipient } = await createIdentityFile()
  print(recipient)
  note(`Saved your new age identity to ${printable(path)} (mode 0600). Keep it private and backed up.`)
  note('Send the recipient above to an admin of the store, who adds you as a reader:')
  note(`  unplugin-secrets readers add <your-name> ${recipient}`)
  if (!process.env[AGE_KEY_FILE_ENV] && process.env[AGE_KEY_ENV])
    note(`While ${AGE_KEY_ENV} is set, it is used instead of this file.`)
}

async function showIdentity(): Promise<void> {
  const found = await loadReaderIdentity()
  if (!found) throw identityMissing()
  for (const identity of found.identities) print(identity.recipient)
  note(`From ${printable(found.from)}.`)
}

export const identity: Command = {
  name: 'identity',
  summary: 'make your own age identity (to be added as a reader), or show the one in use',
  usage: 'identity new | identity show',
  details: [
    '  new    create an age identity file (mode 0600, never over an existing one) and',
    '         print its recipient (age1…) for an admin to add you as a reader',
    '  show   print the recipient of the identity in use, and say where it comes from',
    '',
    `  The identity in use: $${AGE_KEY_FILE_ENV} (a path to an age identity file or an`,
    `  unencrypted OpenSSH ed25519 private key), else $${AGE_KEY_ENV} (the identity itself,`,
    `  for CI), else ${defaultIdentityPath()}.`,
  ].join('\n'),
  example: 'unplugin-secrets identity new',
  options: {},
  positionals: [1, 1],
  async run({ positionals }) {
    const sub = positionals[0]!
    if (!SUBCOMMANDS.includes(sub as typeof SUBCOMMANDS[number])) {
      throw usageError(
        `Unknown identity command "${printable(sub.slice(0, 40))}": use ${SUBCOMMANDS.join(', ')}.`,
        'identity',
      )
    }
    await (sub === 'new' ? createIdentity() : showIdentity())
  },
}
