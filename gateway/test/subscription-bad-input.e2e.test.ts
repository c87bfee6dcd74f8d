import { request as httpRequest, type ClientRequestArgs, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { HOST_A, WsSubscriber, startSubscriptionStack, untilLive, waitFor, type Caller, type SubscriptionStack } from './subscription-helpers.js';

/**
 * Subscribers that misbehave, against the real stack in production mode: one that never reads
 * (graphql-ws and SSE), garbage frames, 1,000 subscriptions on one connection, a subscribe before
 * connection_init. Each is closed or refused with a reason a client can act on; meanwhile a
 * well-behaved subscriber keeps receiving, and its publish-to-receipt latency is printed
 * ([bad input] …) next to the same figure without the abuse — never asserted (two noisy cores).
 */

const GRAPHQL_WS = 'graphql-transport-ws';
/** Big enough that a few dozen events fill the kernel's socket buffers of a client that stopped reading. */
const BIG = 'x'.repeat(64 * 1024);
const QUERY = 'subscription { alertRaised { id title description } }';

interface RawMessage {
  type: string;
  id?: string;
  payload?: unknown;
}

/** A graphql-ws connection driven by hand (the `ws` client), so a test can send anything and stop reading. */
class RawConnection {
  readonly messages: RawMessage[] = [];
  closed: { code: number; reason: string } | null = null;
  readonly ws: WebSocket;
  private tcp: Socket | null = null;
  readonly opened: Promise<void>;

  constructor(url: string) {
    this.ws = new WebSocket(url, GRAPHQL_WS, {
      // The TCP socket itself, so the test can stop reading from it.
      createConnection: (options: ClientRequestArgs) => (this.tcp = connect({ host: options.host ?? '127.0.0.1', port: Number(options.port) })),
    });
    this.ws.on('message', (data: Buffer) => this.messages.push(JSON.parse(data.toString('utf8')) as RawMessage));
    this.ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString('utf8') }));
    this.ws.on('error', () => undefined);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message));
  }

  async init(caller: Caller): Promise<void> {
    await this.opened;
    this.send({ type: 'connection_init', payload: caller.credentials });
    await waitFor(() => this.messages.some((m) => m.type === 'connection_ack') || this.closed !== null, 'connection_ack');
  }

  stopReading(): void {
    this.tcp?.pause();
  }

  resumeReading(): void {
    this.tcp?.resume();
  }

  /** Titles of the alerts its subscriptions received. */
  titles(prefix = ''): string[] {
    return this.of('next')
      .map((m) => (m.payload as { data?: { alertRaised?: { title?: string } } }).data?.alertRaised?.title ?? '')
      .filter((title) => title.startsWith(prefix));
  }

  of(type: string): RawMessage[] {
    return this.messages.filter((m) => m.type === type);
  }

  async waitClosed(what: string, timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    await waitFor(() => this.closed !== null, what, timeoutMs);
    return this.closed ?? { code: 0, reason: '' };
  }

  dispose(): void {
    this.ws.terminate();
  }
}

/** A well-behaved subscriber's latency while `abuse` runs; printed beside the same without abuse. */
class Control {
  private readonly sent = new Map<string, number>();
  constructor(
    private readonly t: SubscriptionStack,
    readonly subscriber: WsSubscriber,
  ) {}

