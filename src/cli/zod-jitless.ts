/**
 * Imported first by the bundled entry: a one-shot CLI parses each schema about once, so zod's
 * generated object parsers (`new Function`, compiled at run time and never in the V8 code
 * cache) cost more than they save. Must run before any schema is built: zod reads the flag then.
 */
import { z } from 'zod'

z.config({ jitless: true })
