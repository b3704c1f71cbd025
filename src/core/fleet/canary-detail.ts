/**
 * What the canary detail view shows besides the series and the log: the Canary as YAML with
 * its validation errors pointed at lines, the Events on it, the generated objects, and for
 * each action whether it may be taken now and, when not, why — in this order of reasons:
 * the cluster (offline, observed only, another desktop holds the Lease, Flagger drives it),
 * the canary (invalid, its phase, no gate), then RBAC (a SelfSubjectAccessReview per write
 * the action makes, with the user's own credentials).
 */
import { LineCounter, parseDocument, stringify, isMap, isSeq, isScalar, type Node } from 'yaml';
import type {
  ActionAvailability,
  CanaryActionName,
  CanaryEventInfo,
  CanaryFieldError,
  CanaryGateInfo,
  CanaryPhaseName,
  CanarySummary,
  ClusterControl,
} from '../../shared/api';
import { describeCheck, type AccessAnswer, type AccessCheck } from '../kube/access-review';
import type { KubeApi, KubeObject } from '../kube/api';

export const ACTION_NAMES: readonly CanaryActionName[] = [
  'promote',
  'rollback',
  'pause',
  'resume',
  'retry',
  'openGate',
  'closeGate',
  'release',
];

/** Phases each engine action accepts (controller/scheduler.ts loadForAction). */
export const ACTION_PHASES: Partial<Record<CanaryActionName, readonly CanaryPhaseName[]>> = {
  promote: ['Progressing', 'WaitingPromotion'],
  rollback: ['Progressing', 'Waiting', 'WaitingPromotion'],
  retry: ['Failed'],
};

const VERBS: Record<CanaryActionName, string> = {
  promote: 'promote',
  rollback: 'roll back',
  pause: 'pause',
  resume: 'resume',
  retry: 'retry',
  openGate: 'open the gate',
  closeGate: 'close the gate',
  release: 'release',
};

export interface ActionContext {
  summary: CanarySummary;
  control: ClusterControl;
  playground: boolean;
  gates: CanaryGateInfo[];
  /** Where the gates' loadtester lives (its Service is reached through the proxy). */
  gateNamespaces: string[];
}

/** Either why the action cannot be taken, or the writes it makes (for RBAC). */
export type ActionRule = { reason: string } | { checks: AccessCheck[] };

function phaseList(phases: readonly string[]): string {
  if (phases.length === 1) return phases[0] ?? '';
  return `${phases.slice(0, -1).join(', ')} or ${phases[phases.length - 1]}`;
}

/** The cluster-level reason that holds for every write, if any. */
function clusterReason(context: string, control: ClusterControl): string | undefined {
  switch (control.mode) {
    case 'offline':
      return `${context} is not connected${control.message ? `: ${control.message}` : ''}`;
    case 'observing':
      return `${context} is observed only: turn control on for this cluster to act on its canaries`;
    case 'standby':
      return `${control.holder ?? 'another Aviary'} controls ${context} (it holds the cluster's Lease)`;
    default:
      return undefined;
  }
}

export function actionRules(ctx: ActionContext): Record<CanaryActionName, ActionRule> {
  const { summary, control } = ctx;
  const ns = summary.namespace;
  const dot = `${summary.name}.${ns}`;
  const statusWrite: AccessCheck = {
    verb: 'update',
    group: 'flagger.app',
    resource: 'canaries',
    subresource: 'status',
    namespace: ns,
  };
  const workloadResource = summary.target.kind === 'DaemonSet' ? 'daemonsets' : 'deployments';
  const workloadWrite: AccessCheck = {
    verb: 'update',
    group: 'apps',
    resource: workloadResource,
    namespace: ns,
  };
  const canaryPatch: AccessCheck = {
    verb: 'patch',
    group: 'flagger.app',
    resource: 'canaries',
    namespace: ns,
  };
  const proxy = (namespace: string): AccessCheck => ({
    verb: 'create',
    group: '',
    resource: 'services',
    subresource: 'proxy',
    namespace,
  });

  const rule = (action: CanaryActionName): ActionRule => {
    const cluster = clusterReason(summary.context, control);
    if (cluster) return { reason: cluster };
    const engineAction = action === 'promote' || action === 'rollback' || action === 'retry';
    if (engineAction && control.mode === 'flagger') {
      return {
        reason: `an in-cluster Flagger drives ${dot}${control.message ? ` (${control.message})` : ''}: it decides promotion and rollback; pause, resume and the gates work`,
      };
    }
    if (engineAction && control.mode !== 'controlling')
      return { reason: `${summary.context} is not ready yet` };
    const invalid =
      summary.errors && summary.errors.length > 0 && action !== 'pause' && action !== 'resume';
    if (invalid && action !== 'release')
      return { reason: `${dot} is invalid: fix its spec first (see the YAML)` };
    const phases = ACTION_PHASES[action];
    if (phases && !phases.includes(summary.phase)) {
      return {
        reason: `cannot ${VERBS[action]} ${dot} in phase ${summary.phase}: only while ${phaseList(phases)}`,
      };
    }
    switch (action) {
      case 'promote':
        return { checks: [statusWrite, workloadWrite] };
      case 'rollback':
      case 'retry':
        return { checks: [statusWrite] };
      case 'pause':
        return summary.suspended
          ? { reason: `${dot} is already paused (spec.suspend is true)` }
          : { checks: [canaryPatch] };
      case 'resume':
        return summary.suspended ? { checks: [canaryPatch] } : { reason: `${dot} is not paused` };
      case 'openGate':
      case 'closeGate': {
        if (!ctx.gates.some((g) => g.operable)) {
          return {
            reason: ctx.gates.length
              ? `the confirm webhooks of ${dot} do not use the loadtester's gate API (…/gate/check)`
              : `${dot} has no confirm-rollout, confirm-traffic-increase or confirm-promotion webhook`,
          };
        }
        const namespaces = ctx.gateNamespaces.length ? ctx.gateNamespaces : [ns];
        return { checks: namespaces.map(proxy) };
      }
      case 'release':
        return ctx.playground
          ? { checks: [workloadWrite] }
          : {
              reason: `${summary.context} is not a playground cluster: release through your own pipeline`,
            };
    }
  };
  const out = {} as Record<CanaryActionName, ActionRule>;
  for (const action of ACTION_NAMES) out[action] = rule(action);
  return out;
}

