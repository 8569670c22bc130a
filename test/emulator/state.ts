/** The emulator's public types and its memory: device logins, codes, token lineages, counters. */
import { readFileSync } from 'node:fs'

/** The ChatGPT account the emulator signs people in to. */
export interface EmuAccount {
  email: string
  account_id: string
  plan: string
  user_id: string
}

/** One entry of the models catalog (docs/protocol.md#72-response), kept loose so tests can bend
 * it. */
export type ModelInfo = Record<string, unknown>

/**
 * A fault injected before normal handling: a canned `status` (default 500, with optional body and
 * headers) or, when `kind` is set, a kind of breakage. `times` limits how often it fires (default:
 * until cleared). One shape with optional fields, not a union, so that tables of loosely typed
 * cases (`Record<string, unknown>`) can be passed straight in.
 */
export interface Fault {
  status?: number
  body?: string
  headers?: Record<string, string>
  kind?: 'hang' | 'reset' | 'html502' | 'non-json' | 'wrong-shape'
  times?: number
}

/** How POST /backend-api/codex/responses answers. */
export interface ResponsesMode {
  /**
   * `tool_call_done_only`: a function call that arrives only in `response.output_item.done`
   * (no `added`, no argument deltas), as some backend streams send it; `custom_tool_call`: a
   * freeform (`custom`) tool's call with its `input`.
   */
  reply:
    'text' | 'tool_call' | 'empty-output' | 'reasoning' | 'tool_call_done_only' | 'custom_tool_call'
  text?: string
  /** `stall`: created and in_progress, then silence with the connection held open. */
  mode?: 'ok' | 'usage_limit' | 'error500' | 'slow' | 'cut' | 'stall' | 'failed' | 'error_event'
  slowMs?: number
  /**
   * `failed` (a `response.failed`) and `error_event` (an `error` event) inside a 200 stream:
   * the error's code (default `usage_limit_reached`, with its reset time), sent after a first
   * text delta, or as the very first event with `failEarly`.
   */
  failCode?: string
  failEarly?: boolean
  /** Milliseconds between the headers and the first event (a model that thinks before it speaks). */
  firstDelayMs?: number
  /** A reasoning item (with `encrypted_content`) before the reply, whatever the reply is. */
  reasoning?: boolean
  /** `input_tokens_details.cached_tokens` in the usage (capped by the input tokens). */
  cachedTokens?: number
  /**
   * One more event (a text delta) after the stream's last one (the completion or the failure),
   * in a read of its own: an upstream that keeps talking after it has finished.
   */
  trailing?: boolean
}

/** One rate-limit window (docs/protocol.md#8-usage-and-rate-limits): percent used, length, seconds until it resets. */
export interface UsageWindowMode {
  used_percent: number
  window_minutes: number
  reset_after_s: number
}

/**
 * The subscription's rate-limit windows: `GET /wham/usage` reports them and every answer of
 * `/codex/responses` carries them as `x-codex-primary-*` / `x-codex-secondary-*` headers, so a
 * test can change them between two answers.
 */
export interface UsageMode {
  primary: UsageWindowMode
  secondary: UsageWindowMode
}

/** Switches that bend the emulator's behaviour; change them with `set()` or POST /__emu/set. */
export interface EmuModes {
  usercode: 'ok' | 'disabled' | 'error'
  /** Always sent as a JSON string: 0.169.0 fails to parse a number. */
  interval: string
  pendingStatus: 403 | 404
  accessTtlS: number
  refresh: 'ok' | 'expired' | 'invalidated' | 'omit' | 'no-rotate'
  authorize: 'approve' | 'deny'
  authorizeErrorDescription?: string
  faults: Record<string, Fault>
  /**
   * Holds POST /oauth/token until {@link EmuState.release}: `before` the grant is processed
   * (nothing rotated yet), or `after` it (the refresh token already rotated, the answer not yet
   * sent). Lets tests signal a client while its token request is in flight.
   */
  holdToken?: 'before' | 'after' | null
  responses: ResponsesMode
  usage: UsageMode
  models: ModelInfo[]
}

/** One request as the emulator saw it (control calls under /__emu/ are not recorded). */
export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  headers: Record<string, string>
  /** Parsed JSON, a form as a record, the raw text, or null (empty or undecodable body). */
  body: unknown
  at: number
}

