/** Formats the bench's results as Markdown (it goes into docs/performance.md as is). */
import type { Timed } from './measure.js'

export const ms = (t: Timed | undefined) => (t ? `${t.median.toFixed(1)} ms` : '—')
export const ratio = (a: Timed | undefined, b: Timed | undefined) =>
  a && b ? `${(a.median / b.median).toFixed(2)}×` : '—'

/** A Markdown table; the first column left-aligned, the rest right-aligned. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`
  const rule = `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 2)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`
  return [line(head), rule, ...rows.map(line)].join('\n')
}

/** "0", or every distinct count seen ("0, 1") when runs disagreed. */
export function counts(t: Timed | undefined): string {
  if (!t) return '—'
  return [...new Set(t.counts)].sort((a, b) => a - b).join(', ')
}
