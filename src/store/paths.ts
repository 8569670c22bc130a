/** File names inside the state directory, in one place. */
import { join } from 'node:path'

/** This tool's files under the state dir (`CHATGPT_CODEX_HOME`). Never throws. */
export const statePaths = (home: string) => ({
  home,
  /** Lock targets (proper-lockfile creates `<target>.lock/`). Order: pending, then credentials. */
  pendingLock: join(home, 'pending'),
  credentialsLock: join(home, 'credentials'),
  credentials: join(home, 'credentials.json'),
  pending: join(home, 'pending.json'),
  cacheDir: join(home, 'cache'),
  cacheLock: join(home, 'cache', 'cache'),
})
