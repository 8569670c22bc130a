/**
 * Helpers for the browser sign-in tests: free loopback ports, port blockers, the pending file,
 * process liveness, and a browser-like GET that records what it saw.
 */
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { processAlive } from '../../src/proc.js'
import { record } from './leaks.js'

/** `n` distinct ports that were free a moment ago (bound to 0, then released). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = []
  for (let i = 0; i < n; i++) {
    const s = createServer()
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
    servers.push(s)
  }
  const ports = servers.map((s) => (s.address() as AddressInfo).port)
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  return ports
}

/** Holds a port with a server of our own (answers 200 "occupied", records the paths it got). */
export async function occupy(port: number): Promise<{ hits: string[]; close(): Promise<void> }> {
  const hits: string[] = []
  const s = createServer((req, res) => {
    hits.push(req.url ?? '')
    res.end('occupied')
  })
  await new Promise<void>((r) => s.listen(port, '127.0.0.1', r))
  return {
    hits,
    close: () =>
      new Promise<void>((r) => {
        s.closeAllConnections()
        s.close(() => r())
      }),
  }
}

export function readPendingFile(home: string): Record<string, any> | undefined {
  try {
    return JSON.parse(readFileSync(join(home, 'pending.json'), 'utf8'))
  } catch {
    return undefined
  }
}

/** Running and not a zombie (see src/proc.ts). */
export const alive = processAlive

/** Polls `cond` every 20 ms until true; returns the milliseconds it took, or throws after `ms`. */
export async function waitFor(cond: () => boolean, ms = 5_000): Promise<number> {
  const t0 = Date.now()
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`condition not met within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
  return Date.now() - t0
}

export interface Page {
  status: number
  headers: Headers
  body: string
  location: string | null
}

/** One GET as a browser would send it, without following redirects. The body is recorded. */
export async function browserGet(url: string): Promise<Page> {
  const res = await fetch(url, { redirect: 'manual', headers: { accept: 'text/html' } })
  const body = await res.text()
  record(body)
  return { status: res.status, headers: res.headers, body, location: res.headers.get('location') }
}
