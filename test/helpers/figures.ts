/**
 * Reliability figures: tests append what they measured (processes, refreshes, reuse events,
 * crash iterations, torn files, fault cases, bad inputs) to test-results/reliability.jsonl.
 * The global teardown (test/helpers/summary.ts) sums them with the redaction scan and prints
 * the totals docs/reliability.md quotes.
 */
import { appendFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const RESULTS = fileURLToPath(new URL('../../test-results/', import.meta.url))

/** Appends one figure line: `{name, ...values}`. */
export function figure(name: string, values: Record<string, number | string | boolean>): void {
  mkdirSync(RESULTS, { recursive: true })
  appendFileSync(
    join(RESULTS, 'reliability.jsonl'),
    `${JSON.stringify({ name, ...values, at: new Date().toISOString() })}\n`,
  )
}

/** True when the long soak variants should run (CHATGPT_CODEX_SOAK=1). */
export const SOAK = process.env.CHATGPT_CODEX_SOAK === '1'
