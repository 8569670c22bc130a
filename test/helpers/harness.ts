/**
 * One test world: a fresh emulator, a fresh 0700 state directory, and a CLI bound to both.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEmulator, type Emulator, type EmulatorOptions } from '../emulator/index.js'
import { runCli, type CliRun } from './cli.js'
import { trackSecrets } from './leaks.js'

export interface World {
  emu: Emulator
  home: string
  /** Environment every CLI call of this world gets. */
  env: Record<string, string>
  cli(args: string[], env?: Record<string, string | undefined>): Promise<CliRun>
  /** Device sign-in through the CLI: start, approve, poll. */
  signIn(): Promise<CliRun>
  close(): Promise<void>
}

export function tempDir(prefix = 'cco-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export async function world(
  opts: { emu?: EmulatorOptions; env?: Record<string, string> } = {},
): Promise<World> {
  const emu = await startEmulator(opts.emu)
  trackSecrets(() => emu.secrets())
  const root = tempDir()
  const home = join(root, 'state')
  const env: Record<string, string> = {
    HOME: join(root, 'home'),
    CHATGPT_CODEX_HOME: home,
    CHATGPT_CODEX_ISSUER: emu.issuer,
    CHATGPT_CODEX_BACKEND_URL: emu.backendUrl,
    CHATGPT_CODEX_TIMEOUT_MS: '5000',
    ...opts.env,
  }
  const w: World = {
    emu,
    home,
    env,
    cli: (args, extra = {}) => runCli(args, { ...env, ...extra }),
    async signIn() {
      emu.set({ interval: '0' })
      const s = await w.cli(['start'])
      if (!s.json?.ok) throw new Error(`start failed: ${s.stdout}`)
      emu.approve()
      const p = await w.cli(['poll'])
      if (p.json?.status !== 'connected')
        throw new Error(`poll failed: ${p.stdout} after start: ${s.stdout}`)
      emu.set({ interval: '5' })
      return p
    },
    async close() {
      await emu.close()
      rmSync(root, { recursive: true, force: true })
    },
  }
  return w
}
