import { defineConfig } from 'vitest/config';

// End-to-end tests drive Debian's Chromium against the built app; one file at
// a time, since each starts browsers and a server.
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.test.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000
  }
});
