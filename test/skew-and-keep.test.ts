/**
 * Issue 16, items 5 and 6, through real CLI processes and the emulator.
 *
 * Clock skew: the CLI's clock is shifted a day (CHATGPT_CODEX_CLOCK_OFFSET_MS) against the
 * emulator's real one. A fresh 1-hour token is not refreshed (3 `token` calls, 0 refreshes); a
 * token with 2 minutes left is; a clock that jumps after sign-in costs one refresh, then none.
 *
 * Unreadable files are kept: a truncated or newer-schema credentials.json survives `start
 * --force` + `poll` (device) and `start --method browser --force` + the listener's callback: it
 * is moved aside as `<name>.corrupt-<time>`, byte for byte, and the result says so.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { browserGet, freePorts, readPendingFile } from './helpers/browser.js'
import { figure } from './helpers/figures.js'
import { world } from './helpers/harness.js'
import { leakScan, recordAllowed } from './helpers/leaks.js'
import { fakeCredentials } from './helpers/state.js'

const DAY = 86_400_000
const skew = { token_calls: 0, extra_refreshes: 0 }
const keep = { cases: 0, files_lost: 0 }

afterAll(() => {
  figure('clock_skew', skew)
  figure('unreadable_kept', keep)
})

async function tokens(w: Awaited<ReturnType<typeof world>>, n: number) {
  for (let i = 0; i < n; i++) {
    const t = await w.cli(['token'])
    recordAllowed(t.stdout)
    expect(t.json, t.stdout).toMatchObject({ ok: true })
    skew.token_calls++
  }
}

describe('clock skew', () => {
  for (const [name, offset] of [
    ['a day fast', DAY],
    ['a day slow', -DAY],
  ] as const) {
    it(`${name}: 3 token calls on a fresh 1-hour token make 0 refreshes; status and doctor report the skew`, async () => {
      const w = await world({ env: { CHATGPT_CODEX_CLOCK_OFFSET_MS: String(offset) } })
      try {
        await w.signIn()
        const before = w.emu.stats.refreshes
        await tokens(w, 3)
        const extra = w.emu.stats.refreshes - before
        skew.extra_refreshes += extra
        expect(extra).toBe(0)
        const s = await w.cli(['status'])
        expect(s.json.will_refresh_on_next_use).toBe(false)
        expect(Math.abs(s.json.clock_skew_s - offset / 1000)).toBeLessThan(5)
        expect(s.json.access_token_expires_in_s).toBeGreaterThan(3500)
        const d = await w.cli(['doctor'])
        expect(Math.abs(d.json.clock_skew_s - offset / 1000)).toBeLessThan(5)
        expect(d.json.findings).toContainEqual(
          expect.objectContaining({ id: 'clock_skew', severity: 'warning' }),
        )
      } finally {
        await w.close()
      }
    }, 60_000)

    it(`${name}: a token with 2 minutes left is refreshed (once), the fresh one is not`, async () => {
      const w = await world({ env: { CHATGPT_CODEX_CLOCK_OFFSET_MS: String(offset) } })
      try {
        w.emu.set({ accessTtlS: 120 })
        await w.signIn()
        w.emu.set({ accessTtlS: 3600 })
        const before = w.emu.stats.refreshes
        await tokens(w, 3)
        expect(w.emu.stats.refreshes - before).toBe(1)
      } finally {
        await w.close()
      }
    }, 60_000)
  }

  it('a clock a day fast at sign-in, then corrected: the token is still used, not refreshed', async () => {
    const w = await world({ env: { CHATGPT_CODEX_CLOCK_OFFSET_MS: String(DAY) } })
    try {
      await w.signIn()
      const before = w.emu.stats.refreshes
      for (let i = 0; i < 3; i++) {
        const t = await w.cli(['token'], { CHATGPT_CODEX_CLOCK_OFFSET_MS: '0' })
        recordAllowed(t.stdout)
        expect(t.json.ok).toBe(true)
        // On the corrected clock the token expires in about an hour, not in a day and an hour.
        const left = Date.parse(t.json.expires_at) - Date.now()
        expect(left).toBeGreaterThan(50 * 60_000)
        expect(left).toBeLessThan(61 * 60_000)
      }
      expect(w.emu.stats.refreshes - before).toBe(0)
    } finally {
      await w.close()
    }
  }, 60_000)

  it('a clock that jumps a day after sign-in costs one refresh, then none', async () => {
    const w = await world()
    try {
      await w.signIn()
      const before = w.emu.stats.refreshes
      for (let i = 0; i < 3; i++) {
        const t = await w.cli(['token'], { CHATGPT_CODEX_CLOCK_OFFSET_MS: String(DAY) })
        recordAllowed(t.stdout)
        expect(t.json.ok).toBe(true)
      }
      expect(w.emu.stats.refreshes - before).toBe(1)
    } finally {
      await w.close()
    }
  }, 60_000)
})

const UNREADABLE = {
  truncated: '{"schemaVersion":1,"tokens":{"id_token":"ey',
  newer_schema: JSON.stringify({ ...fakeCredentials(), schemaVersion: 7 }),
}

const corruptCopies = (home: string) =>
  readdirSync(home).filter((n) => n.startsWith('credentials.json.corrupt-'))

describe('an unreadable credentials.json is kept', () => {
  for (const [kind, text] of Object.entries(UNREADABLE)) {
    it(`${kind}: start --force + poll moves it aside (reported), never overwrites it`, async () => {
      const w = await world()
      try {
        w.emu.set({ interval: '0' })
        const { mkdirSync } = await import('node:fs')
        mkdirSync(w.home, { recursive: true, mode: 0o700 })
        writeFileSync(join(w.home, 'credentials.json'), text, { mode: 0o600 })
        const s = await w.cli(['start', '--force'])
        expect(s.json, s.stdout).toMatchObject({ ok: true, status: 'pending' })
        expect(readFileSync(join(w.home, 'credentials.json'), 'utf8')).toBe(text)
        w.emu.approve()
        const p = await w.cli(['poll'])
        keep.cases++
        expect(p.json, p.stdout).toMatchObject({ ok: true, status: 'connected' })
        expect(p.json.moved_aside).toHaveLength(1)
        const moved = p.json.moved_aside[0]
        expect(moved.file).toBe(join(w.home, 'credentials.json'))
        expect(moved.reason).toMatch(kind === 'truncated' ? /unreadable/ : /newer version/)
        if (readFileSync(moved.to, 'utf8') !== text) keep.files_lost++
        expect(readFileSync(moved.to, 'utf8')).toBe(text)
        expect(corruptCopies(w.home)).toHaveLength(1)
        expect((await w.cli(['status'])).json.status).toBe('connected')
      } finally {
        await w.close()
      }
    }, 60_000)
  }

  it('the browser sign-in (listener callback) keeps it too', async () => {
    const ports = await freePorts(2)
    const w = await world({ env: { CHATGPT_CODEX_CALLBACK_PORTS: ports.join(',') } })
    try {
      const { mkdirSync } = await import('node:fs')
      mkdirSync(w.home, { recursive: true, mode: 0o700 })
      writeFileSync(join(w.home, 'credentials.json'), UNREADABLE.truncated, { mode: 0o600 })
      const r = await w.cli(['start', '--method', 'browser', '--force'])
      expect(r.json, r.stdout).toMatchObject({ ok: true, status: 'pending' })
      const auth = await browserGet(r.json.authorize_url)
      const page = await browserGet(auth.location!)
      expect(page.status).toBe(200)
      const pending = readPendingFile(w.home)
      expect(pending?.outcome?.host?.moved_aside).toHaveLength(1)
      const p = await w.cli(['poll'])
      keep.cases++
      expect(p.json, p.stdout).toMatchObject({ ok: true, status: 'connected' })
      expect(p.json.moved_aside).toHaveLength(1)
      expect(readFileSync(p.json.moved_aside[0].to, 'utf8')).toBe(UNREADABLE.truncated)
    } finally {
      await w.close()
    }
  }, 60_000)
})

leakScan(import.meta.url)
