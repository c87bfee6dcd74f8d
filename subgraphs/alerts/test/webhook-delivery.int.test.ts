import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewAlert } from '@vigil/lib/alerts/alert';
import { MemoryAlertStateStore } from '@vigil/lib/alerts/memory-alert-state-store';
import { RedisAlertLog } from '@vigil/lib/alerts/redis-alert-log';
import { createLogger } from '@vigil/lib/logger';
import { createRedis, type Redis } from '@vigil/lib/redis';
import { startRedisServer, type RedisServer } from '../../../test/support/redis-server.js';
import { createRouting, type Routing } from '../src/routing/create-router.js';
import { DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookSignature, type WebhookBody } from '../src/routing/payloads.js';
import { deliveryConfig } from '../src/routing/routing-config.js';

/**
 * The generic webhook output against a receiver that fails (503), hangs (never answers), and comes
 * back, with the router restarted in between: after recovery every alert is delivered exactly once,
 * in order, signed. The receiver is a fault-injecting double (the only double here); the alert log
 * and its consumer groups are a real Redis.
 */

type Mode = 'fail' | 'hang' | 'ok';

class FaultyReceiver {
  mode: Mode = 'fail';
  readonly delivered: WebhookBody[] = [];
  attempts = 0;
  hung = 0;
  badSignatures = 0;
  private readonly hanging: ServerResponse[] = [];
  private server: Server | null = null;

  constructor(private readonly secret: string) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    this.attempts++;
    const expected = Buffer.from(webhookSignature(this.secret, Number(req.headers[TIMESTAMP_HEADER]), body));
    const given = Buffer.from(String(req.headers[SIGNATURE_HEADER] ?? ''));
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      this.badSignatures++;
      res.writeHead(401).end();
      return;
    }
    switch (this.mode) {
      case 'fail':
        res.writeHead(503).end('down for maintenance');
        return;
      case 'hang':
        // Takes the request and never answers: the router's timeout must give up on it.
        this.hung++;
        this.hanging.push(res);
        return;
      case 'ok': {
        const parsed = JSON.parse(body) as WebhookBody;
        expect(req.headers[DELIVERY_HEADER]).toBe(parsed.deliveryId);
        this.delivered.push(parsed);
        res.writeHead(204).end();
        return;
      }
    }
  }
}

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('webhook delivery through failure, a hang, a router restart and recovery', () => {
  let server: RedisServer;
  let redis: Redis;
  let blocking: Redis;
  let log: RedisAlertLog;
  const logger = createLogger('test', { level: 'silent' });
  const secret = randomBytes(32).toString('hex');
  const receiver = new FaultyReceiver(secret);
  let url: string;
  let namespace: string;

  beforeAll(async () => {
    server = await startRedisServer();
    namespace = server.uniquePrefix();
    redis = createRedis(server.url, logger, 'test');
    blocking = createRedis(server.url, logger, 'test-blocking');
    log = new RedisAlertLog(redis, blocking, { prefix: `${namespace}:alerts:`, maxLength: 10_000, logger, blockMs: 100 });
    url = await receiver.start();
  });

  afterAll(async () => {
    await receiver.stop();
    await log?.close();
    redis?.disconnect();
    await server?.stop();
  });

  const startRouting = async (): Promise<Routing> => {
    const routing = createRouting(
      {
        publicUrl: 'https://vigil.example.test',
        outputs: { pager: { type: 'webhook', url, secret } },
        routes: [{ output: 'pager', filter: {} }],
        delivery: deliveryConfig.parse({ initialBackoffMs: 20, maxBackoffMs: 100, timeoutMs: 300, maxAttempts: 1000 }),
      },
      { log, state: new MemoryAlertStateStore(), clock: () => new Date(), logger, redisUrl: server.url, namespace },
    );
    await routing.router.start();
    return routing;
  };
  const alert = (n: number): NewAlert => ({ source: 'AUDIT', severity: 'HIGH', title: `secret read ${n}`, rule: 'secret-read', subject: { type: 'Host', hostId: `h-${n}`, displayName: `h-${n}` } });

  it('delivers every alert exactly once, in order, after recovery; nothing is lost across the restart', async () => {
    let routing = await startRouting();
    const raised: string[] = [];
    for (let i = 0; i < 10; i++) raised.push((await log.append(alert(i))).id);

    await until(() => receiver.attempts >= 3);
    receiver.mode = 'hang';
    await until(() => receiver.hung >= 2);
    // Restart the router while its head entry is pending (read, never acknowledged).
    await routing.close();
    expect(await log.groups.pendingCount('route:pager')).toBeGreaterThan(0);
    for (let i = 10; i < 20; i++) raised.push((await log.append(alert(i))).id);
    receiver.mode = 'ok';
    routing = await startRouting();
    try {
      await until(() => receiver.delivered.length >= raised.length);
      // Give a duplicate the chance to show up.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(receiver.delivered.map((d) => d.alert.id)).toEqual(raised);
      expect(receiver.delivered.map((d) => d.deliveryId)).toEqual(raised);
      expect(receiver.delivered.every((d) => d.kind === 'RAISED' && d.change === null)).toBe(true);
      expect(receiver.badSignatures).toBe(0);
      expect(await log.groups.pendingCount('route:pager')).toBe(0);
      expect(await routing.deadLetters.length('pager')).toBe(0);

      // Changes follow: a resolution is delivered as its own signed event.
      const change = await log.appendChange({ kind: 'RESOLVED', alertId: raised[3] ?? '', at: new Date().toISOString(), by: 'alice', comment: 'done' });
      await until(() => receiver.delivered.length === raised.length + 1);
      expect(receiver.delivered.at(-1)).toMatchObject({ deliveryId: change.id, kind: 'RESOLVED', alert: { id: raised[3] }, change: { by: 'alice', comment: 'done' } });
    } finally {
      await routing.close();
    }
  });

  it('after maxAttempts tries an entry goes to the dead-letter list with the last answer, and the next entries still go through', async () => {
    receiver.mode = 'fail';
    const routing = createRouting(
      {
        publicUrl: 'https://vigil.example.test',
        outputs: { pager: { type: 'webhook', url, secret } },
        routes: [{ output: 'pager', filter: {} }],
        delivery: deliveryConfig.parse({ initialBackoffMs: 10, maxBackoffMs: 20, timeoutMs: 300, maxAttempts: 3 }),
      },
      { log, state: new MemoryAlertStateStore(), clock: () => new Date(), logger, redisUrl: server.url, namespace },
    );
    await routing.router.start();
    try {
      const doomed = await log.append(alert(100));
      await until(() => receiver.attempts > 0 && receiver.mode === 'fail');
      const deadline = Date.now() + 10_000;
      while ((await routing.deadLetters.length('pager')) === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      const [letter] = await routing.deadLetters.list('pager', 1);
      expect(letter).toMatchObject({ entryId: doomed.id, alertId: doomed.id, attempts: 3, reason: 'HTTP 503: down for maintenance', kind: 'RAISED' });
      receiver.mode = 'ok';
      const delivered = receiver.delivered.length;
      const next = await log.append(alert(101));
      await until(() => receiver.delivered.length > delivered);
      expect(receiver.delivered.at(-1)?.alert.id).toBe(next.id);
    } finally {
      await routing.close();
    }
  });
});
