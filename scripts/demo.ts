/**
 * `npm run demo`: the whole sign-in against the bundled loopback emulator, step by step, as an
 * agent would run it. No network beyond 127.0.0.1, no account, nothing outside a temp dir.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startEmulator } from '../test/emulator/index.js'

const exportsTs = fileURLToPath(new URL('../exports.ts', import.meta.url))
const emu = await startEmulator()
emu.set({ interval: '0' })
const root = mkdtempSync(join(tmpdir(), 'cco-demo-'))
const env = {
  PATH: process.env.PATH ?? '',
  HOME: join(root, 'home'),
  CHATGPT_CODEX_HOME: join(root, 'state'),
  CHATGPT_CODEX_ISSUER: emu.issuer,
  CHATGPT_CODEX_BACKEND_URL: emu.backendUrl,
}

let failed = false
async function step(title: string, args: string[]): Promise<Record<string, unknown>> {
  // Asynchronous: a synchronous spawn would block the emulator that lives in this process.
  const out = await new Promise<string>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', exportsTs, ...args], { env })
    let s = ''
    child.stdout.on('data', (d) => (s += d))
    child.on('close', () => resolve(s))
  })
  const json = JSON.parse(out) as Record<string, unknown>
  console.log(`\n$ npx tsx exports.ts ${args.join(' ')}    # ${title}`)
  console.log(JSON.stringify(json, null, 2))
  if (json.ok !== true && title !== 'expected: still pending') failed = true
  return json
}

console.log(`Emulator (auth.openai.com + chatgpt.com/backend-api) on ${emu.url}; state in ${root}`)
await step('not signed in yet', ['status'])
const started = await step('the agent shows the URL and code to the user', ['start'])
await step('expected: still pending', ['poll', '--pending-id', String(started.pending_id)])
console.log(
  '\n(the user opens the page, types the code and approves: the emulator approves it now)',
)
emu.approve()
await step('the user said they approved', ['poll', '--pending-id', String(started.pending_id)])
await step('connected', ['status'])
await step('rotate the tokens', ['refresh'])
await step('sign out', ['logout'])
await step('signed out', ['status'])
console.log(
  `\nRequests the emulator served: ${emu.requests.map((r) => `${r.method} ${r.path}`).join(', ')}`,
)
await emu.close()
rmSync(root, { recursive: true, force: true })
process.exitCode = failed ? 1 : 0
