/**
 * Flagger's recordEventInfof / Warningf / Errorf (pkg/controller/events.go): a log record, a
 * core/v1 Event on the Canary with reason "Synced", and the event webhooks.
 *
 * The Event is written as client-go's EventRecorder writes it, so `kubectl describe canary`
 * reads the same: named `<canary>.<hex unix nanos>`, source.component "flagger"; a repeat of
 * an identical event bumps `count` and `lastTimestamp` on the existing object, and from the
 * tenth distinct message about the same canary within 10 minutes the EventAggregator folds
 * them into one "(combined from similar events): ..." event (events_cache.go).
 */
import type { Canary } from '../canary';
import type { KubeApi, KubeObject } from '../kube/api';
import { isNotFound } from '../kube/api';
import type { Clock } from '../../shared/clock';
import { systemClock } from '../../shared/clock';
import type { EngineLog } from './log';
import { logRecord } from './log';
import type { EventRecorder, EventType, LogLevel, WebhookCaller } from './ports';

export interface EventRecorderOptions {
  api: KubeApi;
  webhooks: WebhookCaller;
  log: EngineLog;
  clock?: Clock;
  /** source.component (Flagger's controllerAgentName). */
  component?: string;
}

export const EVENT_REASON = 'Synced';
/** client-go's EventAggregator defaults. */
const AGGREGATE_MAX_EVENTS = 10;
const AGGREGATE_INTERVAL_MS = 600_000;
const CACHE_SIZE = 4096;

interface InvolvedObject {
  kind: 'Canary';
  namespace: string;
  name: string;
  uid?: string;
  apiVersion: string;
  resourceVersion?: string;
}

interface Observation {
  name: string;
  count: number;
  firstTimestamp: string;
}

/** A Map with least-recently-used eviction, like client-go's lru caches. */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly size: number) {}
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.size) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
  }
}

/** metav1.Time: RFC 3339 in whole seconds. */
const metaTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function createEventRecorder(options: EventRecorderOptions): EventRecorder {
  const clock = options.clock ?? systemClock;
  const component = options.component ?? 'flagger';
  const observed = new Lru<Observation>(CACHE_SIZE);
  const aggregates = new Lru<{ messages: Set<string>; last: number }>(CACHE_SIZE);
  // Event names carry unix nanoseconds; the clock has milliseconds, so keep them strictly rising.
  let lastNanos = 0n;
  const nanos = (now: number): bigint => {
    const n = BigInt(now) * 1_000_000n;
    lastNanos = n > lastNanos ? n : lastNanos + 1n;
    return lastNanos;
  };

  const log = (canary: Canary, level: LogLevel, message: string): void =>
    options.log(logRecord(clock.now(), options.api.context, canary, level, message));

  /** EventAggregate: the message to write and the key its count is kept under. */
  const aggregate = (
    involved: InvolvedObject,
    type: EventType,
    message: string,
    now: number,
  ): { message: string; key: string; aggregated: boolean } => {
    const base = [component, '', involved.kind, involved.namespace, involved.name];
    const objectKey = [...base, involved.uid ?? '', involved.apiVersion, type, EVENT_REASON];
    const eventKey = [...objectKey, message].join('');
    const aggregateKey = [...objectKey, component, ''].join('');
    let record = aggregates.get(aggregateKey);
    if (!record || now - record.last > AGGREGATE_INTERVAL_MS)
      record = { messages: new Set(), last: now };
    record.messages.add(message);
    record.last = now;
    aggregates.set(aggregateKey, record);
    if (record.messages.size < AGGREGATE_MAX_EVENTS)
      return { message, key: eventKey, aggregated: false };
    // Keep the set below the threshold (sets.String.PopAny), so every later one aggregates too.
    const any = record.messages.values().next();
    if (!any.done) record.messages.delete(any.value);
    return {
      message: `(combined from similar events): ${message}`,
      key: aggregateKey,
      aggregated: true,
    };
  };

  const writeEvent = async (canary: Canary, type: EventType, text: string): Promise<void> => {
    const now = clock.now();
    const involved: InvolvedObject = {
      kind: 'Canary',
      namespace: canary.metadata.namespace,
      name: canary.metadata.name,
      ...(canary.metadata.uid ? { uid: canary.metadata.uid } : {}),
      apiVersion: canary.apiVersion,
      ...(canary.metadata.resourceVersion
        ? { resourceVersion: canary.metadata.resourceVersion }
        : {}),
    };
    const { message, key } = aggregate(involved, type, text, now);
    const timestamp = metaTime(now);
    const previous = observed.get(key);
    const count = (previous?.count ?? 0) + 1;
    const name = previous?.name ?? `${canary.metadata.name}.${nanos(now).toString(16)}`;
    const firstTimestamp = previous?.firstTimestamp ?? timestamp;
    observed.set(key, { name, count, firstTimestamp });

    if (previous) {
      try {
        await options.api.mergePatch(
          { apiVersion: 'v1', kind: 'Event', namespace: canary.metadata.namespace, name },
          { count, lastTimestamp: timestamp, message },
        );
        return;
      } catch (err) {
        // The Event may have expired (TTL) or been deleted: create it again, as client-go does.
        if (!isNotFound(err)) throw err;
      }
    }
    const event: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: canary.metadata.namespace },
      involvedObject: involved,
      reason: EVENT_REASON,
      message,
      source: { component },
      firstTimestamp,
      lastTimestamp: timestamp,
      count,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: '',
    };
    await options.api.create(event);
  };

  const record = async (
    canary: Canary,
    level: LogLevel,
    type: EventType,
    message: string,
  ): Promise<void> => {
    log(canary, level, message);
    try {
      await writeEvent(canary, type, message);
    } catch (err) {
      // client-go logs and drops events it cannot write; so do we.
      log(
        canary,
        'error',
        `Server rejected event '${type}' '${EVENT_REASON}' '${message}' (will not retry!): ${(err as Error).message}`,
      );
    }
    await options.webhooks.callEventHooks(canary, message, type);
  };

  return {
    // recordEventWarningf logs at info level, as Flagger does.
    info: (canary, message) => record(canary, 'info', 'Normal', message),
    warning: (canary, message) => record(canary, 'info', 'Warning', message),
    error: (canary, message) => record(canary, 'error', 'Warning', message),
  };
}
