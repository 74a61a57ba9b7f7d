/**
 * `merge`: git's merge driver for store files (BASE OURS THEIRS, written into
 * OURS), and `merge --git FILE` to finish a merge git stopped on.
 */
import { resolve } from 'node:path'
import { SecretsError } from '../../core/errors'
import { fileMode, readTextFile, withFileLock, writeFileAtomic } from '../../core/store/files'
import type { MergeChoice } from '../../core/store/format'
import { parseStoreFile } from '../../core/store/format'
import type { AdminKey, StoreKey } from '../../core/store/keys'
import { parseAdminKey, parseStoreKey } from '../../core/store/keys'
import { readKeyFile } from '../../core/store/keyfile'
import type { MergeOutcome, MergeVersion } from '../../core/store/merge'
import { MergeConflict, mergeStores } from '../../core/store/merge'
import { SETTLE } from '../../core/store/merge-messages'
import { ADMIN_KEY_ENV, STORE_KEY_ENV } from '../../core/store/store'
import type { Command } from '../command'
import { usageError } from '../command'
import { readMergeStages } from '../git'
import { note, noteBlock, print, printable, printError } from '../io'

export const merge: Command = {
  name: 'merge',
  summary: 'merge two versions of a store (git\'s merge driver; unplugin-secrets git setup installs it)',
  usage: 'merge BASE OURS THEIRS [--path NAME] [--ours NAME]... '
    + '[--theirs NAME]... | merge --git FILE [--ours NAME]... [--theirs NAME]...',
  details: [
    '  BASE OURS THEIRS   the three versions, in git\'s merge-driver order (%O %A %B);',
    '                     the result is written into OURS. Exit 0 when merged, 1 when',
    '                     the sides collide or a key is missing (OURS is left as it was).',
    '  --path NAME        how messages name the file (git\'s %P)',
    '  --git FILE         finish a merge git stopped on: read the three versions from',
    '                     git\'s index, write the result into FILE; then git add FILE',
    '  --ours NAME        for a secret both sides changed differently, keep ours',
    '  --theirs NAME      ... keep theirs (both may be given several times)',
    '',
    '  Both sides\' audit entries are kept and a merge entry signed by you is added;',
    '  it needs your admin key, and the store key of each side whose values it',
    '  re-encrypts (a side that rotated the key). Never prints a value.',
  ].join('\n'),
  example: 'unplugin-secrets merge --git secrets.enc.json --theirs API_TOKEN',
  options: {
    path: { type: 'string' },
    git: { type: 'string' },
    ours: { type: 'string', multiple: true },
    theirs: { type: 'string', multiple: true },
  },
  positionals: [0, 3],
  async run(context) {
    const request = mergeRequest(context)
    try {
      return await runMerge(request)
    }
    catch (error) {
      if (!(error instanceof SecretsError) || error.code === 'USAGE') throw error
      if (error instanceof MergeConflict) printConflicts(error, request)
      else printError(error.message)
      if (request.finish) noteBlock(gitStopped(request.finish, error instanceof MergeConflict))
      return 1
    }
  },
}

interface MergeRequest {
  /** How messages name the file. */
  path: string
  /** Where the result goes. */
  target: string
  /** Reads the three versions (git's index, or three files). */
  read: () => Promise<{ base?: MergeVersion, ours: MergeVersion, theirs: MergeVersion }>
  choose: Record<string, MergeChoice>
  /** --git: the target holds whatever git left there, so it is written whatever the outcome. */
  fromIndex: boolean
  /** The command that merges again with choices added, for the conflict message. */
  again: string
  /** Inside a git merge (the driver, or --git): the file as `git add` takes it, to say how to finish. */
  finish?: string
}

const quote = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, '\'\\\'\'')}'`)

