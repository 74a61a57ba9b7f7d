import { execFile } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The package as `npm pack` makes it from the built dist/: what the apps install. */
    tarball: string
  }
}

/** Vitest global setup for the framework apps: packs the built package once for all of them. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const folder = await mkdtemp(join(tmpdir(), 'usec-frameworks-pack-'))
  const root = join(import.meta.dirname, '../..')
  await promisify(execFile)('npm', ['pack', '--pack-destination', folder, '--silent'], { cwd: root })
  const [file] = (await readdir(folder)).filter(name => name.endsWith('.tgz'))
  project.provide('tarball', join(folder, file!))
  return () => rm(folder, { recursive: true, force: true })
}
