/** What a `doctor` check reports, and the one formatting helper the checks share. */
import type { Snapshot } from './snapshot.js'

/** One finding of a check; `hint` is null when nothing is needed. */
export interface Finding {
  id: string
  severity: 'info' | 'warning' | 'error'
  message: string
  /** What to do about it; null when nothing is needed. */
  hint: string | null
}

/** A check: a pure function of the snapshot (no I/O of its own but a PID probe). */
export type Check = (s: Snapshot) => Finding[]

/** A duration for a message, in whole seconds. Never throws. */
export const ago = (ms: number) => `${Math.round(ms / 1000)} s`
