/**
 * The renderer's one way to reach the engine: the AviaryApi contract over whichever
 * transport this page runs on (Electron IPC through the preload, or web mode's WebSocket).
 */
import type {
  ApiEvent,
  AviaryApi,
  InvokeOutcome,
  MethodArgs,
  MethodName,
  MethodResults,
} from '../../../shared/api';
import { outcomeValue } from '../../../shared/dispatch';
import type { AviaryBridge } from './env';
import { apiUrl, takeToken, WebSocketTransport } from './web-socket';

/**
 * - connecting: first connection not yet open (nothing to show yet)
 * - open: requests and events flow
 * - reconnecting: the connection dropped; retrying with backoff
 * - expired: the server refused our token; only a new link helps
 */
export type TransportState = 'connecting' | 'open' | 'reconnecting' | 'expired';

export interface Transport {
  readonly mode: 'electron' | 'web';
  readonly api: AviaryApi;
  readonly state: TransportState;
  /** Every state change. An 'open' after 'reconnecting' means events may have been missed. */
  onStateChange(listener: (state: TransportState) => void): () => void;
  close(): void;
}

/** Electron: the preload's bridge is always there, so the transport is always open. */
export class ElectronTransport implements Transport {
  readonly mode = 'electron';
  readonly state: TransportState = 'open';
  readonly api: AviaryApi;

  constructor(bridge: AviaryBridge) {
    this.api = {
      invoke: async <M extends MethodName>(method: M, args: MethodArgs<M>) => {
        const outcome = await bridge.invoke(method, args);
        // The engine answers each method with its MethodResults type (src/shared/api.ts).
        return outcomeValue(outcome as InvokeOutcome<MethodResults[M]>, method);
      },
      subscribe: (listener: (event: ApiEvent) => void) => bridge.onEvent(listener),
    };
  }

  onStateChange(): () => void {
    return () => undefined;
  }

  close(): void {}
}

export function createTransport(win: Window = window): Transport {
  if (win.aviary) return new ElectronTransport(win.aviary);
  return new WebSocketTransport({ url: apiUrl(win.location), token: takeToken(win) });
}
