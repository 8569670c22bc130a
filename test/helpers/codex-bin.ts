/**
 * The real Codex CLI as a test peer (its binary comes from test/clients through
 * `codexBinary()` in test/helpers/clients.ts): makes a throwaway TLS CA + leaf for 127.0.0.1 with the openssl
 * CLI, runs codex with CODEX_HOME and HOME in temp dirs, a timeout on every spawn, every URL
 * pointed at the loopback emulator, and every other destination sent to a trap proxy that
 * records the attempt and refuses it.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'

/** A throwaway CA and a leaf for IP:127.0.0.1, made with the openssl CLI in `dir`. */
export function makeTls(dir: string): { ca: string; key: string; cert: string } {
  mkdirSync(dir, { recursive: true })
  const run = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, timeout: 20_000, encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr || r.error}`)
  }
  writeFileSync(
    join(dir, 'leaf.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n',
  )
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=codex-interop test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ])
  run([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'leaf.key',
    '-out',
    'leaf.csr',
    '-subj',
    '/CN=127.0.0.1',
  ])
  run([
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'leaf.pem',
    '-days',
    '2',
    '-extfile',
    'leaf.ext',
  ])
  return { ca: join(dir, 'ca.pem'), key: join(dir, 'leaf.key'), cert: join(dir, 'leaf.pem') }
}

/** A loopback "proxy" that records the first line of every request and closes it. */
export async function startTrap(): Promise<{
  url: string
  hits: string[]
  close(): Promise<void>
}> {
  const hits: string[] = []
  const server: Server = createServer((s) => {
    s.once('data', (d) => {
      hits.push(d.toString('latin1').split('\r\n')[0] ?? '')
      s.destroy()
    })
    s.on('error', () => {})
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise((r) => server.close(() => r())),
  }
}

/**
 * config.toml for one CODEX_HOME (docs/codex-cli.md#test-recipes): backend and model provider
 * on the emulator over TLS, no websockets, no analytics, no update check.
 */
export function codexConfig(backendUrl: string): string {
  return [
    'model_provider = "emu"',
    `chatgpt_base_url = "${backendUrl}/"`,
    'check_for_update_on_startup = false',
    '[model_providers.emu]',
    'name = "loopback emulator"',
    `base_url = "${backendUrl}/codex"`,
    'wire_api = "responses"',
    'requires_openai_auth = true',
    'supports_websockets = false',
    '[analytics]',
    'enabled = false',
    '',
  ].join('\n')
}

export interface CodexRun {
  code: number | null
  stdout: string
  /** stderr without the harmless temp-dir PATH-alias warning
   * (docs/codex-cli.md#install-and-smoke-runs). */
  stderr: string
  ms: number
}

/** Runs codex once with exactly `env` (plus PATH), killed after `timeoutMs`; `input` goes to stdin. */
export function runCodex(
  bin: string,
  args: string[],
  env: Record<string, string>,
  opts: {
    timeoutMs?: number
    onStdout?: (text: string) => void
    cwd?: string
    input?: string
  } = {},
): Promise<CodexRun> {
  const t0 = Date.now()
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      cwd: opts.cwd ?? env.HOME,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    })
    if (opts.input !== undefined) child.stdin?.end(opts.input)
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d) => {
      stdout += d
      opts.onStdout?.(stdout)
    })
    child.stderr!.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      const clean = stderr
        .split('\n')
        .filter(
          (l) => !l.startsWith('WARNING: proceeding, even though we could not create PATH aliases'),
        )
        .join('\n')
      resolve({ code, stdout, stderr: clean, ms: Date.now() - t0 })
    })
  })
}
