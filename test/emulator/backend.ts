/** chatgpt.com/backend-api as the Codex CLI uses it (docs/protocol.md#7-models-list-endpoint to
 * docs/protocol.md#9-responses-endpoint-with-chatgpt-auth). */
import { createHash } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { streamResponse } from './responses.js'
import { json, type Req, type Routes } from './server.js'
import type { EmuAccount, EmuState, UsageWindowMode } from './state.js'

/** The catalog's ETag: a content hash, so any edit of `modes.models` changes it. */
export const modelsEtag = (models: unknown): string =>
  `"${createHash('sha256').update(JSON.stringify(models)).digest('hex').slice(0, 16)}"`

/** The backend's routes, all behind a live bearer token of the named account. */
export function backendRoutes(s: EmuState, now: () => number): Routes {
  /** The account behind a known, unexpired, unrevoked token that matches chatgpt-account-id. */
  function authed(req: Req, res: ServerResponse): EmuAccount | null {
    const token = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '')?.[1]
    const rec = token ? s.access.get(token) : undefined
    const ok =
      rec !== undefined &&
      !rec.lineage.revoked &&
      rec.exp > now() &&
      req.headers['chatgpt-account-id'] === rec.account.account_id
    if (!ok) json(res, 401, { detail: 'Unauthorized' })
    return ok ? rec.account : null
  }

  const inSeconds = (secs: number) => Math.floor(now() / 1000) + secs
  const window = (w: UsageWindowMode) => ({
    used_percent: w.used_percent,
    limit_window_seconds: w.window_minutes * 60,
    reset_after_seconds: w.reset_after_s,
    reset_at: inSeconds(w.reset_after_s),
  })

  return {
    'GET /backend-api/codex/models'(req, res) {
      if (!authed(req, res)) return
      const etag = modelsEtag(s.modes.models)
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag })
        return res.end()
      }
      json(res, 200, { models: s.modes.models }, { etag })
    },

    'GET /backend-api/wham/usage'(req, res) {
      const a = authed(req, res)
      if (!a) return
      json(res, 200, {
        plan_type: a.plan,
        rate_limit: {
          allowed: true,
          limit_reached: false,
          primary_window: window(s.modes.usage.primary),
          secondary_window: window(s.modes.usage.secondary),
        },
        credits: { has_credits: false, unlimited: false, balance: '0' },
        additional_rate_limits: null,
        rate_limit_reached_type: null,
      })
    },

    'GET /backend-api/wham/accounts/check'(req, res) {
      const a = authed(req, res)
      if (!a) return
      const account = {
        id: a.account_id,
        plan_type: a.plan,
        structure: 'personal',
        workspace_backend_origin: 'NO_CONSTRAINT',
        account_routing_override: 'NO_CONSTRAINT',
      }
      json(res, 200, {
        accounts: [account],
        account_ordering: [a.account_id],
        default_account_id: a.account_id,
      })
    },

    'GET /backend-api/wham/settings/user'(_req, res) {
      // 0.169.0 asks for it and tolerates a 404; the real shape is unknown
      // (docs/protocol.md#96-workspace-routing-new-before-the-first-turn).
      json(res, 404, { detail: 'Not Found' })
    },

    'GET /backend-api/codex/responses'(_req, res) {
      // 0.169.0 tries a WebSocket first; a non-101 answer makes it fall back to HTTP POST
      // (docs/protocol.md#91-url-and-transport).
      json(res, 426, { detail: 'Upgrade Required' })
    },

    'POST /backend-api/codex/responses'(req, res) {
      const a = authed(req, res)
      if (!a) return
      return streamResponse(s, a, req, res, now)
    },
  }
}
