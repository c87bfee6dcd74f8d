/**
 * routing: alert delivery through three outputs (Alertmanager API v2, Slack and a signed webhook, all
 * local HTTP receivers that count what they get) from the one-process stack on a real redis-server.
 * Alerts are raised at a fixed rate; the webhook receiver answers 503 until half of them are raised,
 * then recovers. Figures: per output, how many alerts were delivered, duplicated, missing; delivery
 * lag (alert log entry → the receiver's 2xx, from the stream id's time) p50/p99; the time from the
 * last raise until every output had everything.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@vigil/lib/logger';
import { startStack } from '@vigil/gateway/stack';
import { vigilConfig } from '@vigil/gateway/stack-config';
import { startRedisServer } from '../test/support/redis-server.js';
import { int, ms, round3, table } from './lib/format.js';
import type { Progress } from './lib/progress.js';
import { serverResource, type Register } from './lib/resources.js';
import { summarize, type Summary } from './lib/stats.js';

export interface RoutingOptions {
  alerts: number;
  ratePerSecond: number;
  /** Give up waiting for delivery this long after the last raise. */
  drainTimeoutSeconds: number;
}

interface OutputFigures {
  output: string;
  delivered: number;
  duplicates: number;
  missing: number;
  /** Answers other than 2xx the receiver gave (the down phase). */
  refused: number;
  lagMs: Summary;
  /** From the last raise to the last alert this output received. */
  drainMs: number;
}

export interface RoutingResult {
  options: RoutingOptions;
  raiseSeconds: number;
  outputs: OutputFigures[];
}

type Extract = (body: string) => string[];

class CountingReceiver {
  readonly seen = new Map<string, number>();
  readonly lags: number[] = [];
  refused = 0;
  lastAt = 0;
  down = false;
  private server: Server | null = null;

  constructor(
    readonly name: string,
    private readonly extract: Extract,
  ) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (this.down) {
          this.refused++;
          res.writeHead(503).end('down');
          return;
        }
        const now = Date.now();
        for (const id of this.extract(Buffer.concat(chunks).toString('utf8'))) {
          this.seen.set(id, (this.seen.get(id) ?? 0) + 1);
          this.lags.push(now - Number(id.split('-')[0]));
        }
        this.lastAt = now;
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => this.server?.close(() => resolve()));
  }
}

export async function runRouting(options: RoutingOptions, progress: Progress, register: Register): Promise<RoutingResult> {
  const redis = await startRedisServer();
  register(serverResource(redis));
  const receivers = {
    am: new CountingReceiver('alertmanager', (body) => (JSON.parse(body) as { labels: Record<string, string> }[]).map((a) => a.labels['vigil_alert_id'] ?? '')),
    slack: new CountingReceiver('slack', (body) => [/\|(\d+-\d+)>$/.exec((JSON.parse(body) as { text: string }).text)?.[1] ?? '']),
    webhook: new CountingReceiver('webhook (down first half)', (body) => [(JSON.parse(body) as { alert: { id: string } }).alert.id]),
  };
  const urls = { am: await receivers.am.start(), slack: await receivers.slack.start(), webhook: await receivers.webhook.start() };
  receivers.webhook.down = true;
  const config = vigilConfig.parse({
    env: 'development',
    log: { level: 'warn' },
    redis: { url: redis.url, namespace: `bench-${randomBytes(3).toString('hex')}` },
    hosts: { local: { enabled: false } },
    alerts: {
      foldWindowSeconds: 0,
      maxLength: options.alerts * 2,
      outputs: {
        am: { type: 'alertmanager', url: urls.am },
        slack: { type: 'slack', webhookUrl: `${urls.slack}/services/T/B/X` },
        webhook: { type: 'webhook', url: `${urls.webhook}/hook`, secret: randomBytes(32).toString('hex') },
      },
      routes: [{ output: 'am' }, { output: 'slack' }, { output: 'webhook' }],
      // Enough tries to outlast the outage: the head entry is retried, nothing behind it.
      delivery: { maxAttempts: 1000, initialBackoffMs: 50, maxBackoffMs: 500, timeoutMs: 5000 },
    },
  });
  const stack = await startStack({ config, logger: createLogger('bench-routing', { level: 'silent' }), signingSecret: randomBytes(32).toString('hex'), ports: 'ephemeral' });
  try {
    progress(`raising ${int(options.alerts)} alerts at ${options.ratePerSecond}/s; the webhook output is down for the first half`);
    const ids: string[] = [];
    const started = performance.now();
    for (let i = 0; i < options.alerts; i++) {
      const due = started + (i * 1000) / options.ratePerSecond;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (i === Math.floor(options.alerts / 2)) {
        receivers.webhook.down = false;
        progress('webhook output back');
      }
      const alert = await stack.publisher.raise({ source: 'CLUSTER', severity: 'HIGH', title: `bench alert ${i}`, rule: 'bench', subject: { type: 'Host', hostId: `h-${i}`, displayName: `h-${i}` } });
      ids.push(alert.id);
    }
    const raisedAt = Date.now();
    const raiseSeconds = (performance.now() - started) / 1000;
    progress('waiting for every output to have every alert');
    const deadline = Date.now() + options.drainTimeoutSeconds * 1000;
    while (Object.values(receivers).some((r) => r.seen.size < ids.length) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    // A duplicate would arrive after the last original: give it the chance.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const outputs = Object.values(receivers).map((receiver): OutputFigures => ({
      output: receiver.name,
      delivered: ids.filter((id) => receiver.seen.has(id)).length,
      duplicates: [...receiver.seen.values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0),
      missing: ids.filter((id) => !receiver.seen.has(id)).length,
      refused: receiver.refused,
      lagMs: summarize(receiver.lags),
      drainMs: Math.max(0, receiver.lastAt - raisedAt),
    }));
    return { options, raiseSeconds, outputs };
  } finally {
    await stack.stop();
    await Promise.all(Object.values(receivers).map((r) => r.stop()));
    await redis.stop();
  }
}

export function routingTable(result: RoutingResult): string {
  const { options } = result;
  return [
    `${int(options.alerts)} alerts raised at ${options.ratePerSecond}/s (${result.raiseSeconds.toFixed(1)} s) through 3 outputs; the webhook output answers 503 until half are raised. Lag: alert log entry → the receiver's 2xx.`,
    '',
    table(
      ['output', 'delivered', 'duplicates', 'missing', '503s answered', 'lag p50 ms', 'lag p99 ms', 'lag max ms', 'last delivery after last raise ms'],
      result.outputs.map((o) => [o.output, int(o.delivered), int(o.duplicates), int(o.missing), int(o.refused), ms(o.lagMs.p50), ms(o.lagMs.p99), ms(o.lagMs.max), ms(o.drainMs)]),
    ),
  ].join('\n');
}

export function routingJson(result: RoutingResult): unknown {
  return {
    options: result.options,
    raiseSeconds: round3(result.raiseSeconds),
    outputs: result.outputs.map((o) => ({ ...o, lagMs: { p50: round3(o.lagMs.p50), p99: round3(o.lagMs.p99), max: round3(o.lagMs.max), n: o.lagMs.n }, drainMs: round3(o.drainMs) })),
  };
}
