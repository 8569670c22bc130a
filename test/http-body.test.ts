/**
 * The streamed body of `open()` (src/http-body.ts), against a real loopback server: what a read
 * of the socket brought arrives as one piece, a slow reader holds the socket back instead of
 * buffering without bound, leaving early aborts the request, and failures reach the reader.
 */
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { open } from '../src/http.js'

let server: Server | undefined
afterEach(async () => {
  server?.closeAllConnections()
  await new Promise((r) => server?.close(r) ?? r(undefined))
  server = undefined
})

/** A loopback server answering every request with `answer`; resolves with its URL. */
async function serve(answer: (res: ServerResponse) => void): Promise<string> {
  server = createServer((req, res) => {
    req.resume()
    req.on('end', () => answer(res))
  })
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
}

const get = (url: string, signal?: AbortSignal) =>
  open({ method: 'GET', url, timeoutMs: 5_000, idleTimeoutMs: 5_000, signal })

describe('open(): the streamed body', () => {
  it('hands a reader what one read of the socket brought in one piece, and all of it', async () => {
    const url = await serve((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      // Ten chunked-encoding chunks in one go: one socket write, ten HTTP chunks.
      res.cork()
      for (let k = 0; k < 10; k++) res.write(`event: e\ndata: ${k}\n\n`)
      res.uncork()
      setTimeout(() => res.end('event: end\ndata: x\n\n'), 50)
    })
    const r = await get(url)
    expect(r.status).toBe(200)
    const pieces: string[] = []
    for await (const chunk of r.body) pieces.push(String(chunk))
    expect(pieces.join('')).toBe(
      Array.from({ length: 10 }, (_, k) => `event: e\ndata: ${k}\n\n`).join('') +
        'event: end\ndata: x\n\n',
    )
    // Ten HTTP chunks, read together: far fewer pieces than chunks (one per read, plus the end).
    expect(pieces.length).toBeLessThanOrEqual(3)
    expect(r.body.destroyed).toBe(true)
  })

  it('a reader that does not read holds the socket back: the server cannot push it all', async () => {
    const total = 64 * 1024 * 1024
    let written = 0
    const url = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      const block = Buffer.alloc(64 * 1024, 97)
      const more = () => {
        while (written < total) {
          written += block.length
          if (!res.write(block)) return void res.once('drain', more)
        }
        res.end()
      }
      more()
    })
    const r = await get(url)
    // A reader that never paused the socket would have taken all 64 MiB into memory by now.
    await new Promise((resolve) => setTimeout(resolve, 300))
    const parked = written
    expect(parked).toBeLessThan(total / 2)
    let read = 0
    for await (const chunk of r.body) read += chunk.length
    expect(read).toBe(total)
  }, 30_000)

  it('leaving a for-await early aborts the request: the server sees its answer cut', async () => {
    let closedEarly: Promise<boolean> = Promise.resolve(false)
    const url = await serve((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('event: a\ndata: 1\n\n')
      closedEarly = new Promise((resolve) => res.on('close', () => resolve(!res.writableEnded)))
    })
    const r = await get(url)
    let closed = false
    r.body.onClose(() => (closed = true))
    for await (const _ of r.body) break
    expect(closed).toBe(true)
    expect(await closedEarly).toBe(true)
  })

  it('text() reads an error body; resume() drops one; an abort after the headers fails the body', async () => {
    const url = await serve((res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' })
      res.end('{"error":"slow down"}')
    })
    const r = await get(url)
    expect([r.status, r.headers['retry-after']]).toEqual([429, '7'])
    expect(await r.body.text()).toBe('{"error":"slow down"}')
    const again = await get(url)
    again.body.resume()
    await new Promise<void>((resolve) => again.body.onClose(resolve))

    await new Promise<void>((r) => server!.close(() => r()))
    const abort = new AbortController()
    const url2 = await serve((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('event: a\ndata: 1\n\n')
    })
    const s = await get(url2, abort.signal)
    const reading = (async () => {
      for await (const _ of s.body) abort.abort(new Error('client left'))
    })()
    await expect(reading).rejects.toThrow('client left')
  })

  it('an abort before the headers rejects with a coded error, and a cut body throws', async () => {
    const url = await serve(() => {}) // never answers
    const abort = new AbortController()
    const pending = get(url, abort.signal)
    setTimeout(() => abort.abort(), 50)
    await expect(pending).rejects.toMatchObject({ code: 'network_error' })

    await new Promise<void>((r) => server!.close(() => r()))
    const url2 = await serve((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('event: a\ndata: 1\n\n', () => setTimeout(() => res.socket?.destroy(), 20))
    })
    const r = await get(url2)
    await expect(
      (async () => {
        for await (const _ of r.body) void _
      })(),
    ).rejects.toBeTruthy()
  })
})
