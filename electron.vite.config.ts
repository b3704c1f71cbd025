import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { rendererConfig } from './vite.renderer.config';

// Three builds: the Electron main process, the preload script, and the renderer. Web mode
// serves the same renderer build (out/renderer), so there is exactly one UI bundle.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: { index: resolve('src/main/index.ts') },
        // A native module, and an optional dependency (electron-vite externalizes only
        // `dependencies`): loaded at run time, or the keychain is reported unavailable.
        external: ['keytar'],
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { format: 'cjs' },
      },
    },
  },
  renderer: rendererConfig,
});
