/**
 * Crash safety: a child rewrites the credentials file through the project's `writeJson` in a
 * loop and is killed with SIGKILL at a random moment, over and over. After every kill the file
 * on disk must be the old or the new valid version (never torn), at 0600; temp files a kill
 * leaves must be gone after the next locked write.
 *
 * The writer is bundled once with esbuild (the same source, imports of packages left to
 * node_modules) so each iteration costs a plain `node` start, not a tsx one.
 * CHATGPT_CODEX_SOAK=1 runs 1000 iterations instead of 100.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { createContext } from '../src/context.js'
import { fileStore } from '../src/store/credentials.js'
import { isTempOf } from '../src/store/json-file.js'
import { Credentials } from '../src/store/schemas.js'
import { figure, RESULTS, SOAK } from './helpers/figures.js'

const ITERATIONS = SOAK ? 1000 : 100
const LANES = 2
const WRITER = join(RESULTS, 'build', 'crash-writer.mjs')
const ROOT = fileURLToPath(new URL('../', import.meta.url))

beforeAll(async () => {
  const { build } = await import('esbuild')
  mkdirSync(join(RESULTS, 'build'), { recursive: true })
  await build({
    entryPoints: [join(ROOT, 'test/helpers/crash-writer.ts')],
    outfile: WRITER,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  })
})

interface Kill {
  acked: number | undefined
}

/** Starts a writer at `first`, kills it after a random delay once it is writing. */
function runAndKill(file: string, first: number, maxDelayMs: number): Promise<Kill> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, file, String(first)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let armed = false
    child.stdout.on('data', (d: Buffer) => {
      out += d
      if (!armed && out.includes('ready\n')) {
        armed = true
        setTimeout(() => child.kill('SIGKILL'), Math.random() * maxDelayMs)
      }
    })
    const guard = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.on('error', reject)
    child.on('close', (_code, signal) => {
      clearTimeout(guard)
      if (signal !== 'SIGKILL')
        return reject(new Error(`writer exited on its own: ${out.slice(-200)}`))
      const seqs = out
        .split('\n')
        .filter((l) => /^\d+$/.test(l))
        .map(Number)
      resolve({ acked: seqs.length ? Math.max(...seqs) : undefined })
    })
  })
}

/** The sequence number on disk, or 'torn' when the file is not one whole valid version. */
function onDisk(file: string): number | 'torn' {
  try {
    const parsed = Credentials.safeParse(JSON.parse(readFileSync(file, 'utf8')))
    return parsed.success ? parsed.data.last_refresh : 'torn'
  } catch {
    return 'torn'
  }
}

const temps = (dir: string) => readdirSync(dir).filter((n) => isTempOf('credentials.json', n))

describe('crash safety under SIGKILL', () => {
  it(`${ITERATIONS} kills at random points of state writes never leave a torn file`, async () => {
    let torn = 0
    let wrong = 0
    let badMode = 0
    let killsMidWrite = 0
    let writesCompleted = 0
    const dirs: string[] = []
    const lane = async (n: number) => {
      const dir = mkdtempSync(join(tmpdir(), 'cco-crash-'))
      dirs.push(dir)
      const file = join(dir, 'credentials.json')
      // Version 0 exists before the first writer starts: "old" is always defined.
      const { default: wfa } = await import('write-file-atomic')
      await wfa(file, JSON.stringify({ ...JSON.parse(seed()), last_refresh: 0 }), { mode: 0o600 })
      let current = 0
      for (let i = 0; i < n; i++) {
        const { acked } = await runAndKill(file, current + 1, 40)
        const base = acked ?? current
        const seen = onDisk(file)
        if (seen === 'torn') torn++
        else if (seen !== base && seen !== base + 1) wrong++
        if ((statSync(file).mode & 0o777) !== 0o600) badMode++
        if (temps(dir).length) killsMidWrite++
        writesCompleted += base - current
        current = seen === 'torn' ? base + 1 : seen
      }
    }
    await Promise.all(
      Array.from({ length: LANES }, (_, i) =>
        lane(ITERATIONS / LANES + (i < ITERATIONS % LANES ? 1 : 0)),
      ),
    )

    // The next successful call: a real locked write through the credential store.
    let leftAfter = 0
    for (const dir of dirs) {
      const store = fileStore(createContext({ CHATGPT_CODEX_HOME: dir, HOME: dir }))
      const before = onDisk(join(dir, 'credentials.json'))
      expect(before).not.toBe('torn')
      await store.locked(() => store.write({ ...JSON.parse(seed()), last_refresh: 999_999 }))
      leftAfter += temps(dir).length
      expect(onDisk(join(dir, 'credentials.json'))).toBe(999_999)
    }
    figure('crash', {
      iterations: ITERATIONS,
      torn,
      wrong_version: wrong,
      bad_mode: badMode,
      kills_mid_write: killsMidWrite,
      writes_completed: writesCompleted,
      temp_files_after_next_write: leftAfter,
    })
    expect({ torn, wrong, badMode, leftAfter }).toEqual({
      torn: 0,
      wrong: 0,
      badMode: 0,
      leftAfter: 0,
    })
    // The kills must actually land inside writes, or this test proves nothing.
    expect(killsMidWrite).toBeGreaterThan(0)
  })
})

function seed(): string {
  const c: Credentials = {
    schemaVersion: 1,
    tokens: {
      id_token: 'fake-id',
      access_token: 'fake-access',
      refresh_token: 'fake-refresh',
      account_id: 'acc',
    },
    account: { email: null, plan: null, account_id: 'acc', user_id: null },
    access_expires_at: null,
    access_issued_at: null,
    last_refresh: 0,
    issuer: 'http://127.0.0.1:1',
    reauth: null,
  }
  return JSON.stringify(c)
}
