import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type ApiEvent } from '../../src/shared/api';
import type { TransportState } from '../../src/renderer/src/lib/api';
import {
  parseServerFrame,
  takeToken,
  WebSocketTransport,
} from '../../src/renderer/src/lib/web-socket';
import { sampleSnapshot } from './renderer-fixtures';

/** Stands in for the browser's WebSocket: records what was sent, lets the test play the server. */
class MockWebSocket {
  static instances: MockWebSocket[] = [];
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  readonly sent: unknown[] = [];
  closedByClient = false;

  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    MockWebSocket.instances.push(this);
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }

  close(): void {
    this.closedByClient = true;
  }

  // The server's side
  open(): void {
    this.onopen?.(new Event('open'));
  }
  frame(value: unknown): void {
    this.onmessage?.(new MessageEvent('message', { data: JSON.stringify(value) }));
  }
  raw(data: unknown): void {
    this.onmessage?.(new MessageEvent('message', { data }));
  }
  drop(code = 1006): void {
    this.onclose?.(new CloseEvent('close', { code }));
  }
}

const latest = (): MockWebSocket => {
  const socket = MockWebSocket.instances.at(-1);
  if (!socket) throw new Error('no socket');
  return socket;
};

function transport(probe: () => Promise<boolean> = async () => false) {
  const states: TransportState[] = [];
  const t = new WebSocketTransport({
    url: 'ws://127.0.0.1:4000/api',
    token: 'secret',
    backoffMs: [100, 200, 400],
    probeServer: probe,
  });
  t.onStateChange((s) => states.push(s));
  return { t, states };
}

beforeEach(() => {
  MockWebSocket.instances = [];
  vi.stubGlobal('WebSocket', MockWebSocket);
  vi.spyOn(console, 'warn').mockImplementation(() => undefined);
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('WebSocketTransport', () => {
  it('offers the wire protocol and the token as subprotocols', () => {
    transport();
    expect(latest().url).toBe('ws://127.0.0.1:4000/api');
    expect(latest().protocols).toEqual(['aviary.v1', 'aviary.token.secret']);
  });

  it('sends invoke frames with fresh ids and settles them from outcome frames', async () => {
    const { t } = transport();
    latest().open();
    const list = t.api.invoke('contexts.list', {});
    const select = t.api.invoke('contexts.select', { context: 'nope' });
    expect(latest().sent).toEqual([
      { kind: 'invoke', id: 1, method: 'contexts.list', args: {} },
      { kind: 'invoke', id: 2, method: 'contexts.select', args: { context: 'nope' } },
    ]);
    // Out of order, as a server may answer.
    latest().frame({
      kind: 'outcome',
      id: 2,
      ok: false,
      error: { code: 'not-found', message: 'no context named "nope"' },
    });
    const snapshot = sampleSnapshot();
    latest().frame({ kind: 'outcome', id: 1, ok: true, value: snapshot });
    await expect(list).resolves.toEqual(snapshot);
    const error = await select.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'not-found', message: 'no context named "nope"' });
  });

  it('delivers event frames to every subscriber until it unsubscribes', () => {
    const { t } = transport();
    latest().open();
    const a: ApiEvent[] = [];
    const b: ApiEvent[] = [];
    const offA = t.api.subscribe((e) => a.push(e));
    t.api.subscribe((e) => b.push(e));
    const event: ApiEvent = { type: 'contexts.changed', snapshot: sampleSnapshot() };
    latest().frame({ kind: 'event', event });
    offA();
    latest().frame({ kind: 'event', event });
    expect(a).toEqual([event]);
    expect(b).toEqual([event, event]);
  });

  it('ignores malformed frames and outcomes for unknown ids', async () => {
    const { t } = transport();
    latest().open();
    const pending = t.api.invoke('app.info', {});
    latest().raw('not json');
    latest().raw(new ArrayBuffer(4));
    latest().frame({ kind: 'outcome', id: 99, ok: true, value: 1 });
    latest().frame({ kind: 'outcome', id: 1, ok: 'maybe' });
    latest().frame({ kind: 'event' });
    latest().frame({ kind: 'outcome', id: 1, ok: true, value: { name: 'Aviary' } });
    await expect(pending).resolves.toEqual({ name: 'Aviary' });
    expect(console.warn).toHaveBeenCalledTimes(4);
  });

  it('queues requests made before the socket opens', () => {
    const { t } = transport();
    void t.api.invoke('app.info', {});
    expect(latest().sent).toEqual([]);
    latest().open();
    expect(latest().sent).toEqual([{ kind: 'invoke', id: 1, method: 'app.info', args: {} }]);
  });

  it('fails in-flight requests on a drop, reconnects with backoff, and reports each state', async () => {
    vi.useFakeTimers();
    const { t, states } = transport();
    latest().open();
    const inflight = t.api.invoke('contexts.list', {});
    latest().drop();
    await expect(inflight).rejects.toMatchObject({ code: 'unavailable' });
    expect(t.state).toBe('reconnecting');

    // A request made while away waits for the next connection instead of failing.
    const later = t.api.invoke('app.info', {});
    vi.advanceTimersByTime(99);
    expect(MockWebSocket.instances).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(MockWebSocket.instances).toHaveLength(2);
    // Server still down: refused before open, probe says nobody answers HTTP.
    latest().drop();
    await vi.advanceTimersByTimeAsync(199);
    expect(MockWebSocket.instances).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(MockWebSocket.instances).toHaveLength(3);
    latest().open();
    expect(latest().sent).toEqual([{ kind: 'invoke', id: 2, method: 'app.info', args: {} }]);
    latest().frame({ kind: 'outcome', id: 2, ok: true, value: 'ok' });
    await expect(later).resolves.toBe('ok');
    expect(states).toEqual(['open', 'reconnecting', 'open']);
  });

  it('calls the link expired when the server is up but refuses the socket', async () => {
    const probe = vi.fn(async () => true);
    const { t, states } = transport(probe);
    const waiting = t.api.invoke('app.info', {});
    latest().drop();
    await expect(waiting).rejects.toMatchObject({ code: 'unavailable' });
    expect(probe).toHaveBeenCalledOnce();
    expect(states).toEqual(['expired']);
    await expect(t.api.invoke('app.info', {})).rejects.toBeInstanceOf(ApiError);
    expect(MockWebSocket.instances).toHaveLength(1);
  });

  it('calls the link expired on a policy-violation close', () => {
    const { t } = transport();
    latest().open();
    latest().drop(1008);
    expect(t.state).toBe('expired');
  });

  it('is expired at once without a token', () => {
    const t = new WebSocketTransport({ url: 'ws://x/api', token: undefined });
    expect(t.state).toBe('expired');
    expect(MockWebSocket.instances).toHaveLength(0);
  });

  it('stops for good when closed', () => {
    vi.useFakeTimers();
    const { t } = transport();
    latest().open();
    t.close();
    expect(latest().closedByClient).toBe(true);
    latest().drop();
    vi.advanceTimersByTime(10_000);
    expect(MockWebSocket.instances).toHaveLength(1);
  });
});

