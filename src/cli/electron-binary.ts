/**
 * Finds the Electron binary without loading the electron package: its index
 * throws when its binary was never downloaded, which is the normal case on machines
 * that cannot reach Electron's download host (npm removes or half-installs it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

export interface ElectronBinary {
  path: string;
  version: string;
}

export function findElectronBinary(projectRoot: string): ElectronBinary | undefined {
  const require = createRequire(join(projectRoot, 'package.json'));
  let packageJson: string;
  try {
    packageJson = require.resolve('electron/package.json');
  } catch {
    return undefined;
  }
  const dir = dirname(packageJson);
  const version = (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const pathTxt = join(dir, 'path.txt');
  if (override) {
    const candidate = join(override, readFileSync(pathTxt, 'utf8').trim() || 'electron');
    return existsSync(candidate) ? { path: candidate, version } : undefined;
  }
  if (!existsSync(pathTxt)) return undefined;
  const binary = join(dir, 'dist', readFileSync(pathTxt, 'utf8').trim());
  return existsSync(binary) ? { path: binary, version } : undefined;
}
