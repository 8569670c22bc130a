/**
 * Many processes, one sign-in. N = 8 and N = 32 real CLI processes call `refresh` at once: all
 * succeed and no refresh token is ever sent twice (the emulator counts reuse). Then 8 processes
 * that each need a token near expiry (`usage --force`, `models --force`, `token`) cause exactly
 * one upstream refresh. CHATGPT_CODEX_SOAK=1 adds N = 64 and repeats.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { COMMANDS } from '../src/cli/commands.js'
import { world, type World } from './helpers/harness.js'
import { figure, SOAK } from './helpers/figures.js'
import { leakScan, recordAllowed } from './helpers/leaks.js'

const TOKEN = 'POST /oauth/token'
const SIZES = SOAK ? [8, 32, 64, 64] : [8, 32]

describe('concurrent refresh from many processes', () => {
  let w: World
  beforeAll(async () => {
    w = await world()
    await w.signIn()
  })
  afterAll(() => w.close())

  for (const n of SIZES) {
    it(`${n} processes refresh at once: all ok, no refresh token reused`, async () => {
      const refreshes0 = w.emu.stats.refreshes
      const reuse0 = w.emu.stats.reuse
      const calls0 = w.emu.count(TOKEN)
      const t0 = Date.now()
      const runs = await Promise.all(Array.from({ length: n }, () => w.cli(['refresh'])))
      const ms = Date.now() - t0
      const failed = runs.filter((r) => !r.json?.ok).map((r) => r.stdout || r.stderr)
      expect(failed).toEqual([])
      const refreshed = runs.filter((r) => r.json.refreshed === true).length
      const upstream = w.emu.stats.refreshes - refreshes0
      const reuse = w.emu.stats.reuse - reuse0
      expect(reuse).toBe(0)
      // Every upstream refresh was made by exactly one process that says so.
      expect(upstream).toBe(refreshed)
      expect(w.emu.count(TOKEN) - calls0).toBe(refreshed)
      expect(refreshed).toBeGreaterThanOrEqual(1)
      // Everyone ends on the same, current account.
      expect(new Set(runs.map((r) => r.json.account.account_id)).size).toBe(1)
      figure('concurrency', {
        processes: n,
        command: 'refresh',
        ok: runs.length - failed.length,
        upstream_refreshes: upstream,
        reuse,
        ms,
      })
    })
  }

  const needs = ['usage', 'models', 'token']
  const ready = needs.every((c) => Object.hasOwn(COMMANDS, c))
  it.runIf(ready)(
    '8 processes needing a token near expiry (usage/models --force, token): exactly one refresh',
    async () => {
      const file = join(w.home, 'credentials.json')
      const creds = JSON.parse(readFileSync(file, 'utf8'))
      // Two minutes left: inside the 5-minute refresh window for every process.
      writeFileSync(file, JSON.stringify({ ...creds, access_expires_at: Date.now() + 120_000 }), {
        mode: 0o600,
      })
      const refreshes0 = w.emu.stats.refreshes
      const reuse0 = w.emu.stats.reuse
      const argv = [['usage', '--force'], ['models', '--force'], ['token']]
      const runs = await Promise.all(Array.from({ length: 8 }, (_, i) => w.cli(argv[i % 3]!)))
      for (const r of runs) {
        expect(r.code, r.stdout.slice(0, 300)).toBe(0)
        // The token helper's stdout is the one output allowed to carry the token.
        if (r.stdout.includes('"token"') || !r.stdout.startsWith('{"ok"')) recordAllowed(r.stdout)
      }
      expect(w.emu.stats.refreshes - refreshes0).toBe(1)
      expect(w.emu.stats.reuse - reuse0).toBe(0)
      figure('concurrency', {
        processes: 8,
        command: 'usage/models --force + token near expiry',
        ok: runs.length,
        upstream_refreshes: 1,
        reuse: 0,
      })
    },
  )
})

leakScan(import.meta.url)
