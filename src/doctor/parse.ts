/**
 * `doctor`'s reading of the state files' text from the snapshot: the value, or why it cannot be
 * used. Never writes, never throws.
 */
import { SkillError } from '../result.js'
import { credentialsOf, parseCodexAuth } from '../store/codex-auth.js'
import { SCHEMA_VERSION } from '../store/json-file.js'
import { Credentials, Pending } from '../store/schemas.js'
import type { Entry, Snapshot } from './snapshot.js'

/** Parses a state file's text: the value, or why it cannot be used. */
function parseState<T>(
  e: Entry,
  schema: { safeParse(v: unknown): { success: boolean; data?: T } },
) {
  if (e.text === undefined) return { value: undefined }
  if (e.text.trim() === '') return { problem: 'is empty' }
  let data: unknown
  try {
    data = JSON.parse(e.text)
  } catch {
    return { problem: 'is not valid JSON (truncated or edited?)' }
  }
  const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion
  if (typeof version === 'number' && version > SCHEMA_VERSION) return { newer: version }
  const parsed = schema.safeParse(data)
  return parsed.success
    ? { value: parsed.data as T, version }
    : { problem: 'does not have the expected shape' }
}

/** A parsed state file: its value, a problem, or a newer schema version than this build's. */
export type Parsed<T> =
  { value: T | undefined; version?: unknown } | { problem: string } | { newer: number }

/** The Codex CLI's auth.json (CHATGPT_CODEX_STORE=codex) has its own shape and no schemaVersion. */
function parseCodex(e: Entry): Parsed<Credentials> {
  if (e.text === undefined) return { value: undefined }
  try {
    return { value: credentialsOf(e.path, parseCodexAuth(e.path, e.text)), version: undefined }
  } catch (err) {
    const apiKey = err instanceof SkillError && err.code === 'codex_api_key_mode'
    return {
      problem: apiKey
        ? 'holds an API key or other non-ChatGPT credentials, which this tool leaves alone'
        : 'is not a Codex CLI auth.json this tool can read',
    }
  }
}

/** The credentials as the selected store holds them. Never throws. */
export const readCredentials = (s: Snapshot): Parsed<Credentials> =>
  s.ctx.config.store === 'codex'
    ? parseCodex(s.files.credentials)
    : parseState<Credentials>(s.files.credentials, Credentials)
/** The pending login. Never throws. */
export const readPending = (s: Snapshot) => parseState<Pending>(s.files.pending, Pending)
