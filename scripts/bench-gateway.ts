/**
 * `npm run bench` gateway rows: the time to first and last byte of a streamed answer, through
 * the gateway and straight to the backend (the loopback emulator, in its own process), over
 * alternating requests; then 50 concurrent streams through the gateway and its peak RSS.
 *
 * Options: --pairs N (default 150, at least 100).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const CLI = join(ROOT, 'dist', 'cli.cjs')
const i = process.argv.indexOf('--pairs')
const pairs = i >= 0 ? Number(process.argv[i + 1]) : 150
if (!Number.isInteger(pairs) || pairs < 100) throw new Error('--pairs must be at least 100')

const emuProc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/emulator/main.ts')], { stdio: ['pipe', 'pipe', 'inherit'] })
const emuUrl: string = JSON.parse(await new Promise<string>((r) => createInterface({ input: emuProc.stdout! }).once('line', r))).url
const root = mkdtempSync(join(tmpdir(), 'cco-bench-gw-'))
const env = { PATH: process.env.PATH ?? '', HOME: root, CHATGPT_CODEX_HOME: join(root, 'state'), CHATGPT_CODEX_ISSUER: emuUrl, CHATGPT_CODEX_BACKEND_URL: `${emuUrl}/backend-api` }

function cli(args: string[]): Promise<Record<string, any>> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    c.stdout.on('data', (d) => (out += d))
    c.on('close', () => resolve(JSON.parse(out)))
  })
}
const control = (path: string, body: unknown) => fetch(`${emuUrl}/__emu/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

await control('set', { interval: '0' })
await cli(['start'])
await control('approve', {})
const connected = await cli(['poll'])
if (connected.status !== 'connected') throw new Error(`sign-in failed: ${JSON.stringify(connected)}`)
const gw = await cli(['serve', '--detach', '--port', '0'])
const key = JSON.parse(readFileSync(gw.key_file, 'utf8')).key as string
const creds = JSON.parse(readFileSync(join(env.CHATGPT_CODEX_HOME, 'credentials.json'), 'utf8'))
const models = (await (await fetch(`${gw.url}/models`, { headers: { authorization: `Bearer ${key}` } })).json()).data
const model = models[0].id as string

const agent = new Agent({ keepAlive: true, maxSockets: 64 })
interface Target { port: number; path: string; headers: Record<string, string>; body: string }
const direct: Target = {
  port: Number(new URL(emuUrl).port),
  path: '/backend-api/codex/responses',
  headers: { authorization: `Bearer ${creds.tokens.access_token}`, 'chatgpt-account-id': creds.tokens.account_id, accept: 'text/event-stream', 'content-type': 'application/json', originator: 'codex_cli_rs' },
  body: JSON.stringify({ model, instructions: 'x', input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hi' }] }], store: false, stream: true, include: ['reasoning.encrypted_content'] }),
}
const viaGateway: Target = {
  port: gw.port,
  path: '/v1/responses',
  headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
  body: JSON.stringify({ model, input: 'Hi', stream: true }),
}

function once(t: Target): Promise<{ ttfb: number; ttlb: number; ok: boolean }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    let ttfb = 0
    let text = ''
    const req = request({ host: '127.0.0.1', port: t.port, method: 'POST', path: t.path, headers: t.headers, agent }, (res) => {
      res.on('data', (d) => {
        if (!ttfb) ttfb = performance.now() - t0
        text += d
      })
      res.on('end', () => resolve({ ttfb, ttlb: performance.now() - t0, ok: res.statusCode === 200 && text.includes('response.completed') }))
    })
    req.on('error', reject)
    req.end(t.body)
  })
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}
for (let k = 0; k < 20; k++) await Promise.all([once(direct), once(viaGateway)]).catch(() => {})
const d = { ttfb: [] as number[], ttlb: [] as number[] }
const g = { ttfb: [] as number[], ttlb: [] as number[] }
let failures = 0
for (let k = 0; k < pairs; k++) {
  const order = k % 2 ? [direct, viaGateway] : [viaGateway, direct]
  for (const t of order) {
    const r = await once(t)
    if (!r.ok) failures++
    const bucket = t === direct ? d : g
    bucket.ttfb.push(r.ttfb)
    bucket.ttlb.push(r.ttlb)
  }
}
const f = (x: number) => `${x.toFixed(2)} ms`
console.log(`\nGateway: ${pairs} alternating pairs of streamed answers (model ${model}), medians`)
console.log('| path | time to first byte | time to last byte |')
console.log('|---|---|---|')
console.log(`| straight to the backend (emulator) | ${f(median(d.ttfb))} | ${f(median(d.ttlb))} |`)
console.log(`| through the gateway | ${f(median(g.ttfb))} | ${f(median(g.ttlb))} |`)
console.log(`| gateway adds | ${f(median(g.ttfb) - median(d.ttfb))} | ${f(median(g.ttlb) - median(d.ttlb))} |`)

const rssBefore = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${gw.pid}/status`, 'utf8'))?.[1] ?? 0)
const concurrent = await Promise.all(Array.from({ length: 50 }, () => once(viaGateway)))
const peak = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${gw.pid}/status`, 'utf8'))?.[1] ?? 0)
console.log(`\n50 concurrent streams through the gateway: ${concurrent.filter((r) => r.ok).length}/50 complete; gateway RSS ${(rssBefore / 1024).toFixed(1)} MiB before, peak ${(peak / 1024).toFixed(1)} MiB (VmHWM)`)
console.log(`Failed requests in the timed loop: ${failures}`)

await cli(['serve', '--stop'])
agent.destroy()
emuProc.kill('SIGTERM')
rmSync(root, { recursive: true, force: true })
process.exitCode = failures ? 1 : 0
