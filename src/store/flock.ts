/**
 * flock(2) locks from Node, which has no flock API: a tiny child process opens the lock file,
 * takes `LOCK_EX`, says `locked`, and holds it until we close its stdin. The kernel drops the
 * lock when that child dies, so a crashed holder never leaves a stale lock behind (unlike a
 * lock directory). Used for the Codex CLI's own lock files, which codex takes with flock(2)
 * (codex-store.ts documents the discipline).
 *
 * Two interchangeable holders: util-linux `flock(1)` (Linux) and `perl` (macOS, and Linux
 * systems without util-linux). Both call flock(2) on the file.
 */
import { spawn } from 'node:child_process'
import { constants, promises as fsp } from 'node:fs'
import { SkillError } from '../result.js'

/** Releases a held lock; resolves when the holder has exited (the lock is then free). */
export type Release = () => Promise<void>

const READY = 'locked'

// Polls LOCK_NB until the deadline so the wait is bounded; exit 1 = timed out.
const PERL = [
  'use Fcntl qw(:flock); use Time::HiRes qw(time sleep);',
  'my ($p, $w) = @ARGV; open(my $fh, "<", $p) or exit 2; my $end = time + $w;',
  'until (flock($fh, LOCK_EX | LOCK_NB)) { exit 1 if time > $end; sleep 0.01 }',
  `$| = 1; print "${READY}\\n"; 1 while <STDIN>;`,
].join(' ')

function holders(path: string, waitS: string): [string, string[]][] {
  return [
    ['flock', ['-x', '-w', waitS, path, 'sh', '-c', `echo ${READY}; exec cat >/dev/null`]],
    ['perl', ['-e', PERL, path, waitS]],
  ]
}

/** Creates the lock file with codex's mode if it is missing; refuses a symlink. */
async function ensureLockFile(path: string, mode: number): Promise<void> {
  const st = await fsp.lstat(path).catch(() => undefined)
  if (st?.isSymbolicLink()) {
    throw new SkillError('state_unsafe', `Refusing to use ${path}: it is a symbolic link`, {
      extra: { path },
    })
  }
  if (st) return
  const fh = await fsp.open(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, mode)
  await fh.close()
}

type Outcome = { state: 'locked'; release: Release } | { state: 'missing' } | { state: 'timeout' }

function tryHolder(cmd: string, args: string[], guardMs: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'ignore'] })
    let out = ''
    let settled = false
    const exited = new Promise<void>((r) => child.once('close', () => r()))
    // The holder enforces the wait itself; this guard only covers a wedged child.
    const guard = setTimeout(() => child.kill('SIGKILL'), guardMs)
    const settle = (o: Outcome | Error) => {
      if (settled) return
      settled = true
      clearTimeout(guard)
      if (o instanceof Error) reject(o)
      else resolve(o)
    }
    child.on('error', (err: NodeJS.ErrnoException) => {
      settle(err.code === 'ENOENT' ? { state: 'missing' } : err)
    })
    child.stdin.on('error', () => {}) // EPIPE when the holder gave up first
    child.stdout.on('data', (d) => {
      out += d
      if (!out.includes(READY)) return
      const release: Release = async () => {
        child.stdin.end()
        await exited
      }
      settle({ state: 'locked', release })
    })
    child.on('close', (code) => {
      if (code === 1) settle({ state: 'timeout' })
      else settle(new Error(`${cmd} exited with ${code} before taking the lock`))
    })
  })
}

/**
 * Takes an exclusive flock(2) on `path` (created with `mode` if missing), waiting at most
 * `waitMs`.
 * @throws SkillError `lock_timeout` when another process holds it past `waitMs`;
 *   `state_unsafe` for a symlinked lock file; `internal_error` when neither holder exists.
 */
export async function flockExclusive(path: string, mode: number, waitMs: number): Promise<Release> {
  await ensureLockFile(path, mode)
  const waitS = (Math.max(1, waitMs) / 1000).toFixed(3)
  for (const [cmd, args] of holders(path, waitS)) {
    const outcome = await tryHolder(cmd, args, waitMs + 5_000)
    if (outcome.state === 'locked') return outcome.release
    if (outcome.state === 'timeout') {
      throw new SkillError(
        'lock_timeout',
        `Another process held ${path} for more than ${waitMs} ms`,
        {
          extra: { path },
        },
      )
    }
  }
  throw new SkillError(
    'internal_error',
    'Taking the Codex CLI lock needs flock(1) (util-linux) or perl on PATH; neither was found',
    { hint: 'Install util-linux or perl, or unset CHATGPT_CODEX_STORE to use the default store.' },
  )
}
