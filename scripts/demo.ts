/**
 * `npm run demo`: the whole journey against the bundled loopback emulator, one line per step, as
 * an agent runs it: status, start, the user approves, poll, verify, models, usage, the gateway
 * (`serve --detach`), one streamed chat completion through it with the official `openai` SDK,
 * the page link, `serve --stop`, logout. Every step is a fresh `node dist/cli.cjs` process (the
 * installed entry; `npm install` builds it). No network beyond 127.0.0.1, no account, nothing
 * outside a temp dir. `--json` also prints each step's whole result.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import OpenAI from 'openai'
import { startEmulator } from '../test/emulator/index.js'

const CLI = fileURLToPath(new URL('../dist/cli.cjs', import.meta.url))
const SHOW_JSON = process.argv.includes('--json')
if (!existsSync(CLI)) {
  console.error('dist/cli.cjs is missing: run `npm install` (or `npm run build`) first.')
  process.exit(1)
}

const t0 = Date.now()
const emu = await startEmulator()
emu.set({ interval: '0', responses: { reply: 'text', text: 'OK', mode: 'ok' } })
const root = mkdtempSync(join(tmpdir(), 'cco-demo-'))
const env = {
  PATH: process.env.PATH ?? '',
  HOME: join(root, 'home'),
  CHATGPT_CODEX_HOME: join(root, 'state'),
  CHATGPT_CODEX_ISSUER: emu.issuer,
  CHATGPT_CODEX_BACKEND_URL: emu.backendUrl,
}

type Json = Record<string, any>
let failed = false
let n = 0
const line = (what: string, said: string, ms: number) =>
  console.log(`${String(++n).padStart(2)}. ${what.padEnd(24)} ${said}  [${ms} ms]`)

/** One CLI call on the fast entry; prints one line, `say(result)`, or the error and its hint. */
async function step(args: string[], say: (j: Json) => string): Promise<Json> {
  const t = Date.now()
  // Asynchronous: a synchronous spawn would block the emulator that lives in this process.
  const out = await new Promise<string>((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env })
    let s = ''
    child.stdout.on('data', (d) => (s += d))
    child.on('close', () => resolve(s))
  })
  let json: Json
  try {
    json = JSON.parse(out) as Json
  } catch {
    json = { ok: false, error: `no JSON on stdout: ${out.slice(0, 200)}`, code: 'demo' }
  }
  const said = json.ok ? say(json) : `FAILED ${json.code}: ${json.error} (${json.hint ?? ''})`
  if (!json.ok) failed = true
  line(args.join(' ').replace(/(--pending-id) \S+/, '$1 <id>'), said, Date.now() - t)
  if (SHOW_JSON) console.log(JSON.stringify(json, null, 2))
  return json
}

console.log(
  `The emulator plays auth.openai.com and chatgpt.com on ${emu.url}; state in ${root}.\n` +
    `Each step runs \`node dist/cli.cjs <step>\`, a fresh process, as an agent would.\n`,
)
try {
  await step(['status'], (j) => `status ${j.status}: ${j.hint ?? ''}`)
  const started = await step(
    ['start'],
    (j) => `the agent tells the user: open ${j.verification_url} and enter ${j.user_code}`,
  )
  const ta = Date.now()
  emu.approve()
  line(
    '(the user)',
    'opens the page, signs in, types the code, approves (emulated)',
    Date.now() - ta,
  )
  await step(
    ['poll', '--pending-id', String(started.pending_id)],
    (j) =>
      `${j.status} as ${j.account?.email} (${j.account?.plan}); the host's picker has its models`,
  )
  await step(['verify'], (j) => `${j.model} answered "${j.output_text}" in ${j.latency_ms} ms`)
  await step(['models'], (j) => {
    const ids = (j.models as Json[]).map((m) => m.id ?? m.slug)
    return `${ids.length} models: ${ids.join(', ')}`
  })
  await step(['usage'], (j) => {
    const w = (j.windows ?? []) as Json[]
    const ws = w.map((x) => `${x.label}: ${x.used_percent}% used`)
    return `plan ${j.plan}${ws.length ? `; ${ws.join('; ')}` : ''}`
  })
  const gw = await step(
    ['serve', '--detach', '--port', '0'],
    (j) => `gateway ${j.status} on ${j.url}`,
  )
  if (gw.ok) {
    const t = Date.now()
    const key = String((JSON.parse(readFileSync(gw.key_file, 'utf8')) as { key: string }).key)
    const client = new OpenAI({ apiKey: key, baseURL: gw.url, maxRetries: 0 })
    emu.set({ responses: { reply: 'text', text: 'Hello from your ChatGPT plan.', mode: 'ok' } })
    const models = await client.models.list()
    const model = models.data[0]?.id ?? 'gpt-5.5'
    const stream = await client.chat.completions.create({
      model,
      stream: true,
      messages: [{ role: 'user', content: 'Say hello.' }],
    })
    let text = ''
    let chunks = 0
    for await (const c of stream) {
      text += c.choices[0]?.delta?.content ?? ''
      chunks++
    }
    line(
      '(openai SDK, streamed)',
      `${model} streamed "${text}" in ${chunks} chunks`,
      Date.now() - t,
    )
    await step(
      ['serve', '--ui-url'],
      (j) => `the page, one use, 5 minutes: ${j.ui_url.replace(/code=.*/, 'code=…')}`,
    )
    await step(['serve', '--stop'], (j) => `gateway ${j.status ?? 'stopped'}`)
  }
  await step(
    ['logout'],
    (j) => `signed out${j.revoked === false ? ' (revocation not confirmed)' : ''}`,
  )
  await step(['status'], (j) => `status ${j.status}`)
} catch (err) {
  failed = true
  console.error(`demo failed: ${(err as Error).message}`)
  // The gateway must not outlive the demo.
  spawn(process.execPath, [CLI, 'serve', '--stop'], { env, stdio: 'ignore' })
} finally {
  await emu.close()
  rmSync(root, { recursive: true, force: true })
}
console.log(
  `\n${failed ? 'FAILED' : 'Done'} in ${((Date.now() - t0) / 1000).toFixed(1)} s; the emulator served ${emu.requests.length} requests.`,
)
process.exitCode = failed ? 1 : 0
