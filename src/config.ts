/**
 * Environment -> configuration. The only module that reads `process.env`; everything below
 * takes a {@link Config}. Validation happens here, once, before any request is made.
 */
import { homedir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import * as z from './zod.js'
import { SkillError } from './result.js'
import { readProxyEnv, type ProxyEnv } from './proxy.js'

export const CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann'
/** The Codex CLI version whose wire behaviour we follow (docs/protocol.md); sent as
 * client_version. */
export const CLIENT_VERSION = '0.171.0'
export const ORIGINATOR = 'codex_cli_rs'

export interface Config {
  /** State directory (0700): credentials, pending login, caches, locks. */
  home: string
  issuer: string
  backendUrl: string
  /** Per-request HTTP timeout. */
  timeoutMs: number
  /**
   * Longest silence allowed inside a model stream (`CHATGPT_CODEX_STREAM_IDLE_MS`, default
   * 300000: the Codex CLI's; reasoning models may think minutes without an event). See
   * `DEFAULT_STREAM_IDLE_MS` in src/http.ts.
   */
  streamIdleMs: number
  /** Locks older than this are considered abandoned (must exceed timeoutMs: a refresh holds it). */
  lockStaleMs: number
  /** How long a call waits for the lock before `lock_timeout`. */
  lockWaitMs: number
  registryDir: string
  hosts: ('pi' | 'openclaw')[]
  /** pi's agent directory (`PI_CODING_AGENT_DIR`, default `~/.pi/agent`); the pi adapter writes its models.json. */
  piAgentDir: string
  /** OpenClaw's config file (`OPENCLAW_CONFIG_PATH`, else `$OPENCLAW_STATE_DIR/openclaw.json`, default `~/.openclaw/openclaw.json`). */
  openclawConfigPath: string
  store: 'file' | 'codex'
  codexHome: string
  userHome: string
  clientId: string
  originator: string
  clientVersion: string
  /** Added to the wall clock; lets tests (and machines with a known-wrong clock) shift time. */
  clockOffsetMs: number
  /** Loopback ports the browser-sign-in listener tries, in order (Codex's allow-list: 1455, 1457). */
  callbackPorts: number[]
  /** Lifetime of a browser sign-in and its listener (10 min; shorter only in tests). */
  browserTtlMs: number
  /** Names (never values) of env vars that commonly hijack a ChatGPT sign-in. */
  conflictingEnv: string[]
  /**
   * Claude model ids -> Codex slugs for the Anthropic dialect (`CHATGPT_CODEX_ANTHROPIC_MODELS`),
   * first match wins; `*` matches any run of characters; a target `<default>` or `<small>` is the
   * catalog's default or fast model.
   */
  anthropicModels: { pattern: string; target: string }[]
  /**
   * HTTPS_PROXY / HTTP_PROXY / NO_PROXY (lowercase first), absent when no proxy is set. Every
   * outbound request passes it to src/http.ts; requests to our own listener and gateway do not.
   */
  proxy?: ProxyEnv
  /** The raw environment, for host-specific paths resolved by adapters (pi, openclaw). */
  env: Readonly<Record<string, string | undefined>>
}

const LOOPBACK = /^(127(?:\.\d{1,3}){3}|\[::1\]|localhost)$/i

/**
 * Accepts https anywhere, http only to a loopback host.
 * @throws SkillError `invalid_config` (not a URL, http: to a non-loopback host, or credentials,
 * a query or a fragment in it).
 */
export function checkServiceUrl(name: string, raw: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw invalid(name, `${name} is not a URL`)
  }
  const loopbackHttp = url.protocol === 'http:' && LOOPBACK.test(url.hostname)
  if (url.protocol !== 'https:' && !loopbackHttp) {
    throw invalid(name, `${name} must be an https: URL (http: is allowed only to a loopback host)`)
  }
  if (url.username || url.password || url.search || url.hash) {
    throw invalid(name, `${name} must not carry credentials, a query or a fragment`)
  }
  return url.href.replace(/\/+$/, '')
}

function invalid(name: string, message: string): SkillError {
  return new SkillError('invalid_config', message, {
    hint: `Fix or unset ${name}, then try again.`,
  })
}

/** A comma list: "a, b,,c" -> ["a", "b", "c"]. */
const commaList = () =>
  z.pipe(
    z.string(),
    z.transform((s: string) =>
      s
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    ),
  )
