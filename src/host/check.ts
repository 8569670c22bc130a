/**
 * doctor's look at each enabled host (`CHATGPT_CODEX_HOSTS`): does its config file parse, and
 * does it still hold our entry in the shape this version writes for the registry's models?
 * Read-only: reads the host file and the registry, starts no host process, writes nothing.
 *
 * @see docs/hosts.md "doctor"
 */
import { readFile } from 'node:fs/promises'
import { isDeepStrictEqual } from 'node:util'
import type { Ctx } from '../context.js'
import { run, toFailure } from '../result.js'
import { isObject, type Json } from './host-file.js'
import {
  isOurOpenclawProvider,
  isOurSecretProvider,
  OPENCLAW_API,
  OPENCLAW_PROVIDER_ID,
  openclawProvider,
  openclawSecretProvider,
} from './openclaw.js'
import { isOurPiProvider, PI_PROVIDER_ID, piModelsPath, piProvider } from './pi.js'
import { readRegistry, type RegistryModel } from './registry.js'

/** The same shape as doctor's findings. */
export interface HostFinding {
  id: string
  severity: 'info' | 'warning' | 'error'
  message: string
  fix: string | null
}

type Host = 'pi' | 'openclaw'

/** Where each host keeps our entries, what they are, and what we would write now. */
function entries(ctx: Ctx, host: Host, doc: Json, models: RegistryModel[]) {
  const at = (o: unknown, ...keys: string[]): unknown =>
    keys.reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), o)
  if (host === 'pi') {
    return [
      {
        name: `providers.${PI_PROVIDER_ID}`,
        value: at(doc, 'providers', PI_PROVIDER_ID),
        ours: isOurPiProvider,
        want: () => piProvider(ctx, models),
      },
    ]
  }
  return [
    {
      name: `models.providers.${OPENCLAW_PROVIDER_ID}`,
      value: at(doc, 'models', 'providers', OPENCLAW_PROVIDER_ID),
      ours: isOurOpenclawProvider,
      want: () => openclawProvider(ctx, models),
    },
    {
      name: `secrets.providers.${OPENCLAW_PROVIDER_ID}`,
      value: at(doc, 'secrets', 'providers', OPENCLAW_PROVIDER_ID),
      ours: isOurSecretProvider,
      want: () => openclawSecretProvider(ctx),
    },
  ]
}

const REWRITE = () =>
  `Run ${run('models', '--force')} to rewrite it (the previous file is kept as <file>.bak).`

/** The findings for one host's file. */
async function checkHost(ctx: Ctx, host: Host, signedIn: boolean, models: RegistryModel[]) {
  const path = host === 'pi' ? piModelsPath(ctx) : ctx.config.openclawConfigPath
  const f = (id: string, severity: HostFinding['severity'], message: string, fix: string | null) =>
    ({ id, severity, message: `${host}: ${message}`, fix }) as HostFinding
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      return f(
        'host_file_unreadable',
        'error',
        `${path} cannot be read (${(err as NodeJS.ErrnoException).code})`,
        'Check its owner and permissions.',
      )
    return signedIn
      ? f(
          'host_file_missing',
          'warning',
          `${path} does not exist: the models are not in ${host}`,
          `Run ${run('models', '--force')} to write it.`,
        )
      : f('host_ok', 'info', `${path} does not exist (not signed in: nothing to register)`, null)
  }
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    doc = undefined
  }
  if (!isObject(doc))
    return f(
      'host_file_invalid',
      'error',
      `${path} does not parse as a JSON object: ${host} cannot load it`,
      `Fix the file by hand (see docs/hosts.md); ${path}.bak may hold the version before our last write.`,
    )
  const found = entries(ctx, host, doc, models)
  const present = found.filter((e) => e.value !== undefined)
  const foreign = present.find((e) => !e.ours(e.value))
  if (foreign)
    return f(
      'host_entry_foreign',
      'warning',
      `${path} has a "${foreign.name}" entry this tool did not write; it is left alone and the models are not registered there`,
      `Rename or remove that entry, then run ${run('models', '--force')}.`,
    )
  if (!signedIn)
    return present.length
      ? f(
          'host_entry_stale',
          'warning',
          `${path} still holds our entry while not signed in`,
          `Run ${run('logout')} to remove it.`,
        )
      : f('host_ok', 'info', `${path} parses and holds no entry of ours (not signed in)`, null)
  if (present.length < found.length)
    return f(
      'host_entry_missing',
      'warning',
      `${path} parses but lacks ${found
        .filter((e) => e.value === undefined)
        .map((e) => `"${e.name}"`)
        .join(' and ')}: the models are not in ${host}`,
      `Run ${run('models', '--force')} to write it.`,
    )
  const api = (found[0]!.value as Json).api
  if (host === 'openclaw' && api !== OPENCLAW_API)
    return f(
      'host_entry_outdated',
      'error',
      `${path} holds our provider with api "${String(api)}", which OpenClaw 2026.9.6 refuses (and then refuses the whole config)`,
      REWRITE(),
    )
  const differs = found.filter((e) => !isDeepStrictEqual(e.value, e.want()))
  if (differs.length)
    return f(
      'host_entry_outdated',
      'warning',
      `${path} holds our entry, but ${differs.map((e) => `"${e.name}"`).join(' and ')} differs from what this version writes for the current models`,
      REWRITE(),
    )
  return f(
    'host_ok',
    'info',
    `${path} parses and holds our entry as written (${models.length} models)`,
    null,
  )
}

/** One finding per enabled host. Never throws: a failed check is itself a finding. */
export async function checkHosts(ctx: Ctx): Promise<HostFinding[]> {
  const out: HostFinding[] = []
  const reg = ctx.config.hosts.length ? await readRegistry(ctx) : undefined
  const signedIn = reg?.provider.state === 'signed-in'
  for (const host of ctx.config.hosts) {
    try {
      out.push(await checkHost(ctx, host, signedIn, reg?.models ?? []))
    } catch (err) {
      out.push({
        id: 'host_check_failed',
        severity: 'warning',
        message: `${host}: ${toFailure(err).error}`,
        fix: null,
      })
    }
  }
  return out
}
