/**
 * `npm run demo` (scripts/demo.ts) runs the whole journey on the fast entry against the
 * emulator: every step prints its one line, nothing fails, and the gateway it started is gone.
 * Its time goes to test-results/reliability.jsonl (the README's Performance section quotes it).
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { ROOT } from './helpers/cli.js'
import { figure } from './helpers/figures.js'

it('npm run demo: status, start, poll, verify, models, usage, serve, an SDK stream, the page link, stop, logout', async () => {
  const t0 = Date.now()
  const r = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/demo.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, out }))
  })
  const ms = Date.now() - t0
  expect(r.code, r.out).toBe(0)
  const steps = [
    /^ 1\. status +status disconnected/m,
    /^ 2\. start +the agent tells the user: open http:\/\/127\.0\.0\.1:\d+\/codex\/device and enter [A-Z0-9]{4}-[A-Z0-9]{4}/m,
    /^ 4\. poll --pending-id <id> +connected as /m,
    /^ 5\. verify +openai-codex\/\S+ answered "OK"/m,
    /^ 6\. models +\d+ models: openai-codex\//m,
    /^ 7\. usage +plan \w+/m,
    /^ 8\. serve --detach --port 0 +gateway running on http:\/\/127\.0\.0\.1:\d+\/v1/m,
    /^ 9\. \(openai SDK, streamed\) +\S+ streamed "Hello from your ChatGPT plan\." in \d+ chunks/m,
    /^10\. serve --ui-url +the page, one use, 5 minutes: http:\/\/127\.0\.0\.1:\d+\/ui\?code=…/m,
    /^11\. serve --stop +gateway stopped/m,
    /^12\. logout +signed out/m,
    /^13\. status +status disconnected/m,
    /^Done in [\d.]+ s/m,
  ]
  for (const s of steps) expect(r.out).toMatch(s)
  // The page link's one-time code is never printed whole.
  expect(r.out).not.toMatch(/code=[A-Za-z0-9_-]{20}/)
  figure('demo', { ms, inner_s: Number(/Done in ([\d.]+) s/.exec(r.out)?.[1]) })
}, 120_000)
