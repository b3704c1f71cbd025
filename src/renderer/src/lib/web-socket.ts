/**
 * Web mode's transport: the API contract over one WebSocket to the page's own server,
 * authenticated by the per-launch token (sent as a subprotocol, see src/shared/wire.ts).
 */
import {
  ApiError,
  type ApiEvent,
  type AviaryApi,
  type MethodArgs,
  type MethodName,
  type MethodResults,
} from '../../../shared/api';
import {
  TOKEN_PROTOCOL_PREFIX,
  WIRE_PROTOCOL,
  type ClientFrame,
  type ServerFrame,
} from '../../../shared/wire';
import type { Transport, TransportState } from './api';

const TOKEN_KEY = 'aviary.token';

/**
 * The token arrives in the URL fragment (never sent to a server) and is kept in
 * sessionStorage so a reload still works; it is removed from the address bar so it is not
 * left in history, screenshots or a copied link.
 */
export function takeToken(win: Window): string | undefined {
  const match = /(?:^#|&)token=([^&]+)/.exec(win.location.hash);
  const fromHash = match?.[1] ? decodeURIComponent(match[1]) : undefined;
  if (fromHash) {
    try {
      win.sessionStorage.setItem(TOKEN_KEY, fromHash);
    } catch {
      // Storage can be disabled; the page still works until it is reloaded.
    }
    const { pathname, search } = win.location;
    win.history.replaceState(win.history.state, '', pathname + search);
    return fromHash;
  }
  try {
    return win.sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function apiUrl(location: Location): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api`;
}

/** Does the page's own server answer HTTP? Tells "token refused" from "server gone". */
async function serverAnswers(): Promise<boolean> {
  try {
    await fetch('/', { method: 'HEAD', cache: 'no-store' });
    return true;
  } catch {
    return false;
  }
}

interface Pending {
  frame: ClientFrame;
  sent: boolean;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export interface WebSocketTransportOptions {
  url: string;
  token: string | undefined;
  /** Delays between reconnection attempts; the last one repeats. */
  backoffMs?: readonly number[];
  probeServer?: () => Promise<boolean>;
}

export class WebSocketTransport implements Transport {
  readonly mode = 'web';
  readonly api: AviaryApi;
  #state: TransportState = 'connecting';
  #socket: WebSocket | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #eventListeners = new Set<(event: ApiEvent) => void>();
  readonly #stateListeners = new Set<(state: TransportState) => void>();
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  readonly #options: Required<WebSocketTransportOptions>;

  constructor(options: WebSocketTransportOptions) {
    this.#options = {
      backoffMs: [250, 500, 1000, 2000, 4000],
      probeServer: serverAnswers,
      ...options,
    };
    this.api = {
      invoke: <M extends MethodName>(method: M, args: MethodArgs<M>) =>
        // The engine answers each method with its MethodResults type (src/shared/api.ts).
        this.#invoke(method, args) as Promise<MethodResults[M]>,
      subscribe: (listener) => {
        this.#eventListeners.add(listener);
        return () => this.#eventListeners.delete(listener);
      },
    };
    if (options.token) this.#connect();
    else this.#state = 'expired';
  }

  get state(): TransportState {
    return this.#state;
  }

  onStateChange(listener: (state: TransportState) => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#socket?.close(1000, 'page closed');
    this.#rejectAll(() => true, 'The connection to Aviary was closed.');
  }

  #invoke(method: MethodName, args: unknown): Promise<unknown> {
    if (this.#state === 'expired') {
      return Promise.reject(new ApiError('unavailable', 'This link has expired.'));
    }
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      const pending: Pending = {
        frame: { kind: 'invoke', id, method, args },
        sent: false,
        resolve,
        reject,
      };
      this.#pending.set(id, pending);
      // Requests made while (re)connecting wait and go out once the socket opens.
      if (this.#state === 'open') this.#send(pending);
    });
  }

  #send(pending: Pending): void {
    this.#socket?.send(JSON.stringify(pending.frame));
    pending.sent = true;
  }

  #setState(state: TransportState): void {
    if (state === this.#state) return;
    this.#state = state;
    for (const listener of this.#stateListeners) listener(state);
  }

  #connect(): void {
    const token = this.#options.token ?? '';
    let opened = false;
    const socket = new WebSocket(this.#options.url, [WIRE_PROTOCOL, TOKEN_PROTOCOL_PREFIX + token]);
    this.#socket = socket;
    socket.onopen = () => {
      opened = true;
      this.#attempt = 0;
      this.#setState('open');
      for (const pending of this.#pending.values()) if (!pending.sent) this.#send(pending);
    };
    socket.onmessage = (message: MessageEvent) => this.#receive(message.data);
    socket.onclose = (event: CloseEvent) => {
      if (this.#socket !== socket || this.#closed) return;
      this.#socket = undefined;
      // A request that went out may or may not have run: fail it rather than replay it.
      this.#rejectAll((p) => p.sent, 'Disconnected from Aviary before it answered.');
      // 1008 (policy violation) or 4401: the server says this token is no longer valid.
      if (event.code === 1008 || event.code === 4401) return this.#expire();
      if (opened) return this.#retry();
      // Closed before open: a browser hides the HTTP status of a refused upgrade (401),
      // so ask the server itself whether it is up. Up and refusing = the token is stale.
      void this.#options.probeServer().then((up) => {
        if (this.#closed) return;
        if (up) this.#expire();
        else this.#retry();
      });
    };
  }

  #retry(): void {
    const delays = this.#options.backoffMs;
    const delay = delays[Math.min(this.#attempt, delays.length - 1)] ?? 1000;
    this.#attempt++;
    this.#setState('reconnecting');
    this.#timer = setTimeout(() => this.#connect(), delay);
  }

  #expire(): void {
    this.#rejectAll(() => true, 'This link has expired.');
    this.#setState('expired');
  }

  #rejectAll(which: (pending: Pending) => boolean, message: string): void {
    for (const [id, pending] of this.#pending) {
      if (!which(pending)) continue;
      this.#pending.delete(id);
      pending.reject(new ApiError('unavailable', message));
    }
  }

  #receive(data: unknown): void {
    const frame = parseServerFrame(data);
    if (!frame) {
      console.warn('aviary: ignored a malformed frame from the server');
      return;
    }
    if (frame.kind === 'event') {
      for (const listener of this.#eventListeners) {
        try {
          listener(frame.event);
        } catch (err) {
          console.error('aviary: event listener failed', err);
        }
      }
      return;
    }
    const pending = this.#pending.get(frame.id);
    if (!pending) return;
    this.#pending.delete(frame.id);
    if (frame.ok) pending.resolve(frame.value);
    else
      pending.reject(
        new ApiError(frame.error.code, frame.error.message || `${pending.frame.method} failed`),
      );
  }
}

/** Checks the frame's outer shape; the payload is the engine's, typed by the contract. */
export function parseServerFrame(data: unknown): ServerFrame | undefined {
  if (typeof data !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const frame = value as Record<string, unknown>;
  if (frame.kind === 'event') {
    const event = frame.event as Record<string, unknown> | null | undefined;
    return typeof event === 'object' && event !== null && typeof event.type === 'string'
      ? (frame as ServerFrame)
      : undefined;
  }
  if (frame.kind !== 'outcome' || typeof frame.id !== 'number') return undefined;
  if (frame.ok === true) return frame as ServerFrame;
  const error = frame.error as Record<string, unknown> | null | undefined;
  if (frame.ok === false && typeof error === 'object' && error !== null) {
    return frame as ServerFrame;
  }
  return undefined;
}
