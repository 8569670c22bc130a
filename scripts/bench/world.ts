/**
 * The bench's world: the project's loopback emulator in this process, throwaway state
 * directories, and the environment every measured process gets. Two state directories: one
 * signed in (status, token, models) and one left signed out for the sign-in flow (start, poll).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startEmulator, type Emulator } from '../../test/emulator/index.js'
import { runCold, type Run } from './measure.js'

export const ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)))
export const FAST = join(ROOT, 'dist', 'cli.cjs')

/**
 * Inherited variables every measured process drops. NODE_EXTRA_CA_CERTS makes each Node
 * process parse a CA bundle at start (~150 ms on the machine this was written on), the same
 * for every column; it would hide the differences the bench is for. NODE_OPTIONS could load
 * anything.
 */
export const DROPPED_ENV = ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS'] as const

export interface World {
  emu: Emulator
  root: string
  /** Signed in: status, token (warm), models (cache hit). */
  signedIn: Record<string, string>
  /** Signed out: start and poll. */
  flow: Record<string, string>
  /** Environment for reference commands (codex): a throwaway HOME and CODEX_HOME. */
  plain: Record<string, string>
  /** Runs the fast entry once, untimed (setup); throws unless it printed ok:true. */
  fast(args: string[], env: Record<string, string>): Promise<Record<string, unknown>>
  close(): Promise<void>
}

export async function makeWorld(): Promise<World> {
  const emu = await startEmulator()
  const root = mkdtempSync(join(tmpdir(), 'cco-bench-'))
  const base = (name: string): Record<string, string> => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: join(root, name, 'home'),
    CHATGPT_CODEX_HOME: join(root, name, 'state'),
    CHATGPT_CODEX_ISSUER: emu.issuer,
    CHATGPT_CODEX_BACKEND_URL: emu.backendUrl,
    CHATGPT_CODEX_TIMEOUT_MS: '5000',
  })
  const w: World = {
    emu,
    root,
    signedIn: base('signed-in'),
    flow: base('flow'),
    plain: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: join(root, 'plain', 'home'),
      CODEX_HOME: join(root, 'plain', 'codex'),
    },
    async fast(args, env) {
      const run: Run = await runCold({ argv: [process.execPath, FAST, ...args], env })
      const json = parse(run)
      if (json?.ok !== true)
        throw new Error(`setup: ${args.join(' ')} failed: ${run.stdout}${run.stderr}`)
      return json
    },
    async close() {
      await emu.close()
      rmSync(root, { recursive: true, force: true })
    },
  }
  // No client-side wait between polls in this emulated world (the bench polls fresh logins).
  emu.set({ interval: '0' })
  await w.fast(['start'], w.signedIn)
  emu.approve()
  const polled = await w.fast(['poll'], w.signedIn)
  if (polled.status !== 'connected')
    throw new Error(`setup: sign-in did not connect: ${JSON.stringify(polled.status)}`)
  return w
}

/** The one JSON object a CLI run printed, or undefined. */
export function parse(run: Run): Record<string, unknown> | undefined {
  try {
    return JSON.parse(run.stdout) as Record<string, unknown>
  } catch {
    return undefined
  }
}
