/**
 * Issue 16, "never down": a generated corpus of malformed requests, sent over raw sockets to
 * both loopback servers (the `serve` gateway and the browser sign-in's listener, real
 * processes). Each must be answered with an HTTP status (or refused by node's HTTP parser with
 * its own 400), and after each batch the server must still serve a normal request.
 */
import { connect } from 'node:net'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alive, freePorts, readPendingFile } from './helpers/browser.js'
import { figure } from './helpers/figures.js'
import { world, type World } from './helpers/harness.js'
import { leakScan, record, trackSecrets } from './helpers/leaks.js'

let w: World
let gw: Record<string, any>
let key = ''
let listenerPort = 0
let listenerPid = 0

beforeAll(async () => {
  const ports = await freePorts(2)
  w = await world({ env: { CHATGPT_CODEX_CALLBACK_PORTS: ports.join(',') } })
  await w.signIn()
  const s = await w.cli(['serve', '--detach', '--port', '0'])
  expect(s.json).toMatchObject({ ok: true, status: 'running' })
  gw = s.json
  key = JSON.parse(readFileSync(gw.key_file, 'utf8')).key
  trackSecrets(() => [key])
  const b = await w.cli(['start', '--method', 'browser', '--force'])
  expect(b.json?.ok, b.stdout).toBe(true)
  const p = readPendingFile(w.home)!
  listenerPid = p.listener?.pid
  listenerPort = p.listener?.port ?? ports[0]
  expect(alive(listenerPid)).toBe(true)
})

afterAll(async () => {
  await w.cli(['serve', '--stop'])
  if (listenerPid && alive(listenerPid)) process.kill(listenerPid, 'SIGKILL')
  await w.close()
})

/**
 * Writes `bytes` and collects what comes back until the server closes (or 4 s). No half-close:
 * node's server ends a half-closed socket that has no answer queued yet, which would hide an
 * async handler's answer.
 */
export function raw(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1')
    let text = ''
    const done = () => {
      clearTimeout(timer)
      sock.destroy()
      resolve(text)
    }
    const timer = setTimeout(done, 4_000)
    sock.on('data', (d) => (text += d.toString('latin1')))
    sock.on('close', done)
    sock.on('error', done)
    sock.write(bytes)
  })
}

/** The generated corpus for one server: request lines, targets, headers, framing, versions. */
function corpus(port: number, auth: string): string[] {
  const host = `Host: 127.0.0.1:${port}\r\n`
  const end = 'Connection: close\r\n\r\n'
  const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE']
  const odd = ['G ET', 'get', 'FOO', '', '\x00GET', 'GET\t', 'G\x7fT', 'X'.repeat(5000), 'CONNECT']
  const targets = [
    '/',
    '//',
    '///',
    '//:99999/',
    '//a%20b/',
    '//evil.example.com/x',
    '///etc/passwd',
    'http://evil.example.com/',
    `http://127.0.0.1:${port}/v1/models`,
    'http://[::1/',
    'evil.example.com:443',
    '127.0.0.1:1',
    '*',
    '/%',
    '/%zz',
    '/%00',
    '/%ff%fe%fd',
    '/?%',
    '/v1/models?%',
    '/v1/models#frag',
    '/../../../etc/passwd',
    '/v1/%2e%2e/%2e%2e/',
    '/%2F%2F',
    `/${'a'.repeat(10_000)}`,
    `/?q=${'%'.repeat(3000)}`,
    '/a b',
    '/\x00',
    '/\x01\x02',
    '/\x7f',
    '/\u00e9',
    '\\\\evil',
    '/\\\\evil',
    '?x',
    '#x',
    '',
    'javascript:alert(1)',
    'file:///etc',
    '/auth/callback?state=wrong&code=%zz',
    '/__whoami/..//',
    '/v1/chat/completions?a=%E0%A4%A',
  ]
  const out: string[] = []
  for (const m of [...methods, ...odd]) {
    for (const t of ['/', '//', '/%zz', '*', 'http://evil.example.com/']) {
      out.push(`${m} ${t} HTTP/1.1\r\n${host}${auth}${end}`)
    }
  }
  for (const t of targets) {
    for (const a of [auth, '']) out.push(`GET ${t} HTTP/1.1\r\n${host}${a}${end}`)
    out.push(`POST ${t} HTTP/1.1\r\n${host}${auth}Content-Length: 2\r\n${end}{}`)
  }
  const headerForms = [
    '', // no Host at all
    'Host: \r\n',
    'Host: evil.example.com\r\n',
    `${host}${host}`,
    `${host}Host: evil.example.com\r\n`,
    `Host: 127.0.0.1:${port}\x00\r\n`,
    `Host: 127.0.0.1:${port}\r\nX-A: ${'a'.repeat(20_000)}\r\n`,
    `${host}${Array.from({ length: 300 }, (_, i) => `X-${i}: ${i}\r\n`).join('')}`,
    `${host}Bad Header: x\r\n`,
    `${host}NoColon\r\n`,
    `${host}X-Fold: a\r\n  folded\r\n`,
    `${host}X-Ctl: a\x01b\r\n`,
    `${host}X-Utf: \u00e9\u00e8\r\n`,
    `${host}Authorization: Bearer \r\n`,
    `${host}Authorization: Bearer ${'k'.repeat(9000)}\r\n`,
    `${host}Authorization: Basic Zm9vOmJhcg==\r\n`,
    `${host}Cookie: ${'c=1; '.repeat(2000)}\r\n`,
    `${host}Origin: http://evil.example.com\r\n`,
    `${host}Content-Length: 5\r\nContent-Length: 7\r\n`,
    `${host}Content-Length: -1\r\n`,
    `${host}Content-Length: 1e3\r\n`,
    `${host}Content-Length: 99999999999999999999\r\n`,
    `${host}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n`,
    `${host}Transfer-Encoding: chunked, identity\r\n`,
    `${host}Transfer-Encoding: xchunked\r\n`,
    `${host}Transfer-Encoding : chunked\r\n`,
    `${host}Expect: 100-continue\r\n`,
    `${host}Upgrade: websocket\r\nConnection: Upgrade\r\n`,
  ]
  for (const h of headerForms) {
    out.push(`GET /v1/models HTTP/1.1\r\n${h}${auth}${end}`)
    out.push(`POST /v1/chat/completions HTTP/1.1\r\n${h}${auth}${end}{}`)
  }
  const chunked = `POST /v1/chat/completions HTTP/1.1\r\n${host}${auth}Transfer-Encoding: chunked\r\n${end}`
  for (const body of [
    'zz\r\n{}\r\n0\r\n\r\n',
    '2\r\n{}0\r\n\r\n',
    '-1\r\n\r\n',
    'fffffffffffffffffff\r\n{}\r\n', // a size past 64 bits: the parser's 400
    '2;ext="\x00"\r\n{}\r\n0\r\n\r\n',
    '2\n{}\n0\n\n',
    '0\r\nX-Trailer: \x01\r\n\r\n',
    '2\r\n{}\r\n0\r\n\r\n0\r\n\r\n',
    '\r\n\r\n0\r\n\r\n',
  ]) {
    out.push(chunked + body)
  }
  for (const line of [
    'GET /\r\n\r\n',
    'GET /\r\n',
    'GET / HTTP/0.9\r\n',
    'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
    'GET / HTTP/2.0\r\n',
    'GET / HTTP/1.2\r\n',
    'GET / HTTP/9.9\r\n',
    'GET / http/1.1\r\n',
    'GET / HTTP/1.1 extra\r\n',
    'GET  /  HTTP/1.1\r\n',
    'GET / HTTP/1.1\n',
    '\r\n\r\nGET / HTTP/1.1\r\n',
    '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n', // a TLS ClientHello's first bytes
  ]) {
    out.push(line.endsWith('\r\n\r\n') ? line : `${line}${host}${auth}${end}`)
  }
  return out
}