/** A string of digits (checked by `pattern`) as a number. */
const decimal = (pattern: RegExp, message: string) =>
  z.pipe(z.string().check(z.regex(pattern, message)), z.transform(Number))
const within = (min: number, minMessage: string, max: number, maxMessage: string) =>
  z.number().check(z.gte(min, minMessage), z.lte(max, maxMessage))

const intMs = (name: string, min: number, max: number) => () =>
  z.pipe(
    decimal(/^\d+$/, `${name} must be a whole number of milliseconds`),
    within(min, `${name} must be at least ${min}`, max, `${name} must be at most ${max}`),
  )
const PORT_RANGE = 'a callback port must be 1-65535'

/** The Claude model table when `CHATGPT_CODEX_ANTHROPIC_MODELS` is unset (docs/anthropic.md). */
export const DEFAULT_ANTHROPIC_MODELS =
  '*haiku*=<small>,claude-*=<default>,sonnet=<default>,opus=<default>'
const MODEL_RULE = /^([A-Za-z0-9.*_-]+)=(<default>|<small>|[A-Za-z0-9][A-Za-z0-9./_-]*)$/
/** `a=b` rules, already checked, as pairs (a cold process pays for no schema when unset). */
function modelRules(rules: string[]): { pattern: string; target: string }[] {
  return rules.map((r) => {
    const [, pattern = '', target = ''] = MODEL_RULE.exec(r) ?? []
    return { pattern, target }
  })
}
const modelTable = () =>
  z.pipe(
    commaList(),
    z.pipe(
      z.array(
        z
          .string()
          .check(
            z.regex(
              MODEL_RULE,
              'CHATGPT_CODEX_ANTHROPIC_MODELS takes a comma list of pattern=target (target: a Codex slug, <default> or <small>)',
            ),
          ),
      ),
      z.transform(modelRules),
    ),
  )

/**
 * The variables that need more than "is it set": name -> a function building its schema. A
 * schema is built only for a variable that is set (usually none are): a cold process should not
 * construct ~30 validators to learn that nothing needs validating.
 */
const ENV = {
  CHATGPT_CODEX_TIMEOUT_MS: intMs('CHATGPT_CODEX_TIMEOUT_MS', 100, 600_000),
  CHATGPT_CODEX_STREAM_IDLE_MS: intMs('CHATGPT_CODEX_STREAM_IDLE_MS', 1_000, 3_600_000),
  CHATGPT_CODEX_LOCK_STALE_MS: intMs('CHATGPT_CODEX_LOCK_STALE_MS', 2_000, 3_600_000),
  CHATGPT_CODEX_LOCK_WAIT_MS: intMs('CHATGPT_CODEX_LOCK_WAIT_MS', 0, 3_600_000),
  CHATGPT_CODEX_CLOCK_OFFSET_MS: () =>
    decimal(/^-?\d+$/, 'CHATGPT_CODEX_CLOCK_OFFSET_MS must be a whole number'),
  CHATGPT_CODEX_CALLBACK_PORTS: () =>
    z.pipe(
      commaList(),
      z
        .array(
          z.pipe(
            decimal(/^\d+$/, 'CHATGPT_CODEX_CALLBACK_PORTS takes a comma list of port numbers'),
            within(1, PORT_RANGE, 65535, PORT_RANGE),
          ),
        )
        .check(z.minLength(1, 'CHATGPT_CODEX_CALLBACK_PORTS needs at least one port')),
    ),
  CHATGPT_CODEX_BROWSER_TTL_MS: intMs('CHATGPT_CODEX_BROWSER_TTL_MS', 1_000, 600_000),
  CHATGPT_CODEX_STORE: () =>
    z.enum(['file', 'codex'], 'CHATGPT_CODEX_STORE must be "file" or "codex"'),
  CHATGPT_CODEX_ANTHROPIC_MODELS: modelTable,
  CHATGPT_CODEX_HOSTS: () =>
    z.pipe(
      commaList(),
      z.array(
        z.enum(['pi', 'openclaw'], 'CHATGPT_CODEX_HOSTS takes a comma list of: pi, openclaw'),
      ),
    ),
}
type EnvValues = { [K in keyof typeof ENV]?: z.output<ReturnType<(typeof ENV)[K]>> }

