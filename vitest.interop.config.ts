import { defineConfig } from 'vitest/config';

// Interop suite: real peers built from Go modules and Debian packages.
export default defineConfig({
  test: {
    include: ['test/interop/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 900_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
