/**
 * Issue 11: the live model feed (`GET /v1/models/events`). Another process bumps the registry
 * through the project's own writeRegistry; the feed, served over real loopback HTTP, must deliver
 * each bump within 1 s (median and max over 20 bumps are written to test-results/feed.json), with
 * one watcher for 50 subscribers, and with `fs.watch` off (the stat poll alone).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer, get, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createContext } from '../src/context.js'
import { createModelFeed, type ModelFeed, type ModelsEvent } from '../src/gateway/feed.js'
import { eventsRoute } from '../src/gateway/ui-routes.js'
import { openStore } from '../src/store/credentials.js'
import type { Credentials } from '../src/store/schemas.js'
import { childEnv, ROOT } from './helpers/cli.js'
import { figure, RESULTS } from './helpers/figures.js'
import { tempDir } from './helpers/harness.js'
import { leakScan, record } from './helpers/leaks.js'

interface Sub {
  events: { e: ModelsEvent; at: number }[]
  comments: number
  /** Resolves with the arrival time of the first event with this version. */
  version(v: number, timeoutMs?: number): Promise<number>
  close(): void
}

/** A minimal SSE client over node:http; records every frame it reads. */
function subscribe(url: string): Promise<Sub> {
  return new Promise((resolve, reject) => {
    const waiters: { v: number; done: (at: number) => void }[] = []
    const sub: Sub = {
      events: [],
      comments: 0,
      version(v, timeoutMs = 3000) {
        const hit = sub.events.find((x) => x.e.version === v)
        if (hit) return Promise.resolve(hit.at)
        return new Promise((ok, fail) => {
          const t = setTimeout(() => fail(new Error(`version ${v} not seen`)), timeoutMs)
          waiters.push({ v, done: (at) => (clearTimeout(t), ok(at)) })
        })
      },
      close: () => req.destroy(),
    }
    let buf = ''
    const req = get(url, (res) => {
      expect(res.headers['content-type']).toMatch(/^text\/event-stream/)
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        const at = Date.now()
        buf += chunk
        let end
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, end)
          buf = buf.slice(end + 2)
          record(frame)
          if (frame.startsWith(':')) sub.comments++
          const data = /^event: models\ndata: (.*)$/s.exec(frame)?.[1]
          if (!data) continue
          const e = JSON.parse(data) as ModelsEvent
          sub.events.push({ e, at })
          for (const w of waiters.filter((x) => x.v === e.version)) w.done(at)
          if (sub.events.length === 1) resolve(sub)
        }
      })
    })
    req.on('error', (err) => (sub.events.length ? undefined : reject(err)))
  })
}

/** A bumper child process (another process, as a sign-in or logout is). */
async function bumper(env: Record<string, string>) {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'test/helpers/bumper.ts')],
    { cwd: ROOT, env: childEnv(env) },
  )
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  expect((await lines.next()).value).toBe('ready')
  return {
    async bump(): Promise<{ version: number; start: number }> {
      const start = Date.now()
      child.stdin.write('bump\n')
      const { value } = await lines.next()
      return { version: JSON.parse(value as string).version, start }
    },
    close: () => child.kill(),
  }
}

