/**
 * `npm run bench`: runs every test/bench/*.bench.ts and prints its figures. Benchmarks
 * measure; they do not pass or fail (speed is not asserted in tests).
 *
 *   npm run bench                 all benchmarks
 *   npm run bench -- apiserver    only those whose file name contains "apiserver"
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export type Figures = Record<string, number | string>;
export interface BenchModule {
  /** One line about what is measured and on what. */
  title: string;
  run(): Promise<Figures>;
}

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv.slice(2).find((a) => !a.startsWith('-'));

function format(value: number | string): string {
  if (typeof value === 'string') return value;
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
}

async function main(): Promise<void> {
  const files = readdirSync(here)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => !filter || f.includes(filter))
    .sort();
  console.log(
    `node ${process.version}, ${process.platform}/${process.arch}, ${(await import('node:os')).cpus().length} cores`,
  );
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as Partial<BenchModule>;
    if (typeof mod.run !== 'function') continue;
    console.log(`\n## ${mod.title ?? file}`);
    const started = performance.now();
    const figures = await mod.run();
    const width = Math.max(...Object.keys(figures).map((k) => k.length));
    for (const [name, value] of Object.entries(figures))
      console.log(`  ${name.padEnd(width)}  ${format(value)}`);
    console.log(`  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