/** Counters; `reset()` zeroes them. */
export interface Stats {
  refreshes: number
  reuse: number
  revoked: number
  exchanges: number
  /** Response streams the client hung up on before completion. */
  aborted: number
  /** Events sent after a stream's last one (`trailing`). */
  trailing: number
}

export interface DeviceLogin {
  device_auth_id: string
  user_code: string
  expires_at: number
  status: 'pending' | 'approved' | 'denied' | 'collected'
}

/** Every token minted from one sign-in shares a lineage; revoking any of them revokes all. */
export interface Lineage {
  revoked: boolean
}

export interface AuthCode {
  challenge: string
  redirect_uri: string
  account: EmuAccount
  used: boolean
  /** Expiry in emulator-clock ms. */
  exp: number
}

export interface RefreshRecord {
  lineage: Lineage
  used: boolean
}

export interface AccessRecord {
  lineage: Lineage
  account: EmuAccount
  /** Expiry in emulator-clock ms. */
  exp: number
}

/** The catalog served by default, read fresh so tests that edit it never share one copy. */
export const defaultModels = (): ModelInfo[] =>
  JSON.parse(
    readFileSync(new URL('../../fixtures/emulator-models.json', import.meta.url), 'utf8'),
  ) as ModelInfo[]

/** 12% of the 5-hour window (resets in an hour), 40% of the weekly one (resets in a day). */
export const defaultUsage = (): UsageMode => ({
  primary: { used_percent: 12, window_minutes: 300, reset_after_s: 3_600 },
  secondary: { used_percent: 40, window_minutes: 10_080, reset_after_s: 86_400 },
})

export const DEFAULT_ACCOUNT: EmuAccount = {
  email: 'user@example.com',
  account_id: '3f1c2a4e-0000-4000-8000-emulator0001',
  plan: 'pro',
  user_id: 'user-emulator-1',
}

/** All mutable state of one emulator instance. */
export class EmuState {
  devices: DeviceLogin[] = []
  codes = new Map<string, AuthCode>()
  refresh = new Map<string, RefreshRecord>()
  access = new Map<string, AccessRecord>()
  minted: string[] = []
  requests: RecordedRequest[] = []
  stats: Stats = { refreshes: 0, reuse: 0, revoked: 0, exchanges: 0, aborted: 0, trailing: 0 }
  account: EmuAccount
  modes: EmuModes
  /** Token requests held by `modes.holdToken`, each waiting for its release. */
  held: (() => void)[] = []

  constructor(account: Partial<EmuAccount> | undefined, accessTtlS: number) {
    this.account = { ...DEFAULT_ACCOUNT, ...account }
    this.modes = {
      usercode: 'ok',
      interval: '5',
      pendingStatus: 403,
      accessTtlS,
      refresh: 'ok',
      authorize: 'approve',
      faults: {},
      responses: { reply: 'text', mode: 'ok' },
      usage: defaultUsage(),
      models: defaultModels(),
    }
  }

  /** Remembers a secret for `secrets()` (the suite's leak scan) and returns it. */
  mint(secret: string): string {
    this.minted.push(secret)
    return secret
  }

  /** The device login with that user code, or the most recent one. */
  device(userCode?: string): DeviceLogin | undefined {
    return userCode ? this.devices.find((d) => d.user_code === userCode) : this.devices.at(-1)
  }

  /** Revokes the lineage of a refresh or access token; false when the token is unknown. */
  revoke(token: string): boolean {
    const lineage = (this.refresh.get(token) ?? this.access.get(token))?.lineage
    if (lineage) lineage.revoked = true
    return lineage !== undefined
  }

  count(route: string): number {
    if (route === 'refresh') return this.stats.refreshes
    if (route === 'exchange') return this.stats.exchanges
    return this.requests.filter((r) => `${r.method} ${r.path}` === route).length
  }

  reset(): void {
    this.requests.length = 0
    Object.assign(this.stats, {
      refreshes: 0,
      reuse: 0,
      revoked: 0,
      exchanges: 0,
      aborted: 0,
      trailing: 0,
    })
  }
}
