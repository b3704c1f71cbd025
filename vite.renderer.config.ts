import { resolve } from 'node:path';
import { defineConfig, type UserConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

/**
 * The renderer build, shared by electron-vite (electron.vite.config.ts) and by web mode.
 * It lives on its own because electron-vite refuses to run at all when the electron
 * package is absent (it reads electron/package.json), which is the normal case on
 * machines that cannot download the Electron binary: web mode must still build.
 */
export const rendererConfig: UserConfig = {
  root: resolve('src/renderer'),
  base: './',
  plugins: [svelte({ configFile: resolve('svelte.config.js') })],
  build: {
    outDir: resolve('out/renderer'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1024,
    rollupOptions: { input: { index: resolve('src/renderer/index.html') } },
  },
};

export default defineConfig(rendererConfig);
