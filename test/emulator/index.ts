/**
 * A loopback emulator of auth.openai.com and chatgpt.com/backend-api, faithful to
 * docs/protocol.md, for the test suite, the demo and the benchmark. Real HTTP (or
 * HTTPS) on 127.0.0.1; other processes drive it through the /__emu/* control routes.
 */
import type { AddressInfo } from 'node:net'
import { backendRoutes } from './backend.js'
import { issuerRoutes } from './issuer.js'
import { createEmuServer, fields, json, type Routes } from './server.js'
import {
  EmuState,
  type UsageWindowMode,
  type EmuAccount,
  type EmuModes,
  type RecordedRequest,
  type Stats,
} from './state.js'

export type {
  EmuAccount,
  EmuModes,
  Fault,
  ModelInfo,
  RecordedRequest,
  ResponsesMode,
  Stats,
  UsageMode,
  UsageWindowMode,
} from './state.js'
export { CLIENT_ID, decodeJwt, s256 } from './jwt.js'

/** How to start an emulator. */
export interface EmulatorOptions {
  /** Default 0: a free port. Always bound to 127.0.0.1. */
  port?: number
  /** Serve HTTPS with this key and certificate (the real CLI's workspace routing wants HTTPS). */
  tls?: { key: string | Buffer; cert: string | Buffer }
  /** Millisecond clock for token iat/exp, device and code expiry. Default Date.now. */
  now?: () => number
  /** Lifetime of minted access tokens in seconds. Default 3600. */
  accessTtlS?: number
  account?: Partial<EmuAccount>
}

/** A running emulator. */
export interface Emulator {
  /** Base URL, e.g. http://127.0.0.1:41234 (https:// with `tls`); also the issuer. */
  url: string
  issuer: string
  /** `url + '/backend-api'`. */
  backendUrl: string
  /** Every request except /__emu/* control calls. */
  requests: RecordedRequest[]
  /** Requests to `'METHOD /path'`; `'refresh'` and `'exchange'` count those grants. */
  count(route: string): number
  stats: Stats
  /** Every secret minted so far (tokens, device ids, codes, verifiers, API keys). */
  secrets(): string[]
  /** Approves the device login with that user code (default: the most recent). */
  approve(userCode?: string): void
  /** Denies it: its poll then answers 400, which the CLI treats as fatal. */
  deny(userCode?: string): void
  /** The account used for logins, and for refreshes, from now on. */
  setAccount(a: Partial<EmuAccount>): void
  /** The current account. */
  readonly account: EmuAccount
  /** Token requests currently held by `modes.holdToken`. */
  held(): number
  /** Lets every held token request go on; returns how many were released. */
  release(): number
  /** Changes modes; `usage` windows merge into the current ones (name only what changes). */
  set(modes: EmuModesPatch): void
  /** The live modes object (mutated in place by `set`). */
  modes: EmuModes
  /** Clears recorded requests and counters; tokens stay valid. */
  reset(): void
  close(): Promise<void>
}

/** What `set()` takes: any modes, and usage windows in part. */
export type EmuModesPatch = Partial<Omit<EmuModes, 'usage'>> & {
  usage?: { primary?: Partial<UsageWindowMode>; secondary?: Partial<UsageWindowMode> }
}

/** Starts an emulator on 127.0.0.1. */
export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const now = opts.now ?? Date.now
  const s = new EmuState(opts.account, opts.accessTtlS ?? 3600)
  let base = ''

  const emu: Emulator = {
    url: '',
    issuer: '',
    backendUrl: '',
    requests: s.requests,
    count: (route) => s.count(route),
    stats: s.stats,
    secrets: () => [...s.minted],
    approve(userCode) {
      const d = s.device(userCode)
      if (d?.status === 'pending') d.status = 'approved'
    },
    deny(userCode) {
      const d = s.device(userCode)
      if (d && d.status !== 'collected') d.status = 'denied'
    },
    setAccount(a) {
      s.account = { ...s.account, ...a }
    },
    get account() {
      return s.account
    },
    held: () => s.held.length,
    release() {
      const waiting = s.held.splice(0)
      for (const go of waiting) go()
      return waiting.length
    },
    set(modes) {
      const next = { ...modes }
      // Faults count down their `times`: keep our own copies, not the caller's objects.
      if (modes.faults) {
        next.faults = Object.fromEntries(
          Object.entries(modes.faults).map(([k, f]) => [k, { ...f }]),
        )
      }
      if (modes.responses)
        next.responses = { ...modes.responses, reply: modes.responses.reply ?? 'text' }
      // Windows merge into the current ones: a test names only what it changes.
      const usage = modes.usage && {
        primary: { ...s.modes.usage.primary, ...modes.usage.primary },
        secondary: { ...s.modes.usage.secondary, ...modes.usage.secondary },
      }
      Object.assign(s.modes, next, usage ? { usage } : {})
    },
    modes: s.modes,
    reset: () => s.reset(),
    close: () =>
      new Promise<void>((resolve) => {
        emu.release()
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }

  const ok = (res: Parameters<Routes[string]>[1]) => json(res, 200, { ok: true })
  const control: Routes = {
    'POST /__emu/approve': (req, res) => (emu.approve(userCodeOf(req.body)), ok(res)),
    'POST /__emu/deny': (req, res) => (emu.deny(userCodeOf(req.body)), ok(res)),
    'POST /__emu/set': (req, res) => (emu.set(fields(req) as EmuModesPatch), ok(res)),
    'POST /__emu/account': (req, res) => (
      emu.setAccount(fields(req) as Partial<EmuAccount>),
      ok(res)
    ),
    'POST /__emu/reset': (_req, res) => (emu.reset(), ok(res)),
    'POST /__emu/release': (_req, res) => json(res, 200, { ok: true, released: emu.release() }),
    'GET /__emu/stats': (_req, res) => {
      const counts: Record<string, number> = {}
      for (const r of s.requests) {
        const route = `${r.method} ${r.path}`
        counts[route] = (counts[route] ?? 0) + 1
      }
      json(res, 200, { stats: s.stats, counts, account: s.account })
    },
    'GET /__emu/requests': (_req, res) => json(res, 200, s.requests),
  }

  const routes: Routes = { ...issuerRoutes(s, () => base, now), ...backendRoutes(s, now) }
  const server = createEmuServer(s, routes, control, now, opts.tls)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  base = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`
  emu.url = base
  emu.issuer = base
  emu.backendUrl = `${base}/backend-api`
  return emu
}

function userCodeOf(body: unknown): string | undefined {
  const code = (body as { user_code?: unknown } | null)?.user_code
  return typeof code === 'string' ? code : undefined
}
