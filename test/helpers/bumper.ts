/**
 * A child process for the feed tests: bumps the model registry on request, through the project's
 * own `writeRegistry` (the same code a sign-in or logout runs), so the feed sees a change made by
 * another process. Each stdin line "bump" toggles signed-in (two models) / signed-out and prints
 * `{version, at}` where `at` is the wall clock right after the marker was written.
 *
 * Usage: tsx bumper.ts   (environment: CHATGPT_CODEX_HOME or CHATGPT_CODEX_REGISTRY_DIR)
 */
import { createInterface } from 'node:readline'
import { createContext } from '../../src/context.js'
import { writeRegistry, type RegistryModel } from '../../src/host/registry.js'

const ctx = createContext()
const model = (slug: string): RegistryModel => ({
  id: `openai-codex/${slug}`,
  upstreamModel: slug,
  displayName: slug,
  contextWindow: 272000,
  maxOutputTokens: 128000,
  input: ['text'],
  reasoning: true,
})
let n = 0
process.stdout.write('ready\n')
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== 'bump') continue
  n++
  const signedIn = n % 2 === 1
  const r = await writeRegistry(
    ctx,
    signedIn ? 'signed-in' : 'signed-out',
    signedIn ? [model('gpt-5.4'), model(`gpt-5.4-mini`)] : [],
  )
  process.stdout.write(`${JSON.stringify({ version: r.version, at: Date.now() })}\n`)
}
