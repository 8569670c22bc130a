/**
 * `npm pack` (and `npm publish`) hooks: the release tarball's package.json declares no
 * dependencies, no scripts and no dev tooling, because `dist/` is self-contained (it bundles
 * undici, zod, proper-lockfile, write-file-atomic and eventsource-parser; it requires only
 * `node:` modules). The working tree keeps them as `dependencies`: a skill directory is a
 * clone installed with `npm ci --omit=dev`, whose `prepare` builds dist/ from them (and from
 * esbuild). Without this, every project installing the tarball would download those packages
 * again, unused, and npm 11 would ask it to approve esbuild's postinstall.
 *
 * - `prepack`: builds dist/ (the tarball must hold a fresh one), keeps the working manifest as
 *   `package.json.pack-backup`, and writes the release manifest in its place.
 * - `postpack`: puts the working manifest back. A pack that failed in between leaves the backup;
 *   the next `prepack` (or `postpack`) restores it first, so nothing is lost.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const manifest = join(root, 'package.json')
const backup = join(root, 'package.json.pack-backup')

/** The fields a user of the tarball needs; everything else is how this repository builds. */
const RELEASE_FIELDS = [
  'name',
  'version',
  'description',
  'type',
  'license',
  'engines',
  'bin',
  'files',
  'repository',
  'homepage',
  'keywords',
]

function restore() {
  if (existsSync(backup)) renameSync(backup, manifest)
}

const mode = process.argv[2]
if (mode === 'prepack') {
  restore()
  const b = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], {
    // On stderr: `npm pack --json` prints its JSON on stdout.
    stdio: ['ignore', 2, 2],
  })
  if (b.status !== 0) process.exit(b.status ?? 1)
  const text = readFileSync(manifest, 'utf8')
  const pkg = JSON.parse(text)
  const release = Object.fromEntries(
    RELEASE_FIELDS.filter((k) => pkg[k] !== undefined).map((k) => [k, pkg[k]]),
  )
  writeFileSync(backup, text)
  writeFileSync(manifest, `${JSON.stringify(release, null, 2)}\n`)
} else if (mode === 'postpack') {
  restore()
} else {
  process.stderr.write('usage: node scripts/pack-manifest.mjs prepack|postpack\n')
  process.exit(2)
}