async function serveFeed(feed: ModelFeed): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => eventsRoute(res, feed))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/models/events`,
    server,
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

describe('the model feed', () => {
  const root = tempDir('cco-feed-')
  const env = { HOME: join(root, 'home'), CHATGPT_CODEX_HOME: join(root, 'state') }
  const ctx = createContext(env)
  let feed: ModelFeed
  let url: string
  let server: Server
  let b: Awaited<ReturnType<typeof bumper>>

  beforeAll(async () => {
    feed = createModelFeed(ctx)
    ;({ url, server } = await serveFeed(feed))
    b = await bumper(env)
  })
  afterAll(() => {
    b.close()
    feed.close()
    server.close()
  })

  it('sends the current state on connect, before any registration: version 0, signed-out, no models', async () => {
    const s = await subscribe(url)
    expect(s.events[0]!.e).toEqual({ version: 0, state: 'signed-out', account: null, models: [] })
    s.close()
  })

  it("delivers another process's bump within 1 s, 20 times in a row (median and max recorded)", async () => {
    const s = await subscribe(url)
    const latencies: number[] = []
    for (let i = 0; i < 20; i++) {
      const { version, start } = await b.bump()
      latencies.push((await s.version(version, 2000)) - start)
    }
    const last = s.events.at(-1)!.e
    expect(last.state).toBe('signed-out') // 20 toggles end signed out
    const signedIn = s.events.find((x) => x.e.state === 'signed-in')!.e
    expect(signedIn.models).toEqual([
      { id: 'gpt-5.4', object: 'model', created: expect.any(Number), owned_by: 'openai-codex' },
      {
        id: 'gpt-5.4-mini',
        object: 'model',
        created: expect.any(Number),
        owned_by: 'openai-codex',
      },
    ])
    const result = { bumps: 20, median_ms: median(latencies), max_ms: Math.max(...latencies) }
    mkdirSync(RESULTS, { recursive: true })
    writeFileSync(join(RESULTS, 'feed.json'), `${JSON.stringify({ ...result, latencies })}\n`)
    figure('feed latency (ms)', result)
    console.log(
      `feed: 20 bumps from another process, median ${result.median_ms} ms, max ${result.max_ms} ms`,
    )
    expect(result.max_ms).toBeLessThan(1000)
    s.close()
  })

  it('50 subscribers share one watcher, and each bump reaches all 50', async () => {
    const fresh = createModelFeed(ctx)
    const srv = await serveFeed(fresh)
    const subs = await Promise.all(Array.from({ length: 50 }, () => subscribe(srv.url)))
    expect(fresh.subscribers).toBe(50)
    expect(fresh.watchers).toBe(1)
    expect(fresh.stats.watchStarts).toBe(1)
    for (let i = 0; i < 3; i++) {
      const { version } = await b.bump()
      const arrivals = await Promise.all(subs.map((s) => s.version(version, 2000)))
      expect(arrivals).toHaveLength(50)
    }
    // Three bumps, each read from disk once for all 50 (a read per subscriber would be 150).
    expect(fresh.stats.reads).toBeLessThanOrEqual(6)
    expect(fresh.stats.watchStarts).toBe(1)
    for (const s of subs) s.close()
    await expect.poll(() => fresh.watchers).toBe(0)
    fresh.close()
    srv.server.close()
  })

  it('with fs.watch off, the stat poll alone still delivers each bump within 1 s', async () => {
    const pollOnly = createModelFeed(ctx, { fsWatch: false })
    const srv = await serveFeed(pollOnly)
    const s = await subscribe(srv.url)
    for (let i = 0; i < 4; i++) {
      const { version, start } = await b.bump()
      expect((await s.version(version, 2000)) - start).toBeLessThan(1000)
    }
    s.close()
    pollOnly.close()
    srv.server.close()
  })

  it('sends a heartbeat comment', async () => {
    const fast = createModelFeed(ctx, { heartbeatMs: 50 })
    const srv = await serveFeed(fast)
    const s = await subscribe(srv.url)
    await expect.poll(() => s.comments, { timeout: 2000 }).toBeGreaterThan(1)
    s.close()
    fast.close()
    srv.server.close()
  })
})

describe('the feed follows the account', () => {
  const root = tempDir('cco-feed-acct-')
  const env = { HOME: join(root, 'home'), CHATGPT_CODEX_HOME: join(root, 'state') }
  const ctx = createContext(env)
  const creds = (email: string, account_id: string): Credentials => ({
    schemaVersion: 1,
    tokens: {
      id_token: `fake-id-${account_id}`,
      access_token: `fake-access-${account_id}`,
      refresh_token: `fake-refresh-${account_id}`,
      account_id,
    },
    account: { email, plan: 'plus', account_id, user_id: `user-${account_id}` },
    access_expires_at: Date.now() + 3_600_000,
    access_issued_at: Date.now(),
    last_refresh: Date.now(),
    issuer: 'https://auth.openai.com',
    reauth: null,
  })

  it('a sign-in as another account with the same catalog (no marker bump) reaches the page within 1 s', async () => {
    const b = await bumper(env)
    const feed = createModelFeed(ctx)
    const { url, server } = await serveFeed(feed)
    try {
      const store = await openStore(ctx)
      await store.locked(() => store.write(creds('first@example.com', 'acct-first')))
      const { version } = await b.bump()
      const s = await subscribe(url)
      await s.version(version)
      await expect
        .poll(() => s.events.at(-1)?.e.account?.email, { timeout: 1500 })
        .toBe('first@example.com')
      const t0 = Date.now()
      await store.locked(() => store.write(creds('second@example.com', 'acct-second')))
      await expect
        .poll(() => s.events.at(-1)?.e.account?.email, { timeout: 1500, interval: 20 })
        .toBe('second@example.com')
      expect(s.events.at(-1)!.e.version).toBe(version)
      expect(Date.now() - t0).toBeLessThan(1500)
      s.close()
    } finally {
      b.close()
      feed.close()
      server.close()
    }
  })
})

leakScan(import.meta.url)
