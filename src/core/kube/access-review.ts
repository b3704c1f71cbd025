/**
 * "May I?" before a button is offered: SelfSubjectAccessReview (authorization.k8s.io/v1)
 * asks the API server whether the user's own credentials may do one verb on one resource,
 * as `kubectl auth can-i` does. Answers are remembered for a minute per cluster, so opening
 * a canary's detail again does not ask again.
 */
import type { Clock } from '../../shared/clock';
import { systemClock } from '../../shared/clock';
import type { KubeApi, KubeObject } from './api';

/** One question: `kubectl auth can-i VERB RESOURCE[/SUBRESOURCE] -n NAMESPACE`. */
export interface AccessCheck {
  verb: string;
  /** API group ("" for core). */
  group: string;
  resource: string;
  subresource?: string;
  namespace: string;
}

export interface AccessAnswer {
  allowed: boolean;
  /** The server's reason, when it gave one. */
  reason?: string;
  /** The review itself failed: the answer is a guess (allowed), the action will tell. */
  unknown?: boolean;
}

/** "patch canaries/status in test". */
export function describeCheck(check: AccessCheck): string {
  const resource = `${check.resource}${check.subresource ? `/${check.subresource}` : ''}`;
  const group = check.group ? `.${check.group}` : '';
  return `${check.verb} ${resource}${group} in ${check.namespace}`;
}

export class AccessReviewer {
  private readonly cache = new Map<string, { at: number; answer: Promise<AccessAnswer> }>();
  private readonly clock: Clock;

  constructor(
    private readonly api: KubeApi,
    options: { clock?: Clock; ttlMs?: number } = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.ttlMs = options.ttlMs ?? 60_000;
  }

  private readonly ttlMs: number;

  can(check: AccessCheck): Promise<AccessAnswer> {
    const key = JSON.stringify([
      check.verb,
      check.group,
      check.resource,
      check.subresource ?? '',
      check.namespace,
    ]);
    const now = this.clock.now();
    const cached = this.cache.get(key);
    if (cached && now - cached.at < this.ttlMs) return cached.answer;
    const answer = this.review(check);
    this.cache.set(key, { at: now, answer });
    // A failed review is not remembered: the next look asks again.
    void answer.then((a) => {
      if (a.unknown && this.cache.get(key)?.answer === answer) this.cache.delete(key);
    });
    return answer;
  }

  private async review(check: AccessCheck): Promise<AccessAnswer> {
    const review: KubeObject = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: { name: '' },
      spec: {
        resourceAttributes: {
          namespace: check.namespace,
          verb: check.verb,
          group: check.group,
          resource: check.resource,
          ...(check.subresource ? { subresource: check.subresource } : {}),
        },
      },
    };
    try {
      const answered = await this.api.create(review);
      const status = (answered.status ?? {}) as { allowed?: unknown; reason?: unknown };
      return {
        allowed: status.allowed === true,
        ...(typeof status.reason === 'string' && status.reason ? { reason: status.reason } : {}),
      };
    } catch {
      return { allowed: true, unknown: true };
    }
  }
}
