/**
 * A child process for the crash test: rewrites one credentials file through the project's own
 * `writeJson` in a tight loop until it is killed. Each version carries its sequence number in
 * `last_refresh` and a padding of random size, so writes take long enough to be interrupted.
 * After each completed write it prints the sequence number (pipes are synchronous on Linux).
 *
 * Usage: node crash-writer.mjs <file> <first-seq>
 */
import { randomBytes } from 'node:crypto'
import { writeJson } from '../../src/store/json-file.js'
import type { Credentials } from '../../src/store/schemas.js'

const [file, first] = process.argv.slice(2)
if (!file || !first) throw new Error('usage: crash-writer <file> <first-seq>')

/** A valid Credentials object (fake tokens, never minted by anyone) for sequence `seq`. */
function version(seq: number): Credentials {
  const pad = randomBytes(1024 + Math.floor(Math.random() * 192 * 1024)).toString('base64url')
  return {
    schemaVersion: 1,
    tokens: {
      id_token: `fake.${pad}`,
      access_token: 'fake-access',
      refresh_token: 'fake-refresh',
      account_id: 'acc',
    },
    account: { email: null, plan: null, account_id: 'acc', user_id: null },
    access_expires_at: null,
    access_issued_at: null,
    last_refresh: seq,
    issuer: 'http://127.0.0.1:1',
    reauth: null,
  }
}

process.stdout.write('ready\n')
for (let seq = Number(first); ; seq++) {
  // The only writer of this file, so the temp sweep of a locked write is safe here too.
  await writeJson(file, version(seq), { locked: true })
  process.stdout.write(`${seq}\n`)
}
