/**
 * `serve`: runs the loopback gateway in the foreground (for a supervisor), or `--detach`ed in
 * the background, `--stop`s it, or asks the running one for a fresh page link (`--ui-url`).
 * The running gateway is described by `<state>/gateway.json` (pid, port), never by its key.
 */
import { spawn } from 'node:child_process'
import { openSync, closeSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { selfArgv } from '../proc.js'
import type { Ctx } from '../context.js'
import { send } from '../http.js'
import { SkillError } from '../result.js'
import { ensureDir } from '../store/fsafe.js'
import { removeFile, writeJson } from '../store/json-file.js'
import { gatewayPaths, recordedGateway, type GatewayRecord } from '../gateway/record.js'
import { keyPath, loadOrCreateKey } from '../gateway/key.js'
import { processAlive } from '../proc.js'
import { refreshGatewayEntry } from '../host/registry.js'

export interface ServeOptions {
  port?: number
  detach?: boolean
  stop?: boolean
  cors_origin?: string
  ui_url?: boolean
}

type Running = GatewayRecord
const paths = gatewayPaths

/** The running gateway, if its process is alive and answers as itself. */
export async function runningGateway(ctx: Ctx): Promise<Running | undefined> {
  const info = await recordedGateway(ctx)
  if (!info) return undefined
  try {
    const key = await loadOrCreateKey(ctx)
    const res = await send({
      method: 'GET',
      url: `http://127.0.0.1:${info.port}/__whoami`,
      headers: { authorization: `Bearer ${key}` },
      timeoutMs: 2000,
    })
    return res.status === 200 && JSON.parse(res.text).pid === info.pid ? info : undefined
  } catch {
    return undefined
  }
}

async function mintUiUrl(ctx: Ctx, port: number): Promise<string> {
  const key = await loadOrCreateKey(ctx)
  const res = await send({
    method: 'POST',
    url: `http://127.0.0.1:${port}/v1/ui/code`,
    headers: { authorization: `Bearer ${key}` },
    timeoutMs: 5000,
  })
  if (res.status !== 200) throw new SkillError('gateway_not_running', `The gateway did not mint a page link (HTTP ${res.status})`)
  return String(JSON.parse(res.text).ui_url)
}

export async function serve(ctx: Ctx, opts: ServeOptions = {}) {
  const modes = [opts.detach, opts.stop, opts.ui_url].filter(Boolean).length
  if (modes > 1) throw new SkillError('invalid_argument', 'Use only one of --detach, --stop and --ui-url')
  if (opts.stop) return stop(ctx)
  if (opts.ui_url) {
    const run = await runningGateway(ctx)
    if (!run) throw new SkillError('gateway_not_running', 'No gateway is running')
    return { status: 'running' as const, url: run.url, ui_url: await mintUiUrl(ctx, run.port) }
  }
  if (opts.detach) return detach(ctx, opts)
  return foreground(ctx, opts)
}

async function foreground(ctx: Ctx, opts: ServeOptions) {
  const { startGateway } = await import('../gateway/server.js')
  const gw = await startGateway(ctx, {
    port: opts.port ?? 0,
    corsOrigin: opts.cors_origin,
    log: (line) => process.stderr.write(`${JSON.stringify(line)}\n`),
  })
  const info: Running = { pid: process.pid, port: gw.port, url: gw.url, started_at: new Date(ctx.now()).toISOString() }
  await ensureDir(ctx.config.home)
  await writeJson(paths(ctx).info, info)
  // Hosts reading the registry learn the gateway's URL (and, on shutdown, that it is gone).
  await refreshGatewayEntry(ctx).catch(() => {})
  const shutdown = () => {
    void gw
      .close()
      .then(() => removeFile(paths(ctx).info))
      .then(() => refreshGatewayEntry(ctx))
      .catch(() => {})
      .finally(() => process.exit(0))
  }
  process.once('SIGTERM', shutdown)
  process.once('SIGINT', shutdown)
  // The listening server keeps this process alive after the result is printed.
  return { status: 'running' as const, ...info, key_file: keyPath(ctx) }
}

async function detach(ctx: Ctx, opts: ServeOptions) {
  const existing = await runningGateway(ctx)
  if (existing) {
    return { status: 'running' as const, already_running: true, ...existing, key_file: keyPath(ctx), ui_url: await mintUiUrl(ctx, existing.port) }
  }
  const args = ['serve', '--port', String(opts.port ?? 0)]
  if (opts.cors_origin) args.push('--cors-origin', opts.cors_origin)
  const argv = selfArgv(args)
  if (!argv) throw new SkillError('internal_error', 'Cannot find the entry script to start the gateway')
  await ensureDir(ctx.config.home)
  const logFd = openSync(paths(ctx).log, 'a', 0o600)
  const child = spawn(process.execPath, argv, {
    detached: true,
    stdio: ['ignore', 'pipe', logFd],
    env: { ...ctx.config.env },
  })
  closeSync(logFd)
  const line = await new Promise<string | undefined>((resolve) => {
    const rl = createInterface({ input: child.stdout! })
    const timer = setTimeout(() => resolve(undefined), 20_000)
    rl.once('line', (l) => (clearTimeout(timer), resolve(l)))
    child.once('exit', () => (clearTimeout(timer), resolve(undefined)))
  })
  child.stdout!.destroy()
  child.unref()
  const started = line ? (JSON.parse(line) as Record<string, unknown>) : undefined
  if (!started?.ok) {
    throw new SkillError('gateway_not_running', `The gateway did not start${started?.error ? `: ${String(started.error)}` : ''}`, {
      hint: `See ${paths(ctx).log}.`,
    })
  }
  const { ok: _ok, ...info } = started
  return { ...info, log_file: paths(ctx).log, ui_url: await mintUiUrl(ctx, Number(info.port)) }
}

async function stop(ctx: Ctx) {
  const run = await runningGateway(ctx)
  if (!run) {
    const removed = await removeFile(paths(ctx).info)
    return { status: 'not_running' as const, ...(removed ? { removed_stale_record: true } : {}) }
  }
  process.kill(run.pid, 'SIGTERM')
  for (let i = 0; i < 50 && processAlive(run.pid); i++) await new Promise((r) => setTimeout(r, 100))
  return { status: 'stopped' as const, pid: run.pid, port: run.port }
}

/** `gateway-key`: the local key, raw, for host processes that call the gateway. */
export async function gatewayKey(ctx: Ctx) {
  return { key: await loadOrCreateKey(ctx), key_file: keyPath(ctx) }
}

/** Renders `gateway-key` as the bare key (hosts read stdout as the API key). */
export const renderKey = (r: Record<string, unknown>) => `${String(r.key)}\n`