/** Validates the variables of {@link ENV} that are set. @throws SkillError `invalid_config`. */
function parseEnv(get: (name: string) => string | undefined): EnvValues {
  const out: Record<string, unknown> = {}
  for (const [name, schema] of Object.entries(ENV)) {
    const raw = get(name)
    if (raw === undefined) continue
    const parsed = schema().safeParse(raw)
    if (!parsed.success)
      throw invalid(name, parsed.error.issues[0]?.message ?? `${name} is invalid`)
    out[name] = parsed.data
  }
  return out as EnvValues
}

/**
 * Reads and validates the configuration.
 * @throws SkillError `invalid_config` naming the variable at fault.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const nonEmpty = (k: string) => (env[k] === undefined || env[k] === '' ? undefined : env[k])
  const e = parseEnv(nonEmpty)
  const userHome = nonEmpty('HOME') ?? homedir()
  const absolute = (name: string, fallback: string): string => {
    const raw = nonEmpty(name)
    if (raw === undefined) return fallback
    if (!isAbsolute(raw)) throw invalid(name, `${name} must be an absolute path`)
    return resolve(raw)
  }
  const stateBase = nonEmpty('XDG_STATE_HOME') ?? join(userHome, '.local', 'state')
  const home = absolute('CHATGPT_CODEX_HOME', join(stateBase, 'chatgpt-codex-onboarding'))
  const timeoutMs = e.CHATGPT_CODEX_TIMEOUT_MS ?? 15_000
  const lockStaleMs = e.CHATGPT_CODEX_LOCK_STALE_MS ?? Math.max(30_000, timeoutMs * 2)
  if (lockStaleMs <= timeoutMs) {
    throw invalid(
      'CHATGPT_CODEX_LOCK_STALE_MS',
      'CHATGPT_CODEX_LOCK_STALE_MS must be longer than CHATGPT_CODEX_TIMEOUT_MS, or a slow refresh would lose its lock',
    )
  }
  return {
    home,
    issuer: checkServiceUrl(
      'CHATGPT_CODEX_ISSUER',
      nonEmpty('CHATGPT_CODEX_ISSUER') ?? 'https://auth.openai.com',
    ),
    backendUrl: checkServiceUrl(
      'CHATGPT_CODEX_BACKEND_URL',
      nonEmpty('CHATGPT_CODEX_BACKEND_URL') ?? 'https://chatgpt.com/backend-api',
    ),
    timeoutMs,
    streamIdleMs: e.CHATGPT_CODEX_STREAM_IDLE_MS ?? 300_000,
    lockStaleMs,
    lockWaitMs: e.CHATGPT_CODEX_LOCK_WAIT_MS ?? lockStaleMs + timeoutMs,
    registryDir: absolute('CHATGPT_CODEX_REGISTRY_DIR', join(home, 'registry')),
    hosts: e.CHATGPT_CODEX_HOSTS ?? [],
    piAgentDir: absolute('PI_CODING_AGENT_DIR', join(userHome, '.pi', 'agent')),
    openclawConfigPath: absolute(
      'OPENCLAW_CONFIG_PATH',
      join(absolute('OPENCLAW_STATE_DIR', join(userHome, '.openclaw')), 'openclaw.json'),
    ),
    store: e.CHATGPT_CODEX_STORE ?? 'file',
    codexHome: absolute('CODEX_HOME', join(userHome, '.codex')),
    userHome,
    clientId: CLIENT_ID,
    originator: ORIGINATOR,
    clientVersion: CLIENT_VERSION,
    clockOffsetMs: e.CHATGPT_CODEX_CLOCK_OFFSET_MS ?? 0,
    callbackPorts: e.CHATGPT_CODEX_CALLBACK_PORTS ?? [1455, 1457],
    browserTtlMs: e.CHATGPT_CODEX_BROWSER_TTL_MS ?? 600_000,
    conflictingEnv: ['OPENAI_API_KEY', 'CODEX_API_KEY', 'OPENAI_BASE_URL'].filter((k) =>
      nonEmpty(k),
    ),
    anthropicModels:
      e.CHATGPT_CODEX_ANTHROPIC_MODELS ?? modelRules(DEFAULT_ANTHROPIC_MODELS.split(',')),
    proxy: readProxyEnv(nonEmpty),
    env,
  }
}
