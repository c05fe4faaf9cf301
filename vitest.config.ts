import { defineConfig } from 'vitest/config';

// Unit and integration tests run in Node; they need no SvelteKit plugin.
export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
});