/** Answered: an HTTP status line came back (node's parser answers its refusals with a 400). */
const STATUS = /^HTTP\/1\.[01] (\d{3}) /

async function batches(port: number, auth: string, healthy: () => Promise<boolean>) {
  const reqs = corpus(port, auth)
  const statuses = new Map<number, number>()
  const unanswered: string[] = []
  for (let i = 0; i < reqs.length; i += 25) {
    const batch = reqs.slice(i, i + 25)
    const answers = await Promise.all(batch.map((r) => raw(port, r)))
    answers.forEach((a, j) => {
      const m = STATUS.exec(a)
      if (!m)
        unanswered.push(
          JSON.stringify(batch[j]!.slice(0, 40) + batch[j]!.slice(-60)) +
            JSON.stringify(a.slice(0, 200)),
        )
      else statuses.set(Number(m[1]), (statuses.get(Number(m[1])) ?? 0) + 1)
      record(a)
    })
    expect(await healthy(), `still serving after batch ${i / 25}`).toBe(true)
  }
  return { sent: reqs.length, statuses, unanswered }
}

describe('no request ends a server (issue 16)', () => {
  it('the gateway answers every request of the corpus and keeps serving', async () => {
    const healthy = async () =>
      (await fetch(`${gw.url}/models`, { headers: { authorization: `Bearer ${key}` } })).status ===
      200
    const auth = `Authorization: Bearer ${key}\r\n`
    const r = await batches(gw.port, auth, healthy)
    expect(r.unanswered).toEqual([])
    expect(r.statuses.has(500)).toBe(false)
    expect(alive(gw.pid)).toBe(true)
    figure('never_down', { server: 'gateway', requests: r.sent, unanswered: 0, crashes: 0 })
  })

  it('the sign-in listener answers every request of the corpus and keeps waiting', async () => {
    const healthy = async () =>
      (await fetch(`http://127.0.0.1:${listenerPort}/__whoami`)).status === 200
    const r = await batches(listenerPort, '', healthy)
    expect(r.unanswered).toEqual([])
    expect(r.statuses.has(500)).toBe(false)
    expect(alive(listenerPid)).toBe(true)
    expect(readPendingFile(w.home)?.outcome ?? undefined).toBeUndefined()
    figure('never_down', { server: 'listener', requests: r.sent, unanswered: 0, crashes: 0 })
  })
})

leakScan(import.meta.url)