describe('parseServerFrame', () => {
  it('accepts the two frame kinds and nothing else', () => {
    expect(parseServerFrame('{"kind":"outcome","id":1,"ok":true,"value":null}')).toBeTruthy();
    expect(
      parseServerFrame(
        '{"kind":"outcome","id":1,"ok":false,"error":{"code":"internal","message":"x"}}',
      ),
    ).toBeTruthy();
    expect(parseServerFrame('{"kind":"event","event":{"type":"contexts.changed"}}')).toBeTruthy();
    expect(parseServerFrame('{"kind":"invoke","id":1}')).toBeUndefined();
    expect(parseServerFrame('{"kind":"outcome","id":"1","ok":true}')).toBeUndefined();
    expect(parseServerFrame('{"kind":"outcome","id":1,"ok":false}')).toBeUndefined();
    expect(parseServerFrame('null')).toBeUndefined();
  });
});

describe('takeToken', () => {
  afterEach(() => {
    sessionStorage.clear();
    history.replaceState(null, '', '/');
  });

  it('moves the token from the fragment to sessionStorage and out of the address bar', () => {
    history.replaceState(null, '', '/?x=1#token=abc%2Bdef');
    expect(takeToken(window)).toBe('abc+def');
    expect(location.hash).toBe('');
    expect(location.search).toBe('?x=1');
    expect(sessionStorage.getItem('aviary.token')).toBe('abc+def');
    // A reload: no fragment any more, the stored token is used.
    expect(takeToken(window)).toBe('abc+def');
  });

  it('has no token for a bare address', () => {
    history.replaceState(null, '', '/');
    expect(takeToken(window)).toBeUndefined();
  });
});
