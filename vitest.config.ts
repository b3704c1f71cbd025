import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// `npm test` = unit + integration (+ Svelte component tests in jsdom). e2e has its own config.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Integration suites start servers and child processes: keep the 2 cores for them.
          fileParallelism: false,
        },
      },
      {
        plugins: [svelte()],
        // Svelte's browser build is the one that mounts components (see DEVELOPERS.md).
        resolve: { conditions: ['browser'] },
        test: {
          name: 'components',
          include: ['test/unit/**/*.test.svelte.ts'],
          environment: 'jsdom',
        },
      },
    ],
  },
});
