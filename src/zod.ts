/**
 * The project's zod: `zod/mini`, configured once. Every schema file imports `* as z` from here.
 *
 * Why mini: an agent runs this tool as a fresh process per step, and classic zod gives every
 * schema instance dozens of chainable methods at construction; building the schemas a cold
 * `status` needs cost ~15 ms of a ~50 ms budget. Mini is the same validator core with a
 * functional API (`z.optional(x)`, `x.check(z.minLength(1))`) and costs ~1 ms here.
 *
 * Why configured: mini loads no locale (every message would read "Invalid input"), and its
 * object parsers are otherwise compiled with `new Function` at first use, which a one-shot
 * process pays for without ever reusing (and which the V8 code cache cannot hold). This module
 * runs before any schema is built because every schema file imports it.
 */
import en from 'zod/v4/locales/en.js'
import { config } from 'zod/mini'

// The English locale alone: `locales` from zod/mini is every language (~200 KB in a bundle).
config({ jitless: true, ...en() })

export * from 'zod/mini'