  async measure(label: string, count: number, during: () => Promise<void> = () => Promise.resolve()): Promise<number[]> {
    const titles: string[] = [];
    const abuse = during();
    for (let i = 0; i < count; i++) {
      const title = `control ${label} ${i}`;
      titles.push(title);
      this.sent.set(title, performance.now());
      await this.t.raise({ title, subject: HOST_A });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await abuse;
    await waitFor(() => titles.every((title) => this.subscriber.received.some((r) => r.title === title)), `${label}: every control event`);
    const latencies = titles.map((title) => (this.subscriber.received.find((r) => r.title === title)?.at ?? 0) - (this.sent.get(title) ?? 0)).sort((a, b) => a - b);
    const p50 = latencies[Math.floor(latencies.length / 2)] ?? 0;
    console.info(`[bad input] ${label}: control subscriber p50 ${p50.toFixed(1)} ms, max ${(latencies.at(-1) ?? 0).toFixed(1)} ms over ${count} events`);
    return latencies;
  }
}

describe('subscribers that misbehave (production mode)', () => {
  let t: SubscriptionStack;
  let admin: Caller;
  let control: Control;

  beforeAll(async () => {
    t = await startSubscriptionStack({ maxQueuedEvents: 10 }, [{ name: 'ops', roles: ['admin'] }]);
    admin = t.apiKey['ops'] as Caller;
    const subscriber = new WsSubscriber(t.stack.gateway.wsUrl, admin, 'subscription { alertRaised { id title } }');
    await untilLive(t, [subscriber]);
    control = new Control(t, subscriber);
    await control.measure('baseline', 20);
  }, 60_000);

  afterAll(async () => {
    await control?.subscriber.dispose();
    await t?.stop();
  });

  it('a graphql-ws subscriber that never reads is closed with 4413 naming the limit, and can tell from the close frame', async () => {
    const before = await t.metrics();
    const lazy = new RawConnection(t.stack.gateway.wsUrl);
    try {
      await lazy.init(admin);
      lazy.send({ type: 'subscribe', id: 'lazy', payload: { query: QUERY } });
      await untilLive(t, [lazy]);
      lazy.stopReading();

      let sent = 0;
      await control.measure('graphql-ws subscriber not reading', 20, async () => {
        while (sent < 400 && (await t.metrics()).slowSubscribers('graphql-ws') === before.slowSubscribers('graphql-ws')) {
          await t.raise({ title: `big ${sent}`, description: BIG, subject: HOST_A });
          sent += 1;
        }
      });
      console.info(`[bad input] graphql-ws subscriber not reading: ended after ${sent} events of 64 KB`);
      expect((await t.metrics()).slowSubscribers('graphql-ws')).toBe(before.slowSubscribers('graphql-ws') + 1);

      // The gateway holds nothing more for it; once the client reads again it finds the close frame.
      lazy.resumeReading();
      const closed = await lazy.waitClosed('the close frame');
      console.info(`[bad input] graphql-ws subscriber not reading: closed ${closed.code} "${closed.reason}"`);
      expect(closed.code).toBe(4413);
      expect(closed.reason).toMatch(/Too slow: \d+ (events queued \(gateway\.subscriptions\.maxQueuedEvents is 10\)|bytes unsent \(gateway\.subscriptions\.maxBufferedBytes)/);
      await waitFor(async () => (await t.metrics()).groups === before.groups, 'its shared subscription to close (the control subscriber has its own document)');
    } finally {
      lazy.dispose();
    }
  }, 60_000);

  it('an SSE subscriber that never reads ends with a RATE_LIMITED error event naming the limit', async () => {
    const before = await t.metrics();
    const url = new URL(t.stack.gateway.url);
    let response: IncomingMessage | null = null;
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...admin.credentials } }, (res) => {
      response = res;
      res.pause();
    });
    req.end(JSON.stringify({ query: QUERY }));
    try {
      await waitFor(() => response !== null, 'the SSE response');
      await waitFor(async () => (await t.metrics()).groups > before.groups, 'the SSE subscription to start');
      let sent = 0;
      await control.measure('SSE subscriber not reading', 20, async () => {
        while (sent < 400 && (await t.metrics()).slowSubscribers('sse') === before.slowSubscribers('sse')) {
          await t.raise({ title: `big sse ${sent}`, description: BIG, subject: HOST_A });
          sent += 1;
        }
      });
      console.info(`[bad input] SSE subscriber not reading: ended after ${sent} events of 64 KB`);
      expect((await t.metrics()).slowSubscribers('sse')).toBe(before.slowSubscribers('sse') + 1);
      const res = response as IncomingMessage | null;
      if (!res) throw new Error('no response');
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text = (text + chunk).slice(-4096)));
      const ended = new Promise((resolve) => res.once('end', resolve));
      res.resume();
      await ended;
      expect(text).toMatch(/"code":"RATE_LIMITED"/);
      expect(text).toMatch(/Subscriber too slow: .*gateway\.subscriptions\.max(QueuedEvents|BufferedBytes).*after:/);
    } finally {
      req.destroy();
    }
  }, 60_000);

  it('garbage frames close the connection with 4400 (1009 when too big), and nothing else is disturbed', async () => {
    const cases: [string, unknown, number, RegExp][] = [
      ['not JSON', 'this is not json', 4400, /Invalid message received/],
      ['an unknown message type', { type: 'shout', payload: {} }, 4400, /Invalid message received/],
      ['a subscribe without an id', { type: 'subscribe', payload: { query: QUERY } }, 4400, /Invalid message received/],
      ['binary garbage', Buffer.from([0xff, 0x00, 0xfe, 0x01]), 4400, /Invalid message received/],
      // ws closes with 1009 (Message Too Big) and no reason of its own.
      ['a message over gateway.limits.maxRequestBytes', JSON.stringify({ type: 'ping', payload: { pad: 'y'.repeat(300_000) } }), 1009, /^$/],
    ];
    await control.measure('garbage frames', 20, async () => {
      for (const [name, frame, code, reason] of cases) {
        const raw = new RawConnection(t.stack.gateway.wsUrl);
        try {
          await raw.init(admin);
          raw.send(frame);
          const closed = await raw.waitClosed(name);
          expect(closed.code, name).toBe(code);
          expect(closed.reason, name).toMatch(reason);
        } finally {
          raw.dispose();
        }
      }
    });
  });

  it('1,000 subscriptions on one connection: the first 100 (gateway.subscriptions.maxPerConnection) run, the other 900 are refused with RATE_LIMITED', async () => {
    const before = await t.metrics();
    const greedy = new RawConnection(t.stack.gateway.wsUrl);
    try {
      await greedy.init(admin);
      await control.measure('1,000 subscribes on one connection', 20, async () => {
        for (let i = 1; i <= 1000; i++) greedy.send({ type: 'subscribe', id: String(i), payload: { query: QUERY } });
        await waitFor(() => greedy.of('error').length === 900, '900 refusals');
      });
      const refusals = greedy.of('error');
      expect(new Set(refusals.map((m) => Number(m.id))).size).toBe(900);
      expect(Math.min(...refusals.map((m) => Number(m.id)))).toBe(101);
      expect(refusals[0]?.payload).toMatchObject([{ message: expect.stringMatching(/Too many operations on one connection: 100 running, the limit is 100 \(gateway\.subscriptions\.maxPerConnection\)/), extensions: { code: 'RATE_LIMITED' } }]);
      expect((await t.metrics()).refused('maxPerConnection') - before.refused('maxPerConnection')).toBe(900);

      // The connection stays open and its 100 subscriptions work (and share one execution).
      await waitFor(async () => (await t.metrics()).groups === before.groups + 1, 'the 100 to share one subscription');
      await t.raise({ title: 'to the hundred', subject: HOST_A });
      const hundred = () => greedy.of('next').filter((m) => JSON.stringify(m.payload).includes('"to the hundred"'));
      await waitFor(() => hundred().length === 100, 'one event on each of the 100');
      expect(new Set(hundred().map((m) => Number(m.id)))).toEqual(new Set(Array.from({ length: 100 }, (_, i) => i + 1)));
      expect(greedy.closed).toBeNull();
    } finally {
      greedy.dispose();
    }
  });

  it('a subscribe before connection_init is closed with 4401; no connection_init at all with 4408', async () => {
    const eager = new RawConnection(t.stack.gateway.wsUrl);
    const silent = new RawConnection(t.stack.gateway.wsUrl);
    try {
      await eager.opened;
      eager.send({ type: 'subscribe', id: '1', payload: { query: QUERY } });
      expect(await eager.waitClosed('4401')).toEqual({ code: 4401, reason: 'Unauthorized' });
      await silent.opened;
      // graphql-ws's connectionInitWaitTimeout: 3 s.
      expect(await silent.waitClosed('4408')).toEqual({ code: 4408, reason: 'Connection initialisation timeout' });
      expect(eager.of('next')).toEqual([]);
    } finally {
      eager.dispose();
      silent.dispose();
    }
  });
});
