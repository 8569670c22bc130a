/**
 * The Codex CLI's `$CODEX_HOME/auth.json`, as codex 0.169.0 writes it
 * (docs/protocol.md#61-file-format,
 * docs/codex-cli.md#authjson-as-codex-writes-it): parsing it into our store-neutral {@link
 * Credentials}, and merging
 * our credentials back into it while keeping every field we do not own.
 *
 * Fields we own: `auth_mode`, `tokens.{id_token, access_token, refresh_token, account_id}`,
 * `tokens.oauth_provenance.issuer`, `last_refresh`. Everything else (`OPENAI_API_KEY`,
 * `login_owner_id`, `oauth_provenance.client_id`, keys we have never heard of) is carried over.
 */
import { readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import * as z from '../zod.js'
import { readClaims } from '../oauth/jwt.js'
import { run, SkillError } from '../result.js'
import type { Credentials } from './schemas.js'

/** What the file says about itself, before we look at any token. Lazy: most machines have no file. */
const Raw = z.lazy(() =>
  z.looseObject({
    auth_mode: z.nullish(z.string()),
    OPENAI_API_KEY: z.nullish(z.string()),
    tokens: z.optional(z.unknown()),
    last_refresh: z.nullish(z.string()),
  }),
)
type Raw = z.infer<typeof Raw>

/** Where codex refreshes when the file names no issuer (docs/protocol.md#41-request). */
const DEFAULT_ISSUER = 'https://auth.openai.com'

const text = () => z.string().check(z.minLength(1))
const RawTokens = z.lazy(() =>
  z.looseObject({
    id_token: text(),
    access_token: text(),
    refresh_token: text(),
    account_id: z.nullish(z.string()),
    oauth_provenance: z.nullish(z.looseObject({ issuer: z.optional(z.string()) })),
  }),
)

/** The parsed file: its raw object (to merge into) and its mode. */
export interface CodexAuthFile {
  raw: Record<string, unknown>
  /** `chatgpt`, `apikey`, or another codex mode we do not share (`chatgptAuthTokens`, ...). */
  mode: string
}

function corrupt(path: string, why: string): SkillError {
  return new SkillError(
    'state_corrupt',
    `The Codex CLI file ${basename(path)} is unreadable: ${why}`,
    {
      hint: `Run \`codex login status\` to see what codex makes of it; \`codex logout\` (or ${run('logout')} here) clears it.`,
      extra: { path },
    },
  )
}

/** codex's `resolved_mode`: no `auth_mode` means API key when `OPENAI_API_KEY` is set. */
function modeOf(raw: Raw): string {
  if (raw.auth_mode) return raw.auth_mode
  return raw.OPENAI_API_KEY != null ? 'apikey' : 'chatgpt'
}

/** Parses the text of auth.json. @throws SkillError `state_corrupt`. */
export function parseCodexAuth(path: string, text: string): CodexAuthFile {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw corrupt(path, 'it is not valid JSON')
  }
  const parsed = Raw.safeParse(data)
  if (!parsed.success) throw corrupt(path, 'it is not a JSON object of the expected shape')
  return { raw: parsed.data, mode: modeOf(parsed.data) }
}

/**
 * The error for any file that is not a ChatGPT sign-in: we report it and never overwrite it.
 * Never throws.
 */
export function foreignModeError(path: string, mode: string): SkillError {
  const what = mode === 'apikey' ? 'an API key' : `"${mode}" credentials`
  return new SkillError(
    'codex_api_key_mode',
    `The Codex CLI is using ${what} (${path}), not a ChatGPT sign-in; this tool leaves that file alone`,
    { extra: { path, codex_auth_mode: mode } },
  )
}

/**
 * The ChatGPT credentials in a parsed file; undefined when it holds none (`{}`, `tokens: null`).
 * @throws SkillError `codex_api_key_mode` for an API-key (or other non-ChatGPT) file,
 *   `state_corrupt` for tokens codex itself would reject.
 */
