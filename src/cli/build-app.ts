/**
 * Builds what this machine can run: all three Electron bundles when the Electron
 * binary is present, otherwise the renderer alone for web mode (electron-vite cannot
 * run without the electron package).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';
import { findElectronBinary } from './electron-binary';

export type BuildTarget = 'electron' | 'web';

/** The newest modification time under the given folders (files only). */
function newestMtime(paths: string[]): number {
  let newest = 0;
  const walk = (p: string): void => {
    if (!existsSync(p)) return;
    const info = statSync(p);
    if (info.isDirectory()) {
      for (const entry of readdirSync(p)) walk(join(p, entry));
    } else newest = Math.max(newest, info.mtimeMs);
  };
  paths.forEach(walk);
  return newest;
}

export function buildIsStale(root: string, target: BuildTarget): boolean {
  const outputs =
    target === 'electron'
      ? ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html']
      : ['out/renderer/index.html'];
  const outputTimes = outputs
    .map((o) => join(root, o))
    .map((o) => (existsSync(o) ? statSync(o).mtimeMs : 0));
  const oldestOutput = Math.min(...outputTimes);
  if (oldestOutput === 0) return true;
  const sources =
    target === 'electron'
      ? ['src', 'package.json']
      : ['src/renderer', 'src/shared', 'package.json'];
  return newestMtime(sources.map((s) => join(root, s))) > oldestOutput;
}

export async function buildApp(root: string, target: BuildTarget, quiet = false): Promise<void> {
  if (target === 'electron') {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'],
        {
          cwd: root,
          stdio: quiet ? 'ignore' : 'inherit',
        },
      );
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`electron-vite build exited with ${code}`)),
      );
    });
    return;
  }
  const { rendererConfig } = await import('../../vite.renderer.config');
  await build({ ...rendererConfig, configFile: false, logLevel: quiet ? 'warn' : 'info' });
}

// `npm run build`
if (import.meta.url === `file://${process.argv[1]}`) {
  const root = process.cwd();
  const target: BuildTarget =
    findElectronBinary(root) || process.argv.includes('--electron') ? 'electron' : 'web';
  if (target === 'web')
    console.error('Electron is not installed here: building the renderer for web mode only.');
  buildApp(root, target).catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
