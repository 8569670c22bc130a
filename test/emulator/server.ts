/**
 * The HTTP plumbing of the emulator: body decoding, recording, fault injection, routing by
 * `METHOD /path`, and the /__emu/* control routes (not recorded, never faulted).
 */
import {
  createServer as createHttp,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import { createServer as createHttps } from 'node:https'
import * as zlib from 'node:zlib'
import type { EmuState, Fault } from './state.js'

/** A request with its body read and decoded. */
export interface Req {
  raw: IncomingMessage
  method: string
  path: string
  query: Record<string, string>
  headers: Record<string, string>
  /** Parsed JSON, a form as a record, the raw text, or null (empty or undecodable). */
  body: unknown
}

export type Handler = (req: Req, res: ServerResponse) => unknown
export type Routes = Record<string, Handler>

/** Sends a JSON body with an exact content-length. */
export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  })
  res.end(text)
}

/** Sends a text (or HTML) body. */
export function text(res: ServerResponse, status: number, body: string, type = 'text/plain'): void {
  res.writeHead(status, {
    'content-type': `${type}; charset=utf-8`,
    'content-length': Buffer.byteLength(body),
  })
  res.end(body)
}

export const isForm = (req: Req): boolean =>
  (req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')
export const isJson = (req: Req): boolean =>
  (req.headers['content-type'] ?? '').includes('application/json')

/** The body as a flat record of fields ({} when it is not an object). */
export const fields = (req: Req): Record<string, unknown> =>
  req.body && typeof req.body === 'object' && !Array.isArray(req.body)
    ? (req.body as Record<string, unknown>)
    : {}

// Node 20 has no zstd; newer Node does. The real CLI zstd-compresses /responses bodies
// (docs/protocol.md#92-http-post-headers).
const zstd = (zlib as unknown as { zstdDecompressSync?: (b: Buffer) => Buffer }).zstdDecompressSync

function decompress(raw: Buffer, encoding: string | undefined): Buffer | null {
  switch ((encoding ?? 'identity').trim().toLowerCase()) {
    case 'identity':
      return raw
    case 'gzip':
      return zlib.gunzipSync(raw)
    case 'deflate':
      return zlib.inflateSync(raw)
    case 'br':
      return zlib.brotliDecompressSync(raw)
    case 'zstd':
      return zstd ? zstd(raw) : null
    default:
      return null
  }
}

function parseBody(raw: Buffer, headers: Record<string, string>): unknown {
  if (raw.length === 0) return null
  let buf: Buffer | null
  try {
    buf = decompress(raw, headers['content-encoding'])
  } catch {
    return null
  }
  if (!buf) return null
  const bodyText = buf.toString('utf8')
  if ((headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(bodyText))
  }
  try {
    return JSON.parse(bodyText)
  } catch {
    return bodyText
  }
}

function applyFault(f: Fault, res: ServerResponse): void {
  switch (f.kind) {
    case undefined: {
      const status = f.status ?? 500
      res.writeHead(status, { 'content-type': 'application/json', ...f.headers })
      res.end(f.body ?? JSON.stringify({ detail: `emulated ${status}` }))
      return
    }
    case 'hang':
      return // accepted and never answered; close() tears the socket down
    case 'reset':
      // A promised length the body never reaches: the client sees the connection die mid-body.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' })
      res.write('{"partial":')
      setTimeout(() => res.destroy(), 5)
      return
    case 'html502':
      return text(
        res,
        502,
        '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>' +
          '<body><center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center></body></html>\n',
        'text/html',
      )
    case 'non-json':
      return text(res, 200, 'upstream said something that is not JSON')
    case 'wrong-shape':
      return json(res, 200, { unexpected: true })
  }
}

/** Takes the fault for `route`, if any, counting down its `times`. */
function takeFault(s: EmuState, route: string): Fault | undefined {
  const f = s.modes.faults[route]
  if (f?.times !== undefined) {
    f.times -= 1
    if (f.times <= 0) delete s.modes.faults[route]
  }
  return f
}

/** Creates (but does not start) the server that records, faults and routes every request. */
export function createEmuServer(
  s: EmuState,
  routes: Routes,
  control: Routes,
  now: () => number,
  tls?: { key: string | Buffer; cert: string | Buffer },
): Server {
  const handle = (raw: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    raw.on('data', (c: Buffer) => chunks.push(c))
    raw.on('end', () => {
      const url = new URL(raw.url ?? '/', 'http://emu')
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(raw.headers)) {
        if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v
      }
      const req: Req = {
        raw,
        method: raw.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers,
        body: parseBody(Buffer.concat(chunks), headers),
      }
      const route = `${req.method} ${req.path}`
      if (req.path.startsWith('/__emu/')) {
        const c = control[route]
        return c ? c(req, res) : json(res, 404, { detail: 'no such control route' })
      }
      const { method, path, query, body } = req
      s.requests.push({ method, path, query, headers, body, at: now() })
      const fault = takeFault(s, route)
      if (fault) return applyFault(fault, res)
      const h = routes[route]
      if (!h) return json(res, 404, { detail: 'Not Found' })
      Promise.resolve()
        .then(() => h(req, res))
        .catch((err: unknown) => {
          if (!res.headersSent) json(res, 500, { detail: `emulator error: ${String(err)}` })
          else res.destroy()
        })
    })
  }
  return tls ? createHttps({ key: tls.key, cert: tls.cert }, handle) : createHttp(handle)
}