export function credentialsOf(path: string, file: CodexAuthFile): Credentials | undefined {
  if (file.mode !== 'chatgpt') throw foreignModeError(path, file.mode)
  if (file.raw.tokens == null) return undefined
  const t = RawTokens.safeParse(file.raw.tokens)
  if (!t.success)
    throw corrupt(path, `unexpected content at tokens.${t.error.issues[0]?.path.join('.')}`)
  const lastRefresh = Date.parse(String(file.raw.last_refresh ?? ''))
  const id = readClaims(t.data.id_token)
  const access = readClaims(t.data.access_token)
  // codex sends tokens.account_id as chatgpt-account-id; the claims are the fallback.
  const account_id = t.data.account_id ?? id.account_id ?? access.account_id
  if (!account_id) throw corrupt(path, 'it names no ChatGPT account (tokens.account_id)')
  return {
    schemaVersion: 1,
    tokens: {
      id_token: t.data.id_token,
      access_token: t.data.access_token,
      refresh_token: t.data.refresh_token,
      account_id,
    },
    account: { email: id.email, plan: id.plan ?? access.plan, account_id, user_id: id.user_id },
    access_expires_at: access.exp,
    access_issued_at: access.iat,
    last_refresh: Number.isNaN(lastRefresh) ? 0 : lastRefresh,
    issuer: t.data.oauth_provenance?.issuer ?? DEFAULT_ISSUER,
    reauth: null,
  }
}

const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}

/**
 * Our credentials merged into the file as it is now, in codex's key order. Unknown keys follow
 * the known ones. A different account replaces the old account's `OPENAI_API_KEY` (an exchanged
 * key belongs to the account that obtained it) and `login_owner_id`.
 * Never throws. @see docs/protocol.md#61-file-format
 */
export function mergeCodexAuth(
  current: Record<string, unknown> | undefined,
  creds: Credentials,
  clientId: string,
): Record<string, unknown> {
  const top = current ?? {}
  const oldTokens = obj(top.tokens)
  const sameAccount = oldTokens.account_id === creds.tokens.account_id
  const provenance = obj(oldTokens.oauth_provenance)
  return {
    auth_mode: 'chatgpt',
    OPENAI_API_KEY: sameAccount ? (top.OPENAI_API_KEY ?? null) : null,
    tokens: {
      id_token: creds.tokens.id_token,
      access_token: creds.tokens.access_token,
      refresh_token: creds.tokens.refresh_token,
      // codex sends its own refreshes to this issuer (docs/protocol.md#41-request), so both
      // clients use one issuer.
      oauth_provenance: {
        ...provenance,
        issuer: creds.issuer,
        client_id: provenance.client_id ?? clientId,
      },
      ...(sameAccount && oldTokens.login_owner_id !== undefined
        ? { login_owner_id: oldTokens.login_owner_id }
        : {}),
      account_id: creds.tokens.account_id,
      ...without(oldTokens, TOKEN_KEYS),
    },
    last_refresh: new Date(creds.last_refresh).toISOString(),
    ...without(top, TOP_KEYS),
  }
}

const TOP_KEYS = ['auth_mode', 'OPENAI_API_KEY', 'tokens', 'last_refresh']
const TOKEN_KEYS = [
  'id_token',
  'access_token',
  'refresh_token',
  'oauth_provenance',
  'login_owner_id',
  'account_id',
]

function without(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)))
}

/**
 * Whether the Codex CLI holds a ChatGPT sign-in at `$CODEX_HOME/auth.json`, for status in the
 * default store. Reads the mode only: no token or claim leaves this function, and any problem
 * with the file just means "no".
 * Never throws: undefined when there is none or it cannot be read.
 */
export async function codexChatgptSignIn(codexHome: string): Promise<{ path: string } | undefined> {
  const path = join(codexHome, 'auth.json')
  try {
    const file = parseCodexAuth(path, readFileSync(path, 'utf8'))
    return file.mode === 'chatgpt' && file.raw.tokens != null ? { path } : undefined
  } catch {
    return undefined
  }
}
