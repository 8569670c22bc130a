/**
 * A loopback emulator of auth.openai.com and chatgpt.com/backend-api, faithful to
 * ../shared/docs/protocol.md, for tests, the demo and the benchmark. Real HTTP on 127.0.0.1.
 */
import { createServer as createHttp, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createHttps } from 'node:https'
import type { AddressInfo } from 'node:net'
import { backendRoutes } from './backend.js'
import { json, text } from './http-util.js'
import { issuerRoutes } from './issuer.js'
import { EmuState } from './state.js'
import type { EmuAccount, EmuModes, Fault, RecordedRequest, Req, Stats } from './types.js'

export type { EmuAccount, EmuModes, Fault, RecordedRequest, Stats } from './types.js'

export interface EmulatorOptions {
  port?: number
  tls?: { key: string | Buffer; cert: string | Buffer }
  now?: () => number
  accessTtlS?: number
  account?: Partial<EmuAccount>
}

export interface Emulator {
  url: string
  issuer: string
  backendUrl: string
  requests: RecordedRequest[]
  count(route: string): number
  stats: Stats
  secrets(): string[]
  approve(userCode?: string): void
  deny(userCode?: string): void
  setAccount(a: Partial<EmuAccount>): void
  account: EmuAccount
  set(modes: Partial<EmuModes>): void
  modes: EmuModes
  reset(): void
  close(): Promise<void>
}

function parseBody(text: string, headers: Record<string, string>): unknown {
  if (!text) return null
  if (headers['content-encoding']) return null // zstd from the real CLI: not decodable on Node 20
  const type = headers['content-type'] ?? ''
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text))
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

function applyFault(f: Fault, res: ServerResponse): void {
  if (f.kind === undefined) {
    res.writeHead(f.status ?? 500, { 'content-type': 'application/json', ...f.headers })
    res.end(f.body ?? JSON.stringify({ detail: `emulated ${f.status}` }))
    return
  }
  switch (f.kind) {
    case 'hang':
      return // accept and never answer
    case 'reset':
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' })
      res.write('{"partial":')
      setTimeout(() => res.destroy(), 10)
      return
    case 'html502':
      return text(res, 502, '<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>', 'text/html')
    case 'non-json':
      return text(res, 200, 'this is not json')
    case 'wrong-shape':
      return json(res, 200, { unexpected: true })
  }
}

/** Starts the emulator on 127.0.0.1 (a free port unless `port` is given). */
export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const now = opts.now ?? Date.now
  const s = new EmuState(opts.account, opts.accessTtlS ?? 3600)
  let base = ''
  const routes: Record<string, (req: Req, res: ServerResponse) => unknown> = {
    ...issuerRoutes(s, () => base, now),
    ...backendRoutes(s, now),
  }

  const emu: Emulator = {
    url: '',
    issuer: '',
    backendUrl: '',
    requests: s.requests,
    count: (route) => s.count(route),
    stats: s.stats,
    secrets: () => [...s.minted],
    approve(userCode) {
      const d = userCode ? s.devices.find((x) => x.user_code === userCode) : s.devices.at(-1)
      if (d && d.status === 'pending') d.status = 'approved'
    },
    deny(userCode) {
      const d = userCode ? s.devices.find((x) => x.user_code === userCode) : s.devices.at(-1)
      if (d) d.status = 'denied'
    },
    setAccount(a) {
      s.account = { ...s.account, ...a }
      emu.account = s.account
    },
    account: s.account,
    set(modes) {
      Object.assign(s.modes, modes)
    },
    modes: s.modes,
    reset() {
      s.requests.length = 0
      Object.assign(s.stats, { refreshes: 0, reuse: 0, revoked: 0, exchanges: 0, aborted: 0 })
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }

  const control: Record<string, (body: Record<string, unknown>, res: ServerResponse) => void> = {
    'POST /__emu/approve': (b, res) => (emu.approve(b.user_code as string | undefined), json(res, 200, {})),
    'POST /__emu/deny': (b, res) => (emu.deny(b.user_code as string | undefined), json(res, 200, {})),
    'POST /__emu/set': (b, res) => (emu.set(b as Partial<EmuModes>), json(res, 200, {})),
    'POST /__emu/account': (b, res) => (emu.setAccount(b as Partial<EmuAccount>), json(res, 200, {})),
    'POST /__emu/reset': (_b, res) => (emu.reset(), json(res, 200, {})),
    'GET /__emu/stats': (_b, res) => {
      const counts: Record<string, number> = {}
      for (const r of s.requests) counts[`${r.method} ${r.path}`] = (counts[`${r.method} ${r.path}`] ?? 0) + 1
      json(res, 200, { stats: s.stats, counts })
    },
    'GET /__emu/requests': (_b, res) => json(res, 200, s.requests),
  }

  const handle = (raw: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    raw.on('data', (c: Buffer) => chunks.push(c))
    raw.on('end', () => {
      const url = new URL(raw.url ?? '/', 'http://emu')
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(raw.headers)) if (typeof v === 'string') headers[k] = v
      const bodyText = Buffer.concat(chunks).toString('utf8')
      const req: Req = {
        raw,
        method: raw.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers,
        text: bodyText,
        body: parseBody(bodyText, headers),
      }
      const route = `${req.method} ${req.path}`
      if (req.path.startsWith('/__emu/')) {
        const c = control[route]
        return c ? c((req.body ?? {}) as Record<string, unknown>, res) : json(res, 404, { detail: 'no such control' })
      }
      s.requests.push({ method: req.method, path: req.path, query: req.query, headers, body: req.body, at: now() })
      const fault = s.modes.faults[route]
      if (fault) {
        if (fault.times !== undefined && --fault.times <= 0) delete s.modes.faults[route]
        return applyFault(fault, res)
      }
      const h = routes[route]
      if (!h) return json(res, 404, { detail: 'Not Found' })
      Promise.resolve(h(req, res)).catch((err) => {
        if (!res.headersSent) json(res, 500, { detail: String(err) })
        else res.destroy()
      })
    })
  }

  const server = opts.tls ? createHttps({ key: opts.tls.key, cert: opts.tls.cert }, handle) : createHttp(handle)
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  base = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`
  emu.url = base
  emu.issuer = base
  emu.backendUrl = `${base}/backend-api`
  return emu
}
