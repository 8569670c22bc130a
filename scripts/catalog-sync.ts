/**
 * `npm run catalog:sync`: regenerates the bundled fallback catalog (fixtures/models-fallback.json,
 * read by src/backend/models.ts when neither the backend nor a cache answers) from the pinned
 * Codex CLI's own bundled catalog, `codex debug models --bundled`.
 *
 * What is kept: the models a picker offers (`visibility: "list"`), each with the fields below,
 * in the binary's order. `base_instructions` is replaced by a short placeholder: the real
 * prompts are 17-26 KB per model, and this file is inlined into the CLI bundle that every
 * command loads (a live catalog brings the real ones). test/catalog-sync.test.ts fails when the
 * file drifts from what this script would write from the pinned binary.
 *
 * Options: --check (write nothing; exit 1 when the file would change).
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { codexBinary } from '../test/helpers/clients.js'

export const FALLBACK_PATH = fileURLToPath(
  new URL('../fixtures/models-fallback.json', import.meta.url),
)

/** The fields of each entry the fallback keeps, in this order. */
export const FALLBACK_FIELDS = [
  'slug',
  'display_name',
  'description',
  'default_reasoning_level',
  'supported_reasoning_levels',
  'shell_type',
  'visibility',
  'supported_in_api',
  'priority',
  'support_verbosity',
  'truncation_policy',
  'experimental_supported_tools',
  'context_window',
  'input_modalities',
  // The tiers a model offers (0.171: `priority`, shown as "Fast"), for the gateway's fast mode.
  'service_tiers',
] as const

export const PLACEHOLDER_INSTRUCTIONS =
  'You are Codex, a coding agent. (Placeholder: the bundled fallback catalog carries no upstream prompt; a live catalog replaces it.)'

type Entry = Record<string, unknown>

/** The fallback's models from a bundled catalog: visible entries, kept fields, placeholder prompt. */
export function fallbackModels(bundled: { models: Entry[] }): Entry[] {
  return bundled.models
    .filter((m) => m.visibility === 'list')
    .map((m) => {
      const out: Entry = {}
      for (const k of FALLBACK_FIELDS) if (m[k] !== undefined) out[k] = m[k]
      out.base_instructions = PLACEHOLDER_INSTRUCTIONS
      return out
    })
}

/** The binary's version string, e.g. `0.171.0`. */
export function codexVersion(bin: string): string {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 20_000 })
  const v = /codex-cli (\S+)/.exec(r.stdout ?? '')?.[1]
  if (!v) throw new Error(`${bin} --version printed no version: ${r.stdout}${r.stderr}`)
  return v
}

/** Runs `codex debug models --bundled` in a throwaway CODEX_HOME and HOME (no network use). */
export function bundledCatalog(bin: string): { models: Entry[] } {
  const home = mkdtempSync(join(tmpdir(), 'cco-catalog-'))
  try {
    const r = spawnSync(bin, ['debug', 'models', '--bundled'], {
      encoding: 'utf8',
      timeout: 30_000,
      maxBuffer: 64 * 1024 * 1024,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, CODEX_HOME: home },
    })
    if (r.status !== 0) throw new Error(`codex debug models --bundled failed: ${r.stderr}`)
    const parsed = JSON.parse(r.stdout) as { models?: Entry[] }
    if (!Array.isArray(parsed.models)) throw new Error('codex debug models printed no models[]')
    return { models: parsed.models }
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}

/** The whole file this script writes for `version`'s catalog. */
export function fallbackFile(bundled: { models: Entry[] }, version: string, asOf: string): string {
  const file = {
    schemaVersion: 1,
    as_of: asOf,
    source: `Codex CLI ${version} bundled catalog (codex debug models --bundled; npm run catalog:sync): visible models, ${FALLBACK_FIELDS.length} fields, placeholder base_instructions`,
    models: fallbackModels(bundled),
  }
  return `${JSON.stringify(file, null, 2)}\n`
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // The pinned binary from test/clients (installed there on first use).
  const bin = await codexBinary()
  const version = codexVersion(bin)
  const bundled = bundledCatalog(bin)
  const current = readFileSync(FALLBACK_PATH, 'utf8')
  const old = JSON.parse(current) as { as_of: string; models: Entry[] }
  const same =
    JSON.stringify(old.models) === JSON.stringify(fallbackModels(bundled)) &&
    current.includes(`Codex CLI ${version} `)
  if (process.argv.includes('--check')) {
    process.stdout.write(same ? 'fallback catalog matches codex ' + version + '\n' : '')
    if (!same)
      process.stderr.write(
        `fallback catalog differs from codex ${version}; run npm run catalog:sync\n`,
      )
    process.exit(same ? 0 : 1)
  }
  // An unchanged catalog keeps its date: as_of says when the models last changed.
  const asOf = same ? old.as_of : new Date().toISOString()
  writeFileSync(FALLBACK_PATH, fallbackFile(bundled, version, asOf))
  const slugs = fallbackModels(bundled).map((m) => m.slug)
  process.stdout.write(
    `${same ? 'unchanged' : 'wrote'} ${FALLBACK_PATH}: codex ${version}, ${slugs.length} models (${slugs.join(', ')})\n`,
  )
}
