/**
 * The key source for readers: their own age identity opens their entry in
 * the store's `readers` section, which holds the store key (data key and
 * trust root). age's libraries load only when a store has readers (age-lib.ts).
 */
import { SecretsError } from '../errors'
import type { StoreFile } from './format'
import { unwrapWithIdentities } from './age'
import type { FoundKeys, KeyContext, KeySourceProvider } from './key-sources'
import { loadReaderIdentity } from './reader-identity'
import { verifyWithoutKey } from './trust'

export const readerIdentityKey: KeySourceProvider = {
  source: 'identity',
  async find(file: StoreFile, { path, keyFile }: KeyContext): Promise<FoundKeys | undefined> {
    const identity = await loadReaderIdentity()
    if (!identity) return undefined
    const mine = new Set(identity.identities.map(key => key.recipient))
    const entry = [...file.readers].find(([, reader]) => mine.has(reader.recipient))
    if (!entry) {
      if (keyFile?.storeKeys.length) return undefined // the key file's retired key gets the clearer message
      const recipient = identity.identities[0]!.recipient
      throw new SecretsError('KEY_MISSING', [
        `Your age identity (${identity.from}, recipient ${recipient})`,
        `is not a reader of ${path}, and you have no store key for it (store id ${file.id}). Ask one of its`,
        `admins (${[...file.admins.keys()].join(', ')}) to run: unplugin-secrets readers add <your-name> ${recipient}`,
      ].join(' '))
    }
    const [name, reader] = entry
    const label = `The entry of reader "${name}" in ${path}`
    const storeKey = await unwrapWithIdentities(reader.wrap, identity.identities, label).catch(
      async (error: unknown) => {
        // The entry is opened before the file is trusted: a file edited outside the tool says so first.
        verifyWithoutKey(file, path)
        throw error
      },
    )
    if (storeKey === undefined) {
      throw new SecretsError('READER_ENTRY_DAMAGED', [
        `${label} names your recipient but does not open with your identity (${identity.from}): it was damaged or`,
        `made for another key. Ask an admin to add you again: unplugin-secrets readers rm ${name}, then readers add.`,
      ].join(' '))
    }
    return {
      source: 'identity',
      label: `The store key in ${label} (opened with ${identity.from})`,
      candidates: [storeKey],
    }
  },
}
