/**
 * The one place a raw request from a transport becomes a handler call. Both transports
 * (Electron IPC in src/main, the WebSocket in src/server) go through here, so the
 * validation and error shape are the same in both modes.
 */
import {
  ApiError,
  isMethodName,
  methods,
  type ApiErrorBody,
  type ApiHandlers,
  type InvokeOutcome,
  type MethodName,
} from './api';
import { SchemaError } from './schema';

export async function dispatchInvoke(
  handlers: ApiHandlers,
  method: unknown,
  rawArgs: unknown,
): Promise<InvokeOutcome<unknown>> {
  if (!isMethodName(method)) {
    return {
      ok: false,
      error: { code: 'invalid-argument', message: `unknown method ${JSON.stringify(method)}` },
    };
  }
  let args: unknown;
  try {
    args = methods[method].parse(rawArgs ?? {}, 'args');
  } catch (err) {
    return { ok: false, error: toErrorBody(err) };
  }
  try {
    // Each handler's argument type is its schema's output, checked just above.
    const handler = handlers[method] as (a: unknown) => Promise<unknown>;
    return { ok: true, value: await handler(args) };
  } catch (err) {
    return { ok: false, error: toErrorBody(err) };
  }
}

export function toErrorBody(err: unknown): ApiErrorBody {
  if (err instanceof ApiError) return err.toBody();
  if (err instanceof SchemaError) return { code: 'invalid-argument', message: err.message };
  // Unexpected errors keep their message (no stack, no object dump that could hold a secret).
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message };
}

export function outcomeValue<T>(outcome: InvokeOutcome<T>, method: MethodName): T {
  if (outcome.ok) return outcome.value;
  throw new ApiError(outcome.error.code, outcome.error.message || `${method} failed`);
}