function mergeRequest({ positionals, values }: Parameters<Command['run']>[0]): MergeRequest {
  const choose = choices(values.ours, values.theirs)
  const gitFile = values.git as string | undefined
  if (gitFile !== undefined) {
    if (positionals.length > 0 || values.path !== undefined)
      throw usageError('--git FILE takes no BASE OURS THEIRS and no --path: git holds the three versions.', 'merge')
    const target = resolve(gitFile)
    const again = `unplugin-secrets merge --git ${quote(gitFile)}`
    return {
      path: gitFile,
      target,
      read: async () => readStages(gitFile, target),
      choose,
      fromIndex: true,
      again,
      finish: gitFile,
    }
  }
  if (positionals.length !== 3)
    throw usageError('merge needs BASE OURS THEIRS (git\'s %O %A %B), or --git FILE.', 'merge')
  const [base, ours, theirs] = positionals as [string, string, string]
  const path = values.path as string | undefined
  const label = (side: string, file: string) => (path === undefined ? file : `${path} (${side})`)
  const read = async () => ({
    base: await readVersion(base, label('base', base), true),
    ours: (await readVersion(ours, label('ours', ours)))!,
    theirs: (await readVersion(theirs, label('theirs', theirs)))!,
  })
  if (path === undefined) {
    return {
      path: ours,
      target: resolve(ours),
      read,
      choose,
      fromIndex: false,
      again: `unplugin-secrets merge ${[base, ours, theirs].map(quote).join(' ')}`,
    }
  }
  // git's driver: run in the work tree's top folder, so %P made absolute works from any folder.
  const inTree = resolve(path)
  return {
    path,
    target: resolve(ours),
    read,
    choose,
    fromIndex: false,
    again: `unplugin-secrets merge --git ${quote(inTree)}`,
    finish: inTree,
  }
}

/** --ours and --theirs as one map; a name may have one side. */
function choices(ours: unknown, theirs: unknown): Record<string, MergeChoice> {
  const choose: Record<string, MergeChoice> = {}
  for (const [side, names] of [['ours', ours], ['theirs', theirs]] as const) {
    for (const name of (names as string[] | undefined) ?? []) {
      if (choose[name] !== undefined && choose[name] !== side)
        throw usageError(`${name} is given both --ours and --theirs; choose one side.`, 'merge')
      choose[name] = side
    }
  }
  return choose
}

async function readVersion(path: string, label: string, optional = false): Promise<MergeVersion | undefined> {
  const text = await readTextFile(path)
  if (text === undefined && !optional)
    throw new SecretsError('STORE_NOT_FOUND', `No file at ${path} (${label}) to merge.`)
  return text === undefined ? undefined : { text, label }
}

function readStages(file: string, target: string): { base?: MergeVersion, ours: MergeVersion, theirs: MergeVersion } {
  const stages = readMergeStages(target)
  if (stages.ours === undefined || stages.theirs === undefined) {
    throw usageError(
      `${file} is not in an unfinished git merge (git status lists it under "Unmerged paths" when it is).`,
      'merge',
    )
  }
  return {
    ...(stages.base === undefined ? {} : { base: { text: stages.base, label: `${file} (base)` } }),
    ours: { text: stages.ours, label: `${file} (ours)` },
    theirs: { text: stages.theirs, label: `${file} (theirs)` },
  }
}

async function runMerge(request: MergeRequest): Promise<number> {
  // Under the store's lock: a writer on our side waits until the merged file is in place.
  return withFileLock(request.target, async () => {
    const versions = await request.read()
    const outcome = await mergeStores({
      path: request.path,
      ...versions,
      ...(await userKeys(versions.ours)),
      choose: request.choose,
    })
    await writeOutcome(request, outcome, versions.ours.text)
    printOutcome(request, outcome)
    return 0
  })
}

/**
 * The store keys this user holds (UNPLUGIN_SECRETS_KEY and every key in the key file: a merge may
 * need two) and the admin key.
 */
