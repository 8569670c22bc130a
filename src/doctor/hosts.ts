/**
 * `doctor`'s checks of what the hosts see: the registry and its marker agree with the sign-in,
 * and the gateway runs where its record says.
 */
import type { Check, Finding } from './finding.js'
import { run } from '../result.js'
import { readCredentials } from './parse.js'

/** The registry (issue 4) says signed-in exactly when the credentials do; the marker follows it. */
export const registry: Check = (s) => {
  const r = readCredentials(s)
  if (!('value' in r)) return []
  const signedIn = !!r.value && !r.value.reauth
  let state: string | undefined
  let readsHome: unknown
  if (s.registry.text !== undefined) {
    try {
      const doc = JSON.parse(s.registry.text) as {
        provider?: { state?: unknown; credential?: { env?: Record<string, unknown> } }
      }
      state = typeof doc.provider?.state === 'string' ? doc.provider.state : 'unknown'
      readsHome = doc.provider?.credential?.env?.CHATGPT_CODEX_HOME
    } catch {
      state = 'unreadable'
    }
  }
  const out: Finding[] = []
  if (typeof readsHome === 'string' && readsHome !== s.ctx.config.home) {
    out.push({
      id: 'registry_inconsistent',
      severity: 'warning',
      message: `The registry's credential command reads ${readsHome}, not this state dir (${s.ctx.config.home})`,
      hint: `Run ${run('models', '--force')} with the CHATGPT_CODEX_HOME the hosts should use.`,
    })
  }
  const registered = state === 'signed-in'
  if (signedIn && !registered) {
    out.push({
      id: 'registry_inconsistent',
      severity: 'warning',
      message:
        state === undefined
          ? `Signed in, but ${s.registry.path} does not exist: hosts do not list the models`
          : `Signed in, but ${s.registry.path} says "${state}"`,
      hint: `Run ${run('models', '--force')} to register the models again.`,
    })
  } else if (!signedIn && state !== undefined && registered) {
    out.push({
      id: 'registry_inconsistent',
      severity: 'warning',
      message: `Not signed in, but ${s.registry.path} still lists the models as signed-in`,
      hint: `Run ${run('logout')} to unregister them.`,
    })
  }
  if (state !== undefined && s.marker.kind === 'missing') {
    out.push({
      id: 'marker_missing',
      severity: 'warning',
      message: `${s.marker.path} is missing: hosts watching it will not notice registry changes`,
      hint: `Run ${run('models', '--force')} to write it.`,
    })
  } else if (state !== undefined && (s.marker.mtimeMs ?? 0) + 1000 < (s.registry.mtimeMs ?? 0)) {
    out.push({
      id: 'marker_stale',
      severity: 'warning',
      message: `${s.marker.path} is older than the registry: hosts may show an old model list`,
      hint: `Run ${run('models', '--force')} to bump it.`,
    })
  }
  return out
}

/** The gateway (`serve`): running where, or a record left by one that died. */
export const gateway: Check = (s) => {
  const g = s.gateway
  if (!g) return []
  if (g.alive) {
    return [
      {
        id: 'gateway_running',
        severity: 'info',
        message: `The gateway runs at ${g.url} (pid ${g.pid})`,
        hint: null,
      },
    ]
  }
  return [
    {
      id: 'gateway_gone',
      severity: 'warning',
      message: `A gateway was recorded at ${g.url} (pid ${g.pid}) but its process is gone`,
      hint: `Run ${run('serve', '--detach')} to start it again, or ${run('serve', '--stop')} to clear the record.`,
    },
  ]
}
