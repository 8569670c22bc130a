import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The JSON report gives .ci/run its "N passed, N failed" line; the default one is for people.
    reporters: ['default', 'json'],
    // Sums the per-file secret scans and reliability figures, and prints the totals.
    globalSetup: ['test/helpers/summary.ts'],
    outputFile: { json: 'test-results/vitest.json' },
  },
})
