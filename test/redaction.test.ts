/**
 * Secret hygiene of the one redaction layer (`toFailure` -> `redact`): messages that embed
 * upstream bodies or URLs come out with nothing token-shaped and no 24-character fragment of
 * any secret the process has handled, including fragments cut out of a longer token (an error
 * snippet truncated mid-token). Property-based over random secrets and surrounding text.
 * Also checks the scanner itself (test/helpers/leaks.ts) on the 24-character fragment rule.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { statusError } from '../src/http.js'
import { redact, registerSecret } from '../src/redact.js'
import { SkillError, toFailure } from '../src/result.js'
import { figure } from './helpers/figures.js'
import { FRAGMENT, findLeaks } from './helpers/leaks.js'
import { fakeJwt } from './helpers/state.js'

const RUNS = 300
const alnum = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-'),
  minLength: 24,
  maxLength: 80,
})
// The worst case for shape rules: one case, no digit, so only the known-value net can catch it.
const plain = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'),
  minLength: 24,
  maxLength: 80,
})
const filler = fc.string({ unit: fc.constantFrom(...'abc xyz:/.,={}"\'\n'), maxLength: 40 })
let checked = 0

const scrubbed = (message: string, secrets: string[]) => {
  const out = toFailure(new SkillError('upstream_error', message))
  checked++
  return findLeaks([JSON.stringify(out)], secrets)
}

describe('the leak scanner (24-character fragment rule)', () => {
  it('finds any 24-character piece of a secret, and nothing shorter', () => {
    const secret = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEF'
    expect(findLeaks([`x ${secret.slice(5, 5 + FRAGMENT)} y`], [secret])).toHaveLength(1)
    expect(findLeaks([`x ${secret.slice(5, 5 + FRAGMENT - 1)} y`], [secret])).toEqual([])
    expect(findLeaks([`whole: ${secret}`], [secret]).length).toBeGreaterThan(0)
    // Secrets shorter than the fragment are looked for whole.
    expect(findLeaks(['code ABCD-1234 here'], ['ABCD-1234'])).toHaveLength(1)
  })
})

describe('redaction layer (property-based)', () => {
  it('known secrets: whole, or any piece of 16+ characters, never survive an error message', () => {
    fc.assert(
      fc.property(
        fc.oneof(alnum, plain),
        filler,
        filler,
        fc.nat(),
        fc.integer({ min: 16, max: 80 }),
        (secret, a, b, start, len) => {
          registerSecret(secret)
          const from = start % Math.max(1, secret.length - 16)
          const piece = secret.slice(from, from + len)
          fc.pre(piece.length >= 16)
          expect(scrubbed(`${a}${secret}${b}`, [secret])).toEqual([])
          expect(redact(`${a}${piece}${b}`)).not.toContain(piece)
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('token shapes from unknown origins: JWTs, rt_, sk-, bearer, secret-named fields and query params', () => {
    fc.assert(
      fc.property(alnum, filler, (v, f) => {
        const jwt = fakeJwt({ sub: v, exp: 1 })
        const cases = [
          `${f}${jwt}${f}`,
          `token rt_${v} was rejected`,
          `key sk-${v}`,
          `Authorization: Bearer ${v}`,
          `{"refresh_token":"${v}","error":"x"}`,
          `{"device_auth_id": "${v}"}`,
          `GET https://auth.example/cb?code=${v}&state=s`,
          `code_verifier=${v}`,
        ]
        for (const c of cases)
          expect(
            scrubbed(
              c,
              [jwt.split('.')[1]!.slice(0, 30), v].filter((s) => s.length >= 24 && c.includes(s)),
            ),
          ).toEqual([])
      }),
      { numRuns: RUNS },
    )
  })

  it('an upstream error body cut mid-token (statusError snippet) leaks no fragment of a handled token', () => {
    fc.assert(
      fc.property(fc.oneof(alnum, plain), fc.integer({ min: 120, max: 199 }), (secret, at) => {
        registerSecret(secret)
        // The body's first 200 characters end inside the secret.
        const prefix = `{"error":{"message":"bad token ${'.'.repeat(Math.max(0, at - 30))}`
        const body = `${prefix}${secret}"}}`
        const err = statusError({ status: 400, headers: {}, text: body }, 'The call', Date.now())
        expect(findLeaks([JSON.stringify(toFailure(err))], [secret])).toEqual([])
      }),
      { numRuns: RUNS },
    )
    figure('redaction_units', { messages_checked: checked })
  })
})
