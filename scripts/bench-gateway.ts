/**
 * `npm run bench` gateway rows: the time to first and last byte of a streamed answer, through
 * the gateway, straight to the backend (the loopback emulator, in its own process), and through
 * a bare Node pipe proxy (scripts/bench-gateway-floor.mjs: the price of one more process hop on
 * this machine), over rotating requests; the CPU each process spends per request; then 50
 * concurrent streams through the gateway and its peak RSS.
 *
 * The direct and bare requests carry the exact body and headers the gateway sent upstream (read
 * back from the emulator), so all three ask the backend for the same thing.
 *
 * Options: --pairs N (rounds, default 150, at least 100).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const CLI = join(ROOT, 'dist', 'cli.cjs')
const i = process.argv.indexOf('--pairs')
const rounds = i >= 0 ? Number(process.argv[i + 1]) : 150
if (!Number.isInteger(rounds) || rounds < 100) throw new Error('--pairs must be at least 100')
const GOAL_MS = 0.5

const firstLine = (p: ChildProcess) =>
  new Promise<Record<string, any>>((resolve) =>
    createInterface({ input: p.stdout! }).once('line', (l) => resolve(JSON.parse(l))),
  )

const load0 = loadavg()[0]!
const emuProc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/emulator/main.ts')], {
  stdio: ['pipe', 'pipe', 'inherit'],
})
const emuUrl = String((await firstLine(emuProc)).url)
const UPSTREAM_PATH = '/backend-api/codex/responses'
const floorProc = spawn(
  process.execPath,
  [join(ROOT, 'scripts/bench-gateway-floor.mjs'), `${emuUrl}${UPSTREAM_PATH}`],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
)
const floorPort = Number((await firstLine(floorProc)).port)
const root = mkdtempSync(join(tmpdir(), 'cco-bench-gw-'))
const env = {
  PATH: process.env.PATH ?? '',
  HOME: root,
  CHATGPT_CODEX_HOME: join(root, 'state'),
  CHATGPT_CODEX_ISSUER: emuUrl,
  CHATGPT_CODEX_BACKEND_URL: `${emuUrl}/backend-api`,
}

function cli(args: string[]): Promise<Record<string, any>> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    c.stdout.on('data', (d) => (out += d))
    c.on('close', () => resolve(JSON.parse(out)))
  })
}
const control = (path: string, body: unknown) =>
  fetch(`${emuUrl}/__emu/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

await control('set', { interval: '0' })
await cli(['start'])
await control('approve', {})
const connected = await cli(['poll'])
if (connected.status !== 'connected')
  throw new Error(`sign-in failed: ${JSON.stringify(connected)}`)
const gw = await cli(['serve', '--detach', '--port', '0'])
const key = JSON.parse(readFileSync(gw.key_file, 'utf8')).key as string
const models = (
  await (await fetch(`${gw.url}/models`, { headers: { authorization: `Bearer ${key}` } })).json()
).data
const model = models[0].id as string

const agent = new Agent({ keepAlive: true, maxSockets: 64 })
interface Target {
  name: string
  port: number
  path: string
  headers: Record<string, string>
  body: string
}
const viaGateway: Target = {
  name: 'through the gateway',
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
    const req = request(
      { host: '127.0.0.1', port: t.port, method: 'POST', path: t.path, headers: t.headers, agent },
      (res) => {
        res.on('data', (d) => {
          if (!ttfb) ttfb = performance.now() - t0
          text += d
        })
        res.on('end', () =>
          resolve({
            ttfb,
            ttlb: performance.now() - t0,
            ok: res.statusCode === 200 && text.includes('response.completed'),
          }),
        )
      },
    )
    req.on('error', reject)
    req.end(t.body)
  })
}

// What the gateway sends upstream, replayed as it is by the other two paths.
await once(viaGateway)
const sent = (
  (await (await fetch(`${emuUrl}/__emu/requests`)).json()) as {
    path: string
    headers: Record<string, string>
    body: unknown
  }[]
)
  .filter((r) => r.path === UPSTREAM_PATH)
  .at(-1)!
const upstreamHeaders = Object.fromEntries(
  Object.entries(sent.headers).filter(
    ([k]) => !['host', 'connection', 'content-length', 'transfer-encoding'].includes(k),
  ),
)
const direct: Target = {
  name: 'straight to the backend (emulator)',
  port: Number(new URL(emuUrl).port),
  path: UPSTREAM_PATH,
  headers: upstreamHeaders,
  body: JSON.stringify(sent.body),
}
const floor: Target = {
  name: 'through a bare Node pipe proxy',
  port: floorPort,
  path: '/',
  headers: {
    'content-type': 'application/json',
    'x-upstream-headers': JSON.stringify(upstreamHeaders),
  },
  body: direct.body,
}
const targets = [direct, viaGateway, floor]

/** utime + stime of a process, in ms (clock ticks of 10 ms). */
const cpuMs = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(f[11]) + Number(f[12])) * 10
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

