/** The engine's log records: what Flagger's zap logger prints, for Aviary's log view. */
import type { LogLevel } from './ports';

export interface EngineLogRecord {
  /** RFC 3339 with milliseconds, on the engine's clock. */
  time: string;
  level: LogLevel;
  /** `name.namespace`, as Flagger's `canary` log field. */
  canary: string;
  message: string;
  /** The kube context the record is about. */
  cluster: string;
}

export type EngineLog = (record: EngineLogRecord) => void;

/** A record for `canary` (metadata.name/namespace) at the clock's time. */
export function logRecord(
  now: number,
  cluster: string,
  canary: { metadata: { name: string; namespace: string } },
  level: LogLevel,
  message: string,
): EngineLogRecord {
  return {
    time: new Date(now).toISOString(),
    level,
    canary: `${canary.metadata.name}.${canary.metadata.namespace}`,
    message,
    cluster,
  };
}
