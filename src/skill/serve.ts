/**
 * `serve`: runs the loopback gateway in the foreground (for a supervisor), or `--detach`ed in
 * the background, `--stop`s it, or asks the running one for a fresh page link (`--ui-url`).
 * The process handling lives in src/gateway/process.ts; this file picks the mode.
 */
import type { Ctx } from '../context.js'
import { SkillError } from '../result.js'
import { keyPath, loadOrCreateKey } from '../gateway/key.js'
import {
  detachGateway,
  foregroundGateway,
  mintUiUrl,
  runningGateway,
  stopGateway,
} from '../gateway/process.js'

export interface ServeOptions {
  port?: number
  detach?: boolean
  stop?: boolean
  cors_origin?: string
  ui_url?: boolean
}

/**
 * Runs, detaches, stops or links to the gateway, by `opts`.
 * @throws SkillError `invalid_argument` (more than one mode), `gateway_not_running` (`--ui-url`
 *   with no gateway, or a detached gateway that did not start), `internal_error` (no entry
 *   script to re-run), `state_unsafe`, `lock_timeout`.
 * @see docs/design.md#folders
 */
export async function serve(ctx: Ctx, opts: ServeOptions = {}) {
  const modes = [opts.detach, opts.stop, opts.ui_url].filter(Boolean).length
  if (modes > 1)
    throw new SkillError('invalid_argument', 'Use only one of --detach, --stop and --ui-url')
  if (opts.stop) return stopGateway(ctx)
  if (opts.ui_url) {
    const run = await runningGateway(ctx)
    if (!run) throw new SkillError('gateway_not_running', 'No gateway is running')
    return { status: 'running' as const, url: run.url, ui_url: await mintUiUrl(ctx, run.port) }
  }
  if (opts.detach) return detachGateway(ctx, opts)
  return foregroundGateway(ctx, opts)
}

/**
 * `gateway-key`: the local key, raw, for host processes that call the gateway (created on
 * first use). @throws SkillError `state_unsafe`, `state_corrupt`, `lock_timeout`.
 */
export async function gatewayKey(ctx: Ctx) {
  return { key: await loadOrCreateKey(ctx), key_file: keyPath(ctx) }
}

/** Renders `gateway-key` as the bare key (hosts read stdout as the API key). Never throws. */
export const renderKey = (r: Record<string, unknown>) => `${String(r.key)}\n`