/** Asks RBAC about the writes of the actions that passed every other rule. */
export async function resolveActions(
  rules: Record<CanaryActionName, ActionRule>,
  can: (check: AccessCheck) => Promise<AccessAnswer>,
): Promise<Record<CanaryActionName, ActionAvailability>> {
  const out = {} as Record<CanaryActionName, ActionAvailability>;
  await Promise.all(
    ACTION_NAMES.map(async (action) => {
      const rule = rules[action];
      if ('reason' in rule) {
        out[action] = { allowed: false, reason: rule.reason };
        return;
      }
      const answers = await Promise.all(rule.checks.map(async (c) => ({ c, a: await can(c) })));
      const denied = answers.find(({ a }) => !a.allowed);
      out[action] = denied
        ? {
            allowed: false,
            reason: `RBAC denies ${describeCheck(denied.c)}${denied.a.reason ? ` (${denied.a.reason})` : ''}`,
          }
        : { allowed: true };
    }),
  );
  return out;
}

// --- YAML -----------------------------------------------------------------------------------

/** The object as `kubectl get -o yaml` prints it, without metadata.managedFields. */
export function objectYaml(object: KubeObject): string {
  const { managedFields: _dropped, ...metadata } = object.metadata;
  void _dropped;
  return stringify({ ...object, metadata }, { lineWidth: 0 });
}

/** `spec.analysis.metrics[0].thresholdRange` → ['spec', 'analysis', 'metrics', 0, 'thresholdRange']. */
export function fieldPathSegments(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const part of path.split('.')) {
    const match = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!match) {
      out.push(part);
      continue;
    }
    if (match[1]) out.push(match[1]);
    for (const index of (match[2] ?? '').matchAll(/\[(\d+)\]/g)) out.push(Number(index[1]));
  }
  return out;
}

/**
 * The 1-based line each error's field is on: the field's key, or for a missing field the
 * deepest parent that exists (a required field is reported where it should be).
 */
export function errorLines(
  yaml: string,
  errors: CanaryFieldError[],
): (CanaryFieldError & { line?: number })[] {
  const lines = new LineCounter();
  const doc = parseDocument(yaml, { lineCounter: lines });
  return errors.map((error) => {
    let node: unknown = doc.contents;
    let offset: number | undefined;
    for (const segment of fieldPathSegments(error.path)) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && p.key.value === segment);
        if (!pair) break;
        const keyRange = (pair.key as Node | null)?.range;
        if (keyRange) offset = keyRange[0];
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment] as Node | undefined;
        if (!item) break;
        if (item.range) offset = item.range[0];
        node = item;
      } else break;
    }
    return offset === undefined ? { ...error } : { ...error, line: lines.linePos(offset).line };
  });
}

// --- Events ---------------------------------------------------------------------------------

interface RawEvent {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  series?: { count?: number; lastObservedTime?: string };
  lastTimestamp?: string | null;
  eventTime?: string | null;
  firstTimestamp?: string | null;
  metadata?: { creationTimestamp?: string };
  source?: { component?: string };
  reportingComponent?: string;
}

/** Events whose involvedObject is the Canary, newest first (at most `limit`). */
export async function canaryEvents(
  api: KubeApi,
  namespace: string,
  name: string,
  limit = 100,
): Promise<CanaryEventInfo[]> {
  const items = await api.list('v1', 'Event', namespace, {
    fieldSelector: `involvedObject.kind=Canary,involvedObject.name=${name}`,
  });
  return items
    .map((item): CanaryEventInfo => {
      const e = item as unknown as RawEvent;
      const lastTime =
        e.series?.lastObservedTime ??
        e.lastTimestamp ??
        e.eventTime ??
        e.firstTimestamp ??
        e.metadata?.creationTimestamp ??
        undefined;
      const source = e.source?.component ?? e.reportingComponent;
      return {
        type: e.type ?? 'Normal',
        reason: e.reason ?? '',
        message: e.message ?? '',
        count: e.series?.count ?? e.count ?? 1,
        ...(lastTime ? { lastTime } : {}),
        ...(source ? { source } : {}),
      };
    })
    .sort((a, b) => (b.lastTime ?? '').localeCompare(a.lastTime ?? ''))
    .slice(0, limit);
}
