/**
 * The playground's Prometheus: the real binary when one is installed and the playground
 * runs on the system clock, else the built-in evaluator (which follows any Clock).
 */
import { systemClock, type Clock } from '../../shared/clock';
import { startBuiltinPrometheus } from './http';
import { findPrometheusBinary, startRealPrometheus, type PrometheusTarget } from './real';
import type { ScrapeTarget } from './tsdb';

export { startBuiltinPrometheus, createPrometheusHandler } from './http';
export type { BuiltinPrometheus, BuiltinPrometheusOptions, PrometheusHandler } from './http';
export { startRealPrometheus, findPrometheusBinary, prometheusOption } from './real';
export type { RealPrometheus, RealPrometheusOptions, PrometheusTarget } from './real';
export { evaluateInstant, evaluateRange, parseQuery, PromQLError } from './engine';
export { Tsdb, Scraper, ScrapeIngester, SCRAPE_TIMESTAMP_HEADER } from './tsdb';
export type { ScrapeTarget } from './tsdb';

export interface PlaygroundPrometheusOptions {
  targets: () => readonly ScrapeTarget[];
  clock: Clock;
  scrapeIntervalMs?: number;
  /** The --prometheus PATH option; 'builtin' forces the built-in evaluator. */
  binary?: string;
}

export interface PlaygroundPrometheus {
  kind: 'real' | 'builtin';
  url: string;
  stop(): Promise<void>;
}

export async function startPlaygroundPrometheus(
  options: PlaygroundPrometheusOptions,
): Promise<PlaygroundPrometheus> {
  const binary = options.binary === 'builtin' ? undefined : findPrometheusBinary(options.binary);
  const initial = options.targets();
  // A real Prometheus stamps samples with wall time and scrapes only URLs.
  const usable = binary && options.clock === systemClock && initial.every((t) => 'url' in t);
  if (!usable) {
    const builtin = await startBuiltinPrometheus({
      targets: options.targets,
      clock: options.clock,
      ...(options.scrapeIntervalMs !== undefined
        ? { scrapeIntervalMs: options.scrapeIntervalMs }
        : {}),
    });
    return { kind: 'builtin', url: builtin.url, stop: () => builtin.stop() };
  }
  const urlTargets = (): PrometheusTarget[] =>
    options.targets().flatMap((t) => ('url' in t ? [{ job: t.job, url: t.url }] : []));
  let current = JSON.stringify(urlTargets());
  const real = await startRealPrometheus({
    binary,
    targets: urlTargets(),
    ...(options.scrapeIntervalMs !== undefined
      ? { scrapeIntervalMs: options.scrapeIntervalMs }
      : {}),
  });
  // Clusters come and go: follow the target list with a config reload when it changes.
  const timer = setInterval(() => {
    const next = urlTargets();
    const key = JSON.stringify(next);
    if (key === current) return;
    current = key;
    real.setTargets(next).catch((err: unknown) => console.error(`prometheus: ${String(err)}`));
  }, options.scrapeIntervalMs ?? 5000);
  timer.unref();
  return {
    kind: 'real',
    url: real.url,
    async stop() {
      clearInterval(timer);
      await real.stop();
    },
  };
}
