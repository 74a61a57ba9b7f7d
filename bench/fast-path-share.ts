// For `npm run bench`: how many of the corpus files the fast YAML path parses itself
// (the rest go to the yaml package). Run with tsx; prints JSON.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseConfigYaml } from '../src/core/formats/yaml-fast'

const CORPUS = join(import.meta.dirname, '../test/corpus')
const groups: Record<string, string[]> = {
  'yaml-test-suite': readdirSync(join(CORPUS, 'yaml-test-suite')).filter(id => /^[0-9A-Z]{4}(?:-\d+)?$/.test(id)).map(id => join(CORPUS, 'yaml-test-suite', id, 'in.yaml')),
  'JSONTestSuite (as YAML)': readdirSync(join(CORPUS, 'json-test-suite')).filter(name => name.endsWith('.json')).map(name => join(CORPUS, 'json-test-suite', name)),
  'real-configs (YAML)': readdirSync(join(CORPUS, 'real-configs')).filter(name => /\.ya?ml$/.test(name)).map(name => join(CORPUS, 'real-configs', name)),
}
const share = Object.entries(groups).map(([group, files]) => {
  const reasons = files.map(file => parseConfigYaml(readFileSync(file, 'utf8'))).map(result => (typeof result === 'string' ? result : ''))
  const bytes = (handled: boolean) => files.reduce((sum, file, index) => sum + (!reasons[index] === handled ? readFileSync(file).length : 0), 0)
  const counts: Record<string, number> = {}
  for (const reason of reasons) {
    if (reason) counts[reason] = (counts[reason] ?? 0) + 1
  }
  return { group, files: files.length, handled: reasons.filter(reason => !reason).length, handledBytes: bytes(true), totalBytes: bytes(true) + bytes(false), reasons: counts }
})
process.stdout.write(JSON.stringify(share))
