/**
 * The suite-wide secret scan. Every CLI output, result and log line a test produces is
 * recorded; at the end of each test file `leakScan()` checks them against every secret the
 * emulators minted, whole and as any 24-character fragment, and appends its counts to
 * test-results/redaction.jsonl (summed in docs/reliability.md).
 */
import { appendFileSync, mkdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { fileURLToPath } from 'node:url'

const outputs: string[] = []
const secretSources: (() => string[])[] = []
/** Secrets allowed to appear in specific outputs (the `token` command's own stdout). */
const allowed = new Set<string>()

/** Records one output (stdout, stderr, a result object, a log line, an HTTP body). */
export function record(output: unknown): void {
  const text = typeof output === 'string' ? output : JSON.stringify(output)
  if (text) outputs.push(text)
}

/** Records an output that is allowed to carry a token (only the `token` credential helper). */
export function recordAllowed(output: string): void {
  allowed.add(output)
}

/** Registers a source of minted secrets (an emulator's `secrets()`). */
export function trackSecrets(source: () => string[]): void {
  secretSources.push(source)
}

export const FRAGMENT = 24

export function findLeaks(texts: string[], secrets: string[]): string[] {
  const fragments = new Map<string, string>()
  for (const s of secrets) {
    if (s.length < FRAGMENT) {
      fragments.set(s, s)
      continue
    }
    for (let i = 0; i + FRAGMENT <= s.length; i++) fragments.set(s.slice(i, i + FRAGMENT), s)
  }
  const shortOnes = [...fragments.keys()].filter((f) => f.length < FRAGMENT)
  const leaks = new Set<string>()
  for (const text of texts) {
    for (let i = 0; i + FRAGMENT <= text.length; i++) {
      const hit = fragments.get(text.slice(i, i + FRAGMENT))
      if (hit) leaks.add(`${hit.slice(0, 6)}… in "${text.slice(Math.max(0, i - 20), i + 30)}"`)
    }
    for (const s of shortOnes) if (text.includes(s)) leaks.add(`${s.slice(0, 3)}…`)
  }
  return [...leaks]
}

/**
 * Registers the file's closing test: no output recorded in this file carries a minted secret.
 * Call once, at the end of a test file (tests in a file run in order).
 */
export function leakScan(file: string): void {
  it('leaks no minted secret in any output of this file', () => {
    const secrets = [...new Set(secretSources.flatMap((s) => s()))]
    const texts = outputs.filter((o) => !allowed.has(o))
    const leaks = findLeaks(texts, secrets)
    const dir = fileURLToPath(new URL('../../test-results/', import.meta.url))
    mkdirSync(dir, { recursive: true })
    appendFileSync(
      join(dir, 'redaction.jsonl'),
      `${JSON.stringify({ file: basename(file), outputs: texts.length, secrets: secrets.length, leaks: leaks.length })}\n`,
    )
    expect(leaks).toEqual([])
  })
  afterAll(() => {
    outputs.length = 0
  })
}