for (let k = 0; k < 20; k++) for (const t of targets) await once(t)
const times = new Map(targets.map((t) => [t, { ttfb: [] as number[], ttlb: [] as number[] }]))
const cpu0 = { gateway: cpuMs(gw.pid), floor: cpuMs(floorProc.pid!) }
let failures = 0
for (let k = 0; k < rounds; k++) {
  // Rotate the order so drift in load hits every path alike.
  for (let j = 0; j < targets.length; j++) {
    const t = targets[(k + j) % targets.length]!
    const r = await once(t)
    if (!r.ok) failures++
    times.get(t)!.ttfb.push(r.ttfb)
    times.get(t)!.ttlb.push(r.ttlb)
  }
}
const cpu = {
  gateway: (cpuMs(gw.pid) - cpu0.gateway) / rounds,
  floor: (cpuMs(floorProc.pid!) - cpu0.floor) / rounds,
}

const f = (x: number) => `${x.toFixed(2)} ms`
const m = (t: Target, k: 'ttfb' | 'ttlb') => median(times.get(t)![k])
console.log(
  `\nGateway: ${rounds} rounds of streamed answers (model ${model}) on each path, rotating; medians; load average ${load0.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}`,
)
console.log('| path | time to first byte | time to last byte | CPU per request |')
console.log('|---|---|---|---|')
console.log(`| ${direct.name} | ${f(m(direct, 'ttfb'))} | ${f(m(direct, 'ttlb'))} | |`)
console.log(
  `| ${viaGateway.name} | ${f(m(viaGateway, 'ttfb'))} | ${f(m(viaGateway, 'ttlb'))} | ${f(cpu.gateway)} |`,
)
console.log(`| ${floor.name} | ${f(m(floor, 'ttfb'))} | ${f(m(floor, 'ttlb'))} | ${f(cpu.floor)} |`)
const adds = m(viaGateway, 'ttfb') - m(direct, 'ttfb')
const floorAdds = m(floor, 'ttfb') - m(direct, 'ttfb')
console.log(`| gateway adds | ${f(adds)} | ${f(m(viaGateway, 'ttlb') - m(direct, 'ttlb'))} | |`)
console.log(
  `| bare proxy adds (the floor) | ${f(floorAdds)} | ${f(m(floor, 'ttlb') - m(direct, 'ttlb'))} | |`,
)
console.log(
  `| gateway over the floor | ${f(adds - floorAdds)} | ${f(m(viaGateway, 'ttlb') - m(floor, 'ttlb'))} | ${f(cpu.gateway - cpu.floor)} |`,
)
console.log(
  `Goal: the gateway adds <= ${GOAL_MS} ms to the median time to first byte: ${adds <= GOAL_MS ? 'met' : 'NOT met'} (${f(adds)}; a bare pipe proxy adds ${f(floorAdds)} here, the gateway ${f(adds - floorAdds)} more).`,
)

const rssBefore = Number(
  /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${gw.pid}/status`, 'utf8'))?.[1] ?? 0,
)
const concurrent = await Promise.all(Array.from({ length: 50 }, () => once(viaGateway)))
const peak = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${gw.pid}/status`, 'utf8'))?.[1] ?? 0)
const complete = concurrent.filter((r) => r.ok).length
console.log(
  `\n50 concurrent streams through the gateway: ${complete}/50 complete; gateway RSS ${(rssBefore / 1024).toFixed(1)} MiB before, peak ${(peak / 1024).toFixed(1)} MiB (VmHWM)`,
)
console.log(`Failed requests in the timed loop: ${failures}`)

await cli(['serve', '--stop'])
agent.destroy()
emuProc.kill('SIGTERM')
floorProc.kill('SIGTERM')
rmSync(root, { recursive: true, force: true })
process.exitCode = failures || complete < 50 ? 1 : 0
