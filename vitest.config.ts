import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Two files at a time on the 2-core CI machine: most of a test's time is spent waiting on
    // child processes and loopback servers, so the default (cores - 1 = one file at a time)
    // left a core idle and the suite at ~300 s.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The JSON report gives .ci/run its "N passed, N failed" line; the default one is for people.
    reporters: ['default', 'json'],
    // Sums the per-file secret scans and reliability figures, and prints the totals.
    globalSetup: ['test/helpers/summary.ts'],
    outputFile: { json: 'test-results/vitest.json' },
  },
})
