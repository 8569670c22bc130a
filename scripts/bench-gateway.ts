/**
 * `npm run bench` gateway rows: the time to first and last byte of a streamed answer over
 * rotating requests on four paths, each crossing processes the same way a real deployment does:
 * - straight to the backend (the loopback emulator, its own process: one process hop);
 * - through the gateway (its own process, started as `serve` does: two hops);
 * - through a bare node:http pipe proxy with a keep-alive agent (two hops, nothing else: the
 *   issue's floor) and through the same proxy on undici, the gateway's HTTP client
 *   (scripts/bench-gateway-floor.mjs);
 * plus the CPU each process spends per request, a raw loopback round trip between two processes
 * (what one hop costs on this machine before any HTTP), the per-request cost of the gateway's
 * request-body validation, then 50 concurrent streams through the gateway and its peak RSS.
 *
 * The direct and floor requests carry the exact body and headers the gateway sent upstream (read
 * back from the emulator), so every path asks the backend for the same thing. "First byte" is
 * the first byte of the body (the headers arrive in the same packet on every path).
 *
 * The rounds run in blocks (--blocks N, default 5, at least 3); each block gives the gateway's
 * added time to first byte as a multiple of what the floor adds, and its CPU per request as a
 * multiple of the floor's; the run reports the median block of each (issue 20's goals: 1.15x and
 * 1.25x).
 *
 * Options: --pairs N (rounds, default 150, at least 100); --profile DIR (the gateway runs with
 * --cpu-prof and writes its profile there on exit); --from-source (the gateway runs from
 * exports.ts under tsx instead of the bundle, so a profile names functions as in src/);
 * --compare PATH (a second gateway from another build's cli.cjs joins the rotation: an A/B of
 * two builds in one run, which separate runs on a shared machine are too noisy for).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { Agent, request } from 'node:http'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const CLI = join(ROOT, 'dist', 'cli.cjs')
const arg = (name: string) => {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : undefined
}
const rounds = Number(arg('--pairs') ?? 150)
if (!Number.isInteger(rounds) || rounds < 100) throw new Error('--pairs must be at least 100')
const profileDir = arg('--profile')
const fromSource = process.argv.includes('--from-source')
const compareCli = arg('--compare')
const blocks = Number(arg('--blocks') ?? 5)
if (!Number.isInteger(blocks) || blocks < 3) throw new Error('--blocks must be at least 3')
/** Issue 20's goals, as multiples of what a bare node:http pipe proxy adds / spends. */
const GOAL_ADDED = 1.15
const GOAL_CPU = 1.25

const firstLine = (p: ChildProcess) =>
  new Promise<Record<string, any>>((resolve, reject) => {
    createInterface({ input: p.stdout! }).once('line', (l) => resolve(JSON.parse(l)))
    p.once('exit', (code) => reject(new Error(`child exited (${code}) before printing its port`)))
  })
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const load0 = loadavg()[0]!

