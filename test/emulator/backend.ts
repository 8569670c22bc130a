/** chatgpt.com/backend-api as the Codex CLI uses it (protocol.md §7–§9). */
import type { ServerResponse } from 'node:http'
import { json } from './http-util.js'
import { streamResponse } from './responses.js'
import type { EmuState } from './state.js'
import type { EmuAccount, Req } from './types.js'

export function backendRoutes(s: EmuState, now: () => number) {
  /** The account behind a valid bearer token whose chatgpt-account-id matches, or null. */
  function authed(req: Req, res: ServerResponse): EmuAccount | null {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    const rec = token ? s.access.get(token) : undefined
    if (!rec || rec.exp <= now() || req.headers['chatgpt-account-id'] !== rec.account.account_id) {
      json(res, 401, { detail: 'Unauthorized' })
      return null
    }
    return rec.account
  }

  const resetAt = (secondsAhead: number) => Math.floor(now() / 1000) + secondsAhead

  return {
    'GET /backend-api/codex/models'(req: Req, res: ServerResponse) {
      if (!authed(req, res)) return
      json(res, 200, { models: s.modes.models }, { etag: `"emu-${s.modes.models.length}"` })
    },
    'GET /backend-api/wham/usage'(req: Req, res: ServerResponse) {
      const a = authed(req, res)
      if (!a) return
      json(res, 200, {
        plan_type: a.plan,
        rate_limit: {
          allowed: true,
          limit_reached: false,
          primary_window: { used_percent: 12, limit_window_seconds: 18000, reset_after_seconds: 3600, reset_at: resetAt(3600) },
          secondary_window: { used_percent: 40, limit_window_seconds: 604800, reset_after_seconds: 86400, reset_at: resetAt(86400) },
        },
        credits: { has_credits: false, unlimited: false, balance: '0' },
      })
    },
    'GET /backend-api/wham/accounts/check'(req: Req, res: ServerResponse) {
      const a = authed(req, res)
      if (!a) return
      json(res, 200, {
        accounts: [{ id: a.account_id, plan_type: a.plan, structure: 'personal', workspace_backend_origin: 'NO_CONSTRAINT', account_routing_override: 'NO_CONSTRAINT' }],
        account_ordering: [a.account_id],
        default_account_id: a.account_id,
      })
    },
    'GET /backend-api/codex/responses'(_req: Req, res: ServerResponse) {
      // 0.169.0 tries a WebSocket first; a non-101 answer makes it fall back to HTTP POST.
      json(res, 426, { detail: 'Upgrade Required' })
    },
    'POST /backend-api/codex/responses'(req: Req, res: ServerResponse) {
      if (!authed(req, res)) return
      return streamResponse(s, req, res, now)
    },
  }
}
