/** The emulator's memory: device logins, auth codes, token lineages, counters. */
import { readFileSync } from 'node:fs'
import type { EmuAccount, EmuModes, RecordedRequest, Stats } from './types.js'

export interface DeviceLogin {
  device_auth_id: string
  user_code: string
  expires_at: number
  status: 'pending' | 'approved' | 'denied' | 'collected'
}
export interface AuthCode {
  challenge: string
  redirect_uri: string
  account: EmuAccount
  used: boolean
}
export interface RefreshRecord {
  account: EmuAccount
  state: 'active' | 'used' | 'revoked'
}
export interface AccessRecord {
  account: EmuAccount
  exp: number
}

export const defaultModels = (): Record<string, unknown>[] =>
  JSON.parse(readFileSync(new URL('../../fixtures/emulator-models.json', import.meta.url), 'utf8'))

export class EmuState {
  devices: DeviceLogin[] = []
  codes = new Map<string, AuthCode>()
  refresh = new Map<string, RefreshRecord>()
  access = new Map<string, AccessRecord>()
  minted: string[] = []
  requests: RecordedRequest[] = []
  stats: Stats = { refreshes: 0, reuse: 0, revoked: 0, exchanges: 0, aborted: 0 }
  account: EmuAccount
  modes: EmuModes

  constructor(account: Partial<EmuAccount> | undefined, accessTtlS: number) {
    this.account = {
      email: 'user@example.com',
      account_id: '3f1c2a4e-0000-4000-8000-emulator0001',
      plan: 'pro',
      user_id: 'user-emulator-1',
      ...account,
    }
    this.modes = {
      usercode: 'ok',
      interval: '5',
      pendingStatus: 403,
      accessTtlS,
      refresh: 'ok',
      authorize: 'approve',
      faults: {},
      responses: { reply: 'text', mode: 'ok' },
      models: defaultModels(),
    }
  }

  mint<T extends string>(secret: T): T {
    this.minted.push(secret)
    return secret
  }

  count(route: string): number {
    if (route === 'refresh') return this.stats.refreshes
    if (route === 'exchange') return this.stats.exchanges
    return this.requests.filter((r) => `${r.method} ${r.path}` === route).length
  }
}