/** One hop before any HTTP: a 1-byte TCP echo between this process and a child. */
async function loopbackRtt(): Promise<number> {
  const echo = spawn(
    process.execPath,
    [
      '-e',
      "const s=require('net').createServer(c=>{c.setNoDelay(true);c.on('data',d=>c.write(d))});s.listen(0,'127.0.0.1',()=>console.log(JSON.stringify({port:s.address().port})))",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const { port } = await firstLine(echo)
  const sock = connect(Number(port), '127.0.0.1')
  sock.setNoDelay(true)
  await new Promise((r) => sock.once('connect', r))
  const xs: number[] = []
  for (let k = 0; k < 1000; k++) {
    const t0 = performance.now()
    await new Promise((r) => {
      sock.once('data', r)
      sock.write('x')
    })
    xs.push(performance.now() - t0)
  }
  sock.destroy()
  echo.kill('SIGTERM')
  return median(xs.slice(100))
}
const rtt = await loopbackRtt()

const emuProc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/emulator/main.ts')], {
  stdio: ['pipe', 'pipe', 'inherit'],
})
const emuUrl = String((await firstLine(emuProc)).url)
const UPSTREAM_PATH = '/backend-api/codex/responses'
const startFloor = async (client: 'node' | 'undici') => {
  const p = spawn(
    process.execPath,
    [join(ROOT, 'scripts/bench-gateway-floor.mjs'), `${emuUrl}${UPSTREAM_PATH}`, client],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  return { proc: p, port: Number((await firstLine(p)).port) }
}
const floorNode = await startFloor('node')
const floorUndici = await startFloor('undici')
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
// The gateway as `serve --detach` runs it (same entry, log lines to a file), but as our child
// so it can be profiled.
function startGateway(entry: string[]) {
  const logFd = openSync(join(root, 'gateway.log'), 'a', 0o600)
  const p = spawn(
    process.execPath,
    [
      ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
      ...entry,
      'serve',
      '--port',
      '0',
    ],
    { env, stdio: ['ignore', 'pipe', logFd] },
  )
  closeSync(logFd)
  return p
}
const gwProc = startGateway(fromSource ? ['--import', 'tsx', join(ROOT, 'exports.ts')] : [CLI])
const gw = await firstLine(gwProc)
if (!gw.ok) throw new Error(`serve failed: ${JSON.stringify(gw)}`)
const cmpProc = compareCli ? startGateway([compareCli]) : undefined
const cmp = cmpProc ? await firstLine(cmpProc) : undefined
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
const floorTarget = (name: string, port: number): Target => ({
  name,
  port,
  path: '/',
  headers: {
    'content-type': 'application/json',
    'x-upstream-headers': JSON.stringify(upstreamHeaders),
  },
  body: direct.body,
})
const floor = floorTarget('through a bare node:http pipe proxy (the floor)', floorNode.port)
const floorU = floorTarget("through a bare undici proxy (the gateway's client)", floorUndici.port)
const viaCompare: Target | undefined = cmp && {
  ...viaGateway,
  name: `through the gateway built at ${compareCli}`,
  port: cmp.port,
}
const targets = [direct, viaGateway, floor, floorU, ...(viaCompare ? [viaCompare] : [])]
const procs = {
  gateway: gwProc.pid!,
  floor: floorNode.proc.pid!,
  floorU: floorUndici.proc.pid!,
  emulator: emuProc.pid!,
  ...(cmpProc ? { compare: cmpProc.pid! } : {}),
}

/**
 * CPU time a process has run, in ms: the scheduler's own count in nanoseconds
 * (/proc/PID/schedstat), fine enough to time one block of requests, where utime + stime come in
 * 10 ms ticks.
 */
const cpuMs = (pid: number) =>
  Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6

for (let k = 0; k < 30; k++) for (const t of targets) await once(t)
const times = new Map(targets.map((t) => [t, { ttfb: [] as number[], ttlb: [] as number[] }]))
const cpu0 = Object.fromEntries(Object.entries(procs).map(([k, pid]) => [k, cpuMs(pid)]))
let failures = 0
// The rounds run in blocks; each block gives its own ratios (the gateway's added time to first
// byte over the floor's, its CPU per request over the floor's), and the run reports the median
// block, so one noisy block cannot decide. Inside a block the paths alternate request by request.
interface Block {
  addedRatio: number
  cpuRatio: number
  gwAdds: number
  floorAdds: number
  gwCpu: number
  floorCpu: number
}
const blockList: Block[] = []
const perBlock = Math.ceil(rounds / blocks)
for (let b = 0; b < blocks; b++) {
  const bt = new Map(targets.map((t) => [t, [] as number[]]))
  const c0 = { gateway: cpuMs(procs.gateway), floor: cpuMs(procs.floor) }
  for (let k = b * perBlock; k < Math.min(rounds, (b + 1) * perBlock); k++) {
    // Rotate the order so drift in load hits every path alike.
    for (let j = 0; j < targets.length; j++) {
      const t = targets[(k + j) % targets.length]!
      const r = await once(t)
      if (!r.ok) failures++
      times.get(t)!.ttfb.push(r.ttfb)
      times.get(t)!.ttlb.push(r.ttlb)
      bt.get(t)!.push(r.ttfb)
    }
  }
  const n = bt.get(direct)!.length
  const gwAdds = median(bt.get(viaGateway)!) - median(bt.get(direct)!)
  const floorAdds = median(bt.get(floor)!) - median(bt.get(direct)!)
  const gwCpu = (cpuMs(procs.gateway) - c0.gateway) / n
  const floorCpu = (cpuMs(procs.floor) - c0.floor) / n
  blockList.push({
    addedRatio: gwAdds / floorAdds,
    cpuRatio: gwCpu / floorCpu,
    gwAdds,
    floorAdds,
    gwCpu,
    floorCpu,
  })
}
// Each proxy serves one request per round; the emulator serves all four.
const cpu = Object.fromEntries(
  Object.entries(procs).map(([k, pid]) => [
    k,
    (cpuMs(pid) - cpu0[k]!) / rounds / (k === 'emulator' ? targets.length : 1),
  ]),
) as Record<'gateway' | 'floor' | 'floorU' | 'emulator' | 'compare', number>

const f = (x: number) => `${x.toFixed(2)} ms`
const m = (t: Target, k: 'ttfb' | 'ttlb') => median(times.get(t)![k])
const over = (a: Target, b: Target) =>
  `${f(m(a, 'ttfb') - m(b, 'ttfb'))} | ${f(m(a, 'ttlb') - m(b, 'ttlb'))}`
console.log(
  `\nGateway: ${rounds} rounds of streamed answers (model ${model}) on each path, rotating; medians; load average ${load0.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}`,
)
console.log('| path | time to first byte | time to last byte | CPU per request |')
console.log('|---|---|---|---|')
console.log(
  `| ${direct.name} | ${f(m(direct, 'ttfb'))} | ${f(m(direct, 'ttlb'))} | ${f(cpu.emulator)} (emulator) |`,
)
console.log(
  `| ${viaGateway.name} | ${f(m(viaGateway, 'ttfb'))} | ${f(m(viaGateway, 'ttlb'))} | ${f(cpu.gateway)} |`,
)
console.log(`| ${floor.name} | ${f(m(floor, 'ttfb'))} | ${f(m(floor, 'ttlb'))} | ${f(cpu.floor)} |`)
console.log(
  `| ${floorU.name} | ${f(m(floorU, 'ttfb'))} | ${f(m(floorU, 'ttlb'))} | ${f(cpu.floorU)} |`,
)
console.log(`| gateway adds | ${over(viaGateway, direct)} | |`)
console.log(`| the floor adds (node:http) | ${over(floor, direct)} | |`)
console.log(
  `| gateway over the node:http floor | ${over(viaGateway, floor)} | ${f(cpu.gateway - cpu.floor)} |`,
)
console.log(
  `| gateway over the undici floor | ${over(viaGateway, floorU)} | ${f(cpu.gateway - cpu.floorU)} |`,
)
if (viaCompare) {
  console.log(
    `| ${viaCompare.name} | ${f(m(viaCompare, 'ttfb'))} | ${f(m(viaCompare, 'ttlb'))} | ${f(cpu.compare)} |`,
  )
  console.log(
    `| this build over the compared one | ${over(viaGateway, viaCompare)} | ${f(cpu.gateway - cpu.compare)} |`,
  )
}
const adds = m(viaGateway, 'ttfb') - m(direct, 'ttfb')
const floorAdds = m(floor, 'ttfb') - m(direct, 'ttfb')
console.log(
  `Loopback round trip between two processes (1-byte TCP echo, no HTTP): ${f(rtt)} median.`,
)
console.log(
  `Over all rounds: the gateway adds ${f(adds)} to the median time to first byte, a bare node:http pipe proxy ${f(floorAdds)}.`,
)
const x = (v: number) => `${v.toFixed(2)}x`
console.log(
  `\n| block | gateway adds | floor adds | added, x floor | gateway CPU | floor CPU | CPU, x floor |`,
)
console.log('|---|---|---|---|---|---|---|')
blockList.forEach((b, i) =>
  console.log(
    `| ${i + 1} | ${f(b.gwAdds)} | ${f(b.floorAdds)} | ${x(b.addedRatio)} | ${f(b.gwCpu)} | ${f(b.floorCpu)} | ${x(b.cpuRatio)} |`,
  ),
)
const addedRatio = median(blockList.map((b) => b.addedRatio))
const cpuRatio = median(blockList.map((b) => b.cpuRatio))
console.log(
  `Median of ${blocks} blocks: the gateway adds ${x(addedRatio)} what the node:http floor adds to the time to first byte (goal <= ${GOAL_ADDED}x: ${addedRatio <= GOAL_ADDED ? 'met' : 'NOT met'}), and spends ${x(cpuRatio)} the floor's CPU per request (goal <= ${GOAL_CPU}x: ${cpuRatio <= GOAL_CPU ? 'met' : 'NOT met'}).`,
)

// The request-body check (zod/mini, as configured in src/zod.ts) runs on every request; its
// price in this process, warm, for the body above and for a 10-message chat.
const { ChatRequest, ResponsesRequest, checkBody } = await import('../src/gateway/schemas.js')
const chatBody = {
  model,
  stream: true,
  messages: Array.from({ length: 10 }, (_, k) => ({
    role: k === 0 ? 'system' : k % 2 ? 'user' : 'assistant',
    content: `message ${k}`,
  })),
}
const checkCost = (schema: typeof ChatRequest | typeof ResponsesRequest, body: unknown) => {
  for (let k = 0; k < 2000; k++) checkBody(schema, body)
  const t0 = performance.now()
  for (let k = 0; k < 10_000; k++) checkBody(schema, body)
  return ((performance.now() - t0) * 1000) / 10_000
}
console.log(
  `Request-body check per request (warm, in-process): ${checkCost(ResponsesRequest, JSON.parse(viaGateway.body)).toFixed(1)} µs for the body above, ${checkCost(ChatRequest, chatBody).toFixed(1)} µs for a 10-message chat.`,
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

await new Promise((resolve) => {
  gwProc.once('exit', resolve)
  gwProc.kill('SIGTERM') // the gateway's own shutdown (and its CPU profile, with --profile)
})
agent.destroy()
emuProc.kill('SIGTERM')
floorNode.proc.kill('SIGTERM')
floorUndici.proc.kill('SIGTERM')
cmpProc?.kill('SIGTERM')
rmSync(root, { recursive: true, force: true })
process.exitCode = failures || complete < 50 ? 1 : 0
