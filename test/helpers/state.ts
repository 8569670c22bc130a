/**
 * Local-state helpers for tests that need no emulator: fake (locally made, never minted)
 * credentials and pending logins, byte snapshots of a state dir, and in-process calls of the
 * exported functions with a given environment.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'
import { invoke } from '../../src/cli/invoke.js'
import type { RegistryModel } from '../../src/host/registry.js'
import type { Credentials, DevicePending } from '../../src/store/schemas.js'
import { record } from './leaks.js'

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
export const fakeJwt = (claims: object) => `${b64({ alg: 'none' })}.${b64(claims)}.sig`

/** Valid credentials with fake tokens; `iat`/`exp` around `now` unless overridden. */
export function fakeCredentials(now = Date.now(), over: Partial<Credentials> = {}): Credentials {
  const auth = { chatgpt_account_id: 'acc-local', chatgpt_plan_type: 'plus' }
  const iat = Math.floor(now / 1000)
  return {
    schemaVersion: 1,
    tokens: {
      id_token: fakeJwt({ email: 'local@example.com', 'https://api.openai.com/auth': auth }),
      access_token: fakeJwt({ iat, exp: iat + 3600, 'https://api.openai.com/auth': auth }),
      refresh_token: 'local-refresh-not-a-secret',
      account_id: 'acc-local',
    },
    account: { email: 'local@example.com', plan: 'plus', account_id: 'acc-local', user_id: null },
    access_expires_at: (iat + 3600) * 1000,
    access_issued_at: iat * 1000,
    last_refresh: now,
    issuer: 'http://127.0.0.1:9',
    reauth: null,
    ...over,
  }
}

export function fakePending(now = Date.now(), over: Partial<DevicePending> = {}): DevicePending {
  return {
    schemaVersion: 1,
    method: 'device',
    pending_id: 'pl_local',
    device_auth_id: 'local-device-auth-id',
    user_code: 'ABCD-EFGH',
    verification_url: 'http://127.0.0.1:9/codex/device',
    interval_s: 5,
    created_at: now - 60_000,
    expires_at: now + 14 * 60_000,
    last_poll_at: null,
    issuer: 'http://127.0.0.1:9',
    ...over,
  }
}

/** Every entry under `dir` (recursively) as path -> mode/owner/bytes/link target. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      const st = lstatSync(p)
      const head = `${(st.mode & 0o7777).toString(8)} ${st.uid}`
      if (st.isSymbolicLink()) out[p] = `${head} -> ${readlinkSync(p)}`
      else if (st.isDirectory()) {
        out[p] = `${head} dir`
        walk(p)
      } else out[p] = `${head} ${readFileSync(p).toString('base64')}`
    }
  }
  walk(dir)
  return out
}

/**
 * Calls an exported function in this process with `env` as the whole configuration. The
 * context is built synchronously at the start of `invoke`, so the swap of process.env is safe.
 */
export async function call(
  fn: string,
  env: Record<string, string>,
  opts?: object,
): Promise<Record<string, any>> {
  const saved = process.env
  process.env = { PATH: saved.PATH, ...env }
  let pending
  try {
    pending = invoke(fn, opts)
  } finally {
    process.env = saved
  }
  const r = await pending
  record(r)
  return r
}

/** Registry models for the host adapter tests: one full entry, one with no context window and no reasoning. */
export const HOST_MODELS: RegistryModel[] = [
  {
    id: 'openai-codex/gpt-5.5',
    upstreamModel: 'gpt-5.5',
    displayName: 'GPT-5.5',
    contextWindow: 272000,
    maxOutputTokens: 128000,
    input: ['text', 'image'],
    reasoning: true,
  },
  {
    id: 'openai-codex/gpt-6-luna',
    upstreamModel: 'gpt-6-luna',
    displayName: 'GPT-6-Luna',
    contextWindow: null,
    maxOutputTokens: 128000,
    input: ['text'],
    reasoning: false,
  },
]
