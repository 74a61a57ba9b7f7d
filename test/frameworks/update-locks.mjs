// npm run frameworks:locks — re-locks the framework apps (test/frameworks/apps/*) after
// unplugin-secrets' own dependencies changed: each app's lock records them, and `npm ci`
// in test:frameworks installs exactly what the lock says. Every other pin stays as it is.
import { execFileSync } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = join(import.meta.dirname, '../..')
const apps = join(import.meta.dirname, 'apps')
const work = mkdtempSync(join(tmpdir(), 'usec-locks-'))
try {
  execFileSync('npm', ['pack', '--pack-destination', work, '--silent'], { cwd: root, stdio: 'inherit' })
  const tarball = join(work, readdirSync(work).find(name => name.endsWith('.tgz')))
  for (const app of readdirSync(apps)) {
    const copy = join(work, app)
    cpSync(join(apps, app), copy, { recursive: true })
    cpSync(tarball, join(copy, 'unplugin-secrets.tgz'))
    // Forget the locked copy of the package, so npm reads its dependencies from the new tarball.
    const lockFile = join(copy, 'package-lock.json')
    const lock = JSON.parse(readFileSync(lockFile, 'utf8'))
    delete lock.packages['node_modules/unplugin-secrets']
    writeFileSync(lockFile, JSON.stringify(lock, null, 2))
    execFileSync('npm', ['install', '--package-lock-only', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: copy, stdio: 'inherit' })
    cpSync(join(copy, 'package-lock.json'), join(apps, app, 'package-lock.json'))
    console.log(`re-locked ${app}`)
  }
}
finally {
  rmSync(work, { recursive: true, force: true })
}
