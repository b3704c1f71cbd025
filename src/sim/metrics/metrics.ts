/**
 * What one simulated request produced, and the seam for per-provider metrics: each
 * provider file exports its families under the provider's own metric names and labels,
 * so Flagger's builtin queries (spec/flagger.md §4) run unchanged against them.
 */
import type { Registry } from 'prom-client';

export interface RequestObservation {
  namespace: string;
  pod: string;
  method: string;
  status: number;
  durationSeconds: number;
  /** Set when a provider routed the request; its labels as the provider reports them. */
  route?: { provider: string; labels: Record<string, string> };
}

export interface ProviderMetrics {
  readonly provider: string;
  observe(labels: Record<string, string>, observation: RequestObservation): void;
}

export type ProviderMetricsFactory = (registry: Registry) => ProviderMetrics;

/** Prometheus client_golang's DefBuckets, used by ingress-nginx and podinfo alike. */
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
