/** Canaries shaped like the engine's CanarySummary, for the fleet's tests. */
import type { CanarySummary } from '../../src/shared/api';

export function summary(
  context: string,
  namespace: string,
  name: string,
  extra: Partial<CanarySummary> = {},
): CanarySummary {
  return {
    key: `${context}/${namespace}/${name}`,
    context,
    namespace,
    name,
    phase: 'Succeeded',
    canaryWeight: 0,
    failedChecks: 0,
    threshold: 5,
    iterations: 0,
    maxWeight: 50,
    strategy: 'canary',
    provider: 'nginx',
    target: { kind: 'Deployment', name },
    suspended: false,
    controller: 'aviary',
    ...extra,
  };
}

/** n canaries spread over the given clusters, phases cycling. */
export function manyCanaries(n: number, clusters: string[]): CanarySummary[] {
  const phases = ['Progressing', 'Succeeded', 'WaitingPromotion', 'Failed', 'Initialized'] as const;
  return Array.from({ length: n }, (_, i) =>
    summary(
      clusters[i % clusters.length] ?? 'c',
      `ns-${i % 7}`,
      `app-${String(i).padStart(4, '0')}`,
      {
        phase: phases[i % phases.length],
        canaryWeight: (i * 10) % 60,
      },
    ),
  );
}
