/**
 * holdSignals (src/signals.ts) in this process: a signal during the section is held, then handed
 * to the original handler (library/gateway mode) or turned into `interrupted` (CLI mode);
 * overlapping sections share one window. A listener is always installed here, so a signal can
 * never end the test worker.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { holdSignals, reportSignalsAsResults, signalExitCode } from '../src/signals.js'

const FLAG = Symbol.for('chatgpt-codex-onboarding.signals-as-results')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

afterEach(() => {
  delete (globalThis as Record<symbol, unknown>)[FLAG]
})

describe('holdSignals', () => {
  it('holds SIGTERM until the section ends, then hands it to the original handler', async () => {
    const got: string[] = []
    const mine = (s: NodeJS.Signals) => got.push(s)
    process.on('SIGTERM', mine)
    try {
      const v = await holdSignals(async () => {
        process.kill(process.pid, 'SIGTERM')
        await sleep(50)
        expect(got).toEqual([])
        return 42
      })
      expect(v).toBe(42)
      await sleep(50)
      expect(got).toEqual(['SIGTERM'])
      expect(process.listeners('SIGTERM')).toContain(mine)
    } finally {
      process.off('SIGTERM', mine)
    }
  })

  it('overlapping sections: the handler is back and the signal delivered only when the last ends', async () => {
    const got: string[] = []
    const mine = (s: NodeJS.Signals) => got.push(s)
    process.on('SIGHUP', mine)
    try {
      let releaseB!: () => void
      const b = holdSignals(() => new Promise<void>((r) => (releaseB = r)))
      await holdSignals(async () => {
        process.kill(process.pid, 'SIGHUP')
        await sleep(30)
      })
      await sleep(30)
      expect(got).toEqual([])
      releaseB()
      await b
      await sleep(50)
      expect(got).toEqual(['SIGHUP'])
    } finally {
      process.off('SIGHUP', mine)
    }
  })

  it('CLI mode: the section completes, then ends with interrupted and 128+n', async () => {
    const mine = () => {}
    process.on('SIGINT', mine)
    try {
      reportSignalsAsResults()
      let wrote = false
      const err = await holdSignals(async () => {
        process.kill(process.pid, 'SIGINT')
        await sleep(30)
        wrote = true
      }).catch((e: unknown) => e)
      expect(wrote).toBe(true)
      expect(err).toMatchObject({
        code: 'interrupted',
        extra: { signal: 'SIGINT', exit_code: 130, completed: true },
      })
      expect(signalExitCode('SIGTERM')).toBe(143)
      expect(signalExitCode('SIGHUP')).toBe(129)
    } finally {
      process.off('SIGINT', mine)
    }
  })
})
