import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.spec.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two test files at a time: on a 2-core machine the default (cores − 1) runs them one by one, while most files
    // spend their time waiting for the binary they spawn. The suite: 1,101 s one by one on this machine.
    maxWorkers: 2,
    reporters: ['default', './test/summaryReporter.ts'],
  },
});
