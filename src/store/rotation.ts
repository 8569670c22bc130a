/**
 * The one way a request that rotates tokens (a refresh, a code exchange) is sent and stored, so
 * that nothing it returns can be lost to a condition we can prevent:
 * 1. disk space for the write is set aside first ({@link CredentialStore.reserve}): an already
 *    full disk (or a read-only one) fails with `disk_full` / `state_readonly` before the
 *    request, and the stored tokens stay as they were;
 * 2. from the send until the store's write returns, SIGINT, SIGTERM and SIGHUP are held
 *    ({@link holdSignals}) and acted on after the write.
 * What remains is SIGKILL and power loss (docs/reliability.md).
 */
import { holdSignals } from '../signals.js'
import type { CredentialStore } from './credential-store.js'

/**
 * Reserves space in `store`, then runs `send` and `save` as one critical section. Call inside
 * `store.locked`. `save` must end with `store.write` (which uses and frees the reservation).
 * @throws SkillError `disk_full` | `state_readonly` | `state_unsafe` (before `send`), `interrupted`
 *   (CLI calls signalled during the section), or what `send`/`save` throw.
 */
export async function sendAndStore<R, T>(
  store: CredentialStore,
  send: () => Promise<R>,
  save: (answer: R) => Promise<T>,
): Promise<T> {
  const reservation = await store.reserve()
  try {
    return await holdSignals(async () => save(await send()))
  } finally {
    await reservation.release().catch(() => {})
  }
}
