/**
 * A real loopback HTTP proxy for tests: npm `proxy` (CONNECT tunnels, basic auth), wrapped to
 * count what passes through it and, on demand, to refuse a tunnel with 403 as a corporate
 * proxy's policy would.
 */
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { createProxy } from 'proxy'

export interface TestProxy {
  /** `http://127.0.0.1:PORT` (no credentials). */
  url: string
  port: number
  /** The target (`host:port`) of every CONNECT received, refused ones too. */
  connects: string[]
  /** Plain (non-CONNECT) proxy requests: absolute URLs. */
  requests: string[]
  /** The Proxy-Authorization header of every CONNECT ('' when absent). */
  auths: string[]
  close(): Promise<void>
}

export interface ProxyOptions {
  /** Only these basic credentials are let through; others get 407. */
  auth?: { user: string; password: string }
  /** Targets (`host:port`) answered with 403 instead of a tunnel. */
  refuse?: (target: string) => boolean
}

export async function startProxy(opts: ProxyOptions = {}): Promise<TestProxy> {
  const server = createProxy(createServer())
  const connects: string[] = []
  const requests: string[] = []
  const auths: string[] = []
  if (opts.auth) {
    const expected = `Basic ${Buffer.from(`${opts.auth.user}:${opts.auth.password}`).toString('base64')}`
    server.authenticate = (req) => req.headers['proxy-authorization'] === expected
  }
  // The package's own CONNECT handler runs after ours has counted (or refused) the tunnel.
  const [tunnel] = server.listeners('connect') as ((...a: unknown[]) => void)[]
  server.removeAllListeners('connect')
  server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const target = req.url ?? ''
    connects.push(target)
    auths.push(String(req.headers['proxy-authorization'] ?? ''))
    if (opts.refuse?.(target)) {
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n')
      return
    }
    tunnel!.call(server, req, socket, head)
  })
  server.prependListener('request', (req: IncomingMessage) => requests.push(req.url ?? ''))
  const sockets = new Set<Socket>()
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connects,
    requests,
    auths,
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}

/** A loopback port with nothing listening (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}
