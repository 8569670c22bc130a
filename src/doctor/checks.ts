/** Every offline `doctor` check, by id, in report order (the order of the result's findings). */
import { clockSkew, conflictingEnv, credentials, listener, pendingAge } from './account.js'
import { fileModes, locks, schema, stateDir, tempFiles } from './files.js'
import type { Check } from './finding.js'
import { gateway, registry } from './hosts.js'

/** Every offline check, in report order. */
export const CHECKS: Record<string, Check> = {
  state_dir: stateDir,
  file_modes: fileModes,
  schema,
  locks,
  temp_files: tempFiles,
  credentials,
  clock_skew: clockSkew,
  pending: pendingAge,
  listener,
  gateway,
  conflicting_env: conflictingEnv,
  registry,
}
