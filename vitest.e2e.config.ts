import { defineConfig } from 'vitest/config';

// Playwright (playwright-core + Debian's Chromium) driving web mode, one file at a time.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    environment: 'node',
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
