/**
 * Web-mode frames on the WebSocket. The same contract as Electron IPC: an invoke with
 * an id and its outcome, and pushed events. JSON text frames only.
 */
import type { ApiEvent, InvokeOutcome } from './api';

/** Subprotocol names: the first says the contract version, the second carries the token. */
export const WIRE_PROTOCOL = 'aviary.v1';
export const TOKEN_PROTOCOL_PREFIX = 'aviary.token.';

export type ClientFrame = { kind: 'invoke'; id: number; method: string; args: unknown };

export type ServerFrame =
  ({ kind: 'outcome'; id: number } & InvokeOutcome<unknown>) | { kind: 'event'; event: ApiEvent };

export function parseClientFrame(text: string): ClientFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const frame = value as Record<string, unknown>;
  if (frame.kind !== 'invoke' || typeof frame.id !== 'number' || !Number.isSafeInteger(frame.id))
    return undefined;
  if (typeof frame.method !== 'string') return undefined;
  return { kind: 'invoke', id: frame.id, method: frame.method, args: frame.args };
}
