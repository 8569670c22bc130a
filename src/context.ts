/**
 * What every operation receives: the validated configuration and the clock. Injected so tests
 * can shift time without sleeping.
 */
import { loadConfig, type Config } from './config.js'

export interface Ctx {
  config: Config
  /** Milliseconds since the epoch, as this tool should believe it. */
  now: () => number
}

/** Builds the context from the environment. @throws SkillError `invalid_config`. */
export function createContext(
  env?: Record<string, string | undefined>,
  clock: () => number = Date.now,
): Ctx {
  const config = loadConfig(env)
  const offset = config.clockOffsetMs
  return { config, now: offset === 0 ? clock : () => clock() + offset }
}
