/** `list`: secret names and metadata, never values. */
import { SecretsError } from '../../core/errors'
import type { EnvironmentStore } from '../../core/store/locate'
import type { SecretInfo } from '../../core/store/store'
import { openStore } from '../../core/store/store'
import type { Command } from '../command'
import { note, printBlock, table } from '../io'

const COLUMNS = ['NAME', 'VERSION', 'UPDATED', 'BY', 'DESCRIPTION']
const cells = (s: SecretInfo): string[] => [s.name, String(s.version), s.updatedAt, s.updatedBy, s.description ?? '']

/**
 * One environment's list, or why it could not be opened (a missing key for one environment does not
 * hide the others).
 */
type EnvironmentList = EnvironmentStore & ({ secrets: SecretInfo[] } | { error: { code: string, message: string } })

async function listEnvironment(store: EnvironmentStore): Promise<EnvironmentList> {
  try {
    return { ...store, secrets: (await openStore({ path: store.path })).list() }
  }
  catch (error) {
    if (!(error instanceof SecretsError)) throw error
    return { ...store, error: { code: error.code, message: error.message } }
  }
}

/** An opened environment's rows, each led by the environment's name. */
const environmentRows = (list: EnvironmentList): string[][] =>
  'secrets' in list ? list.secrets.map(s => [list.environment, ...cells(s)]) : []

/** --env all: one table with an ENVIRONMENT column; exit 1 when a store could not be opened. */
async function listEveryEnvironment(stores: EnvironmentStore[], json: boolean): Promise<number> {
  const lists = await Promise.all(stores.map(listEnvironment))
  if (json) printBlock(JSON.stringify(lists, null, 2))
  else printBlock(table([['ENVIRONMENT', ...COLUMNS], ...lists.flatMap(environmentRows)]))
  for (const list of lists) {
    if ('error' in list) note(`${list.environment}: not listed: ${list.error.message}`)
  }
  return lists.some(list => 'error' in list) ? 1 : 0
}

export const list: Command = {
  name: 'list',
  summary: 'list secret names and metadata (never values)',
  usage: 'list [--json]',
  details: [
    '  --json      print a JSON array of { name, version, createdAt, updatedAt, updatedBy, description }',
    '  --env all   every environment\'s store, with an ENVIRONMENT column (--json: one',
    '              { environment, path, secrets } per store, or { …, error } where it could not be opened)',
  ].join('\n'),
  example: 'unplugin-secrets list --env all',
  options: { json: { type: 'boolean' } },
  positionals: [0, 0],
  everyEnvironment: true,
  async run({ storePath, environments, values }) {
    if (environments) return listEveryEnvironment(environments, Boolean(values.json))
    const store = await openStore({ path: storePath })
    const secrets = store.list()
    if (values.json) return printBlock(JSON.stringify(secrets, null, 2))
    if (secrets.length === 0) return note(`No secrets in ${store.path} yet. Add one with: unplugin-secrets set NAME`)
    printBlock(table([COLUMNS, ...secrets.map(cells)]))
  },
}
