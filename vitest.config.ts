import { defineConfig } from 'vitest/config';

// The project's own suite: TypeScript and npm packages only (see DESIGN "Tests").
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/interop/**'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
