/** The browser flow's authorize URL and redirect URI (docs/protocol.md#31-authorize-url, as
 * 0.169.0 sends them). */
import type { Config } from '../config.js'

/**
 * The callback the issuer redirects to; Codex's allow-list takes 127.0.0.1 on 1455 or 1457.
 * Never throws. @see docs/protocol.md#31-authorize-url
 */
export const redirectUri = (port: number): string => `http://127.0.0.1:${port}/auth/callback`

/** The Codex scopes, space-separated (encoded as `+`, like 0.169.0). */
export const SCOPES =
  'openid profile email offline_access api.connectors.read api.connectors.invoke'

/**
 * `{issuer}/oauth/authorize?...` with the parameters in 0.169.0's order. Carries the S256
 * challenge and the state; never the verifier.
 * Never throws. @see docs/protocol.md#31-authorize-url
 */
export function authorizeUrl(
  cfg: Pick<Config, 'issuer' | 'clientId' | 'originator'>,
  a: { redirect_uri: string; code_challenge: string; state: string },
): string {
  const q = new URLSearchParams([
    ['response_type', 'code'],
    ['client_id', cfg.clientId],
    ['redirect_uri', a.redirect_uri],
    ['code_challenge', a.code_challenge],
    ['code_challenge_method', 'S256'],
    ['state', a.state],
    ['scope', SCOPES],
    ['id_token_add_organizations', 'true'],
    ['codex_cli_simplified_flow', 'true'],
    ['originator', cfg.originator],
  ])
  return `${cfg.issuer}/oauth/authorize?${q.toString()}`
}
