/**
 * The gateway as a process: find the running one (by its record and `/__whoami`), run it in the
 * foreground, spawn it detached, stop it, ask it for a page link. The record itself
 * (`<state>/gateway.json`) is the store's (src/store/gateway-record.ts); `serve` picks the mode.
 */
import { spawn } from 'node:child_process'
import { closeSync, constants, openSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { selfArgv } from '../proc.js'
import type { Ctx } from '../context.js'
import { send } from '../http.js'
import { SkillError } from '../result.js'
import { ensureDir, fsError } from '../store/fsafe.js'
import {
  gatewayPaths,
  recordedGateway,
  removeGatewayRecord,
  writeGatewayRecord,
  type GatewayRecord,
} from '../store/gateway-record.js'
import { keyPath, loadOrCreateKey } from './key.js'
import { processAlive } from '../proc.js'
import { refreshGatewayEntry } from '../host/registry.js'

/** What the process handling needs of `serve`'s options. */
export interface GatewayOptions {
  port?: number
  cors_origin?: string
}

type Running = GatewayRecord
const paths = gatewayPaths

/** The running gateway, if its process is alive and answers as itself. Never throws. */
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

/**
 * Asks the gateway on `port` for a one-time page link.
 * @throws SkillError `gateway_not_running` (it did not answer 200), transport codes.
 */
export async function mintUiUrl(ctx: Ctx, port: number): Promise<string> {
  const key = await loadOrCreateKey(ctx)
  const res = await send({
    method: 'POST',
    url: `http://127.0.0.1:${port}/v1/ui/code`,
    headers: { authorization: `Bearer ${key}` },
    timeoutMs: 5000,
  })
  if (res.status !== 200)
    throw new SkillError(
      'gateway_not_running',
      `The gateway did not mint a page link (HTTP ${res.status})`,
    )
  return String(JSON.parse(res.text).ui_url)
}

/**
 * Runs the gateway in this process, records it and its URL in the registry, and removes both
 * on SIGTERM/SIGINT. @throws SkillError `state_unsafe`, `lock_timeout`, and the gateway's start
 * failures.
 */
export async function foregroundGateway(ctx: Ctx, opts: GatewayOptions) {
  const { startGateway } = await import('../gateway/server.js')
  const gw = await startGateway(ctx, {
    port: opts.port ?? 0,
    corsOrigin: opts.cors_origin,
    log: (line) => process.stderr.write(`${JSON.stringify(line)}\n`),
  })
  const info: Running = {
    pid: process.pid,
    port: gw.port,
    url: gw.url,
    started_at: new Date(ctx.now()).toISOString(),
  }
  await writeGatewayRecord(ctx, info)
  // Hosts reading the registry learn the gateway's URL (and, on shutdown, that it is gone).
  await refreshGatewayEntry(ctx).catch(() => {})
  const shutdown = () => {
    void gw
      .close()
      .then(() => removeGatewayRecord(ctx))
      .then(() => refreshGatewayEntry(ctx))
      .catch(() => {})
      .finally(() => process.exit(0))
  }
  process.once('SIGTERM', shutdown)
  process.once('SIGINT', shutdown)
  // The listening server keeps this process alive after the result is printed.
  return { status: 'running' as const, ...info, key_file: keyPath(ctx) }
}

/**
 * Spawns the gateway detached (log in `<state>/gateway.log`) and waits for its first line; an
 * alive one is reused. @throws SkillError `gateway_not_running` (it did not start),
 * `internal_error` (no entry script), `state_unsafe`.
 */
export async function detachGateway(ctx: Ctx, opts: GatewayOptions) {
  const existing = await runningGateway(ctx)
  if (existing) {
    return {
      status: 'running' as const,
      already_running: true,
      ...existing,
      key_file: keyPath(ctx),
      ui_url: await mintUiUrl(ctx, existing.port),
    }
  }
  const args = ['serve', '--port', String(opts.port ?? 0)]
  if (opts.cors_origin) args.push('--cors-origin', opts.cors_origin)
  const argv = selfArgv(args)
  if (!argv)
    throw new SkillError('internal_error', 'Cannot find the entry script to start the gateway')
  await ensureDir(ctx.config.home)
  // O_NOFOLLOW: a symlinked gateway.log is refused (state_unsafe), never appended through.
  let logFd: number
  try {
    const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW } = constants
    logFd = openSync(paths(ctx).log, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o600)
  } catch (err) {
    throw fsError(err, paths(ctx).log)
  }
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
    throw new SkillError(
      'gateway_not_running',
      `The gateway did not start${started?.error ? `: ${String(started.error)}` : ''}`,
      {
        hint: `See ${paths(ctx).log}.`,
      },
    )
  }
  const { ok: _ok, ...info } = started
  return { ...info, log_file: paths(ctx).log, ui_url: await mintUiUrl(ctx, Number(info.port)) }
}

/**
 * Stops the running gateway (SIGTERM, waits up to 5 s), or removes a stale record.
 * @throws SkillError `state_unsafe` (the stale record could not be removed).
 */
export async function stopGateway(ctx: Ctx) {
  const run = await runningGateway(ctx)
  if (!run) {
    const removed = await removeGatewayRecord(ctx)
    return { status: 'not_running' as const, ...(removed ? { removed_stale_record: true } : {}) }
  }
  process.kill(run.pid, 'SIGTERM')
  for (let i = 0; i < 50 && processAlive(run.pid); i++) await new Promise((r) => setTimeout(r, 100))
  return { status: 'stopped' as const, pid: run.pid, port: run.port }
}