async function userKeys(ours: MergeVersion): Promise<{ storeKeys: StoreKey[], adminKey: AdminKey | undefined }> {
  const keyFile = await readKeyFile(parseStoreFile(ours.text, ours.label).id)
  const env = process.env[STORE_KEY_ENV]
  const storeKeys = [
    ...(env ? [parseStoreKey(env, `The store key in ${STORE_KEY_ENV}`)] : []),
    ...(keyFile?.storeKeys ?? []).map(key => parseStoreKey(key, 'A store key in your key file')),
  ]
  const adminEnv = process.env[ADMIN_KEY_ENV]
  const adminText = adminEnv || keyFile?.adminKey
  const adminKey = adminText
    ? parseAdminKey(adminText, adminEnv ? ADMIN_KEY_ENV : 'The admin key in the key file')
    : undefined
  return { storeKeys, adminKey }
}

async function writeOutcome(request: MergeRequest, outcome: MergeOutcome, oursText: string): Promise<void> {
  const text = outcome.kind !== 'up-to-date' ? outcome.text : request.fromIndex ? oursText : undefined
  if (text !== undefined) await writeFileAtomic(request.target, text, await fileMode(request.target, 0o644))
}

function printOutcome(request: MergeRequest, outcome: MergeOutcome): void {
  if (outcome.kind === 'up-to-date')
    return note(`${request.path}: ours already holds every change of theirs; kept as it is.`)
  if (outcome.kind === 'fast-forward') return note(`${request.path}: theirs extends ours; took theirs as it is.`)
  const { entry, admin, fromTheirs, reencrypted } = outcome
  const taken = fromTheirs.length ? `took ${fromTheirs.join(', ')} from theirs` : 'no secret changed on their side only'
  const rekeyed = reencrypted.length
    ? `; re-encrypted ${reencrypted.length} value${reencrypted.length === 1 ? '' : 's'} under key ${entry.keyId}`
    : ''
  print(`Merged ${request.path}: ${taken}${rekeyed}; merge entry #${entry.seq} signed by ${admin}.`)
}

/** The conflict list, one name per block, and the commands that finish the merge. */
function printConflicts(error: MergeConflict, request: MergeRequest): void {
  printError([
    `${request.path}: both sides changed ${error.conflicts.length === 1 ? 'this' : 'these'} in ways that collide;`,
    'nothing was merged (your side is unchanged):',
  ].join(' '))
  const width = Math.max(...error.conflicts.map(c => c.what.length + c.name.length + 1))
  noteBlock(error.conflicts.map(c => [
    `  ${printable(`${c.what} ${c.name}`).padEnd(width)}  ours:   ${printable(c.ours)}`,
    `  ${' '.repeat(width)}  theirs: ${printable(c.theirs)}`,
  ].join('\n')).join('\n'))
  const secrets = error.conflicts.filter(c => c.what === 'secret').map(c => c.name)
  if (secrets.length === error.conflicts.length) {
    noteBlock([
      [
        'To finish, choose a side for each secret',
        '(--ours NAME keeps yours, --theirs NAME the other side\'s) and merge again:',
      ].join(' '),
      `  ${request.again} ${secrets.map(name => `--ours ${name}`).join(' ')}`,
      ...(request.finish ? [`  git add ${quote(request.finish)} && git commit`] : []),
      'To keep another value, choose either side, then set it after the merge: unplugin-secrets set NAME',
    ].join('\n'))
    return
  }
  const kinds = [...new Set(error.conflicts.map(c => c.what))]
  noteBlock(kinds.map(what => `${KIND_TITLE[what]}: ${SETTLE[what]}.`).join('\n'))
}

const KIND_TITLE = { secret: 'Secrets', admin: 'Admins', reader: 'Readers', key: 'Store key' } as const

/** After a failure inside a git merge: what git did with the file, and the ways on. */
function gitStopped(file: string, conflict: boolean): string {
  const finish = `  unplugin-secrets merge --git ${quote(file)} && git add ${quote(file)} && git commit`
  return [
    ...(conflict ? [] : [`git keeps ${file} unmerged. Once the problem above is fixed, finish with:`, finish]),
    'Or leave the merge with: git merge --abort',
  ].join('\n')
}
