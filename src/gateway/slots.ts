/**
 * The upstream slots: at most {@link UPSTREAM_SLOTS} upstream requests at once (the size of
 * undici's pool in src/http.ts). A request past the cap waits in line for a bounded time and is
 * then refused with a coded 503, instead of waiting in undici's queue in silence (issue 16: a
 * 65th request behind 64 stalled streams got nothing for 40 s).
 */

/** As many as undici's pool has connections to the backend (src/http.ts `connections`). */
export const UPSTREAM_SLOTS = 64

/** A held slot: call once when the upstream request is over (more calls do nothing). */
export type Release = () => void

export interface Slots {
  /**
   * Waits for a free slot, at most `waitMs`. Resolves with its release, or undefined when the
   * wait ran out or `signal` aborted (the client left). Never rejects.
   */
  acquire(waitMs: number, signal?: AbortSignal): Promise<Release | undefined>
  /** Slots held now (for tests and logs). */
  readonly busy: number
}

/** A counting semaphore with a FIFO line of waiters, each with its own deadline. */
export function createSlots(max = UPSTREAM_SLOTS): Slots {
  let busy = 0
  const line: Array<(r: Release) => void> = []
  const grant = (): Release => {
    busy++
    let done = false
    return () => {
      if (done) return
      done = true
      busy--
      const next = line.shift()
      if (next) next(grant())
    }
  }
  return {
    get busy() {
      return busy
    },
    acquire(waitMs, signal) {
      if (busy < max && line.length === 0) return Promise.resolve(grant())
      return new Promise((resolve) => {
        const give = (r: Release) => {
          clearTimeout(timer)
          signal?.removeEventListener('abort', leave)
          resolve(r)
        }
        const leave = () => {
          const i = line.indexOf(give)
          if (i >= 0) line.splice(i, 1)
          clearTimeout(timer)
          resolve(undefined)
        }
        const timer = setTimeout(leave, waitMs)
        signal?.addEventListener('abort', leave, { once: true })
        line.push(give)
      })
    },
  }
}
