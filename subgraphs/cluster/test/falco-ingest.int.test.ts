import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import express from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AlertPublisher } from '@vigil/lib/alerts/publisher';
import { systemClock } from '@vigil/lib/clock';
import { MemoryAlertLog } from '@vigil/lib/alerts/memory-alert-log';
import { createLogger } from '@vigil/lib/logger';
import { createRedis } from '@vigil/lib/redis';
import { startRedisServer, type RedisServer } from '../../../test/support/redis-server.js';
import { falcoIngestRouter, type FalcoIngestDeps } from '../src/http/falco-ingest.js';
import { TEXT_OUTPUT_REASON } from '../src/sources/falco/falco-event.js';
import { MemorySecurityEventStore } from '../src/store/memory-security-event-store.js';
import { RedisSecurityEventStore } from '../src/store/redis-security-event-store.js';
import type { SecurityEventStore } from '../src/store/security-event-store.js';

// Samples: test/fixtures/falco/README.md (copied from the shared fixtures; sources in SOURCES.md).
const fixtureBytes = (name: string) => readFileSync(new URL(`./fixtures/falco/${name}`, import.meta.url));
const fixture = (name: string) => fixtureBytes(name).toString('utf8');

const logger = createLogger('test', { level: 'silent' });
const TOKEN = 's3cret-token-value';
// Fixture times are from 2016-2025: retention must not drop them while the test looks.
const RETENTION_DAYS = 365 * 100;

interface Harness {
  url: string;
  port: number;
  store: SecurityEventStore;
  alerts: MemoryAlertLog;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

async function start(overrides: Partial<FalcoIngestDeps> = {}): Promise<Harness> {
  const store = overrides.store ?? new MemorySecurityEventStore({ retentionDays: RETENTION_DAYS });
  const alerts = new MemoryAlertLog({ maxLength: 1000 });
  const app = express();
  app.use(
    falcoIngestRouter({
      store,
      publisher: new AlertPublisher(alerts, logger, systemClock),
      cluster: 'prod',
      alertMinPriority: 'Error',
      maxBodyBytes: 64 * 1024,
      logger,
      ...overrides,
    }),
  );
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/ingest/falco`, port, store, alerts };
}

interface Answer {
  status: number;
  headers: Map<string, string>;
  body: unknown;
  text: string;
}

/**
 * Sends a captured request byte for byte over a socket, changing only the request target and Host
 * (and adding Authorization when asked), so the route sees exactly Falco's headers and body.
 */
function replay(name: string, port: number, authorization?: string): Promise<Answer> {
  const raw = fixtureBytes(name);
  const headEnd = raw.indexOf('\r\n\r\n');
  const headLines = raw.subarray(0, headEnd).toString('latin1').split('\r\n');
  const rewritten = headLines.map((line, i) => {
    if (i === 0) return line.replace(/^POST \/ /, 'POST /ingest/falco ');
    if (/^host:/i.test(line)) return `Host: 127.0.0.1:${port}${authorization ? `\r\nAuthorization: ${authorization}` : ''}`;
    return line;
  });
  expect(rewritten[0]).toBe('POST /ingest/falco HTTP/1.1');
  const request = Buffer.concat([Buffer.from(rewritten.join('\r\n'), 'latin1'), raw.subarray(headEnd)]);
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let received = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end === -1) return;
      const [statusLine = '', ...lines] = received.subarray(0, end).toString('latin1').split('\r\n');
      const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const length = Number(headers.get('content-length') ?? 0);
      if (received.length < end + 4 + length) return;
      socket.destroy();
      const text = received.subarray(end + 4, end + 4 + length).toString('utf8');
      resolve({ status: Number(statusLine.split(' ')[1]), headers, text, body: JSON.parse(text) });
    });
  });
}

async function post(url: string, body: string | Uint8Array, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers });
  const text = await response.text();
  return { status: response.status, headers: new Map(response.headers), text, body: JSON.parse(text) };
}

async function storedCount(store: SecurityEventStore): Promise<number> {
  return (await store.list({}, { first: 500 })).events.length;
}

const alertsOf = (log: MemoryAlertLog) => log.listNewestFirst({ limit: 100 });

describe('POST /ingest/falco', () => {
  it('stores the captured Falco request (its real headers) and raises one alert for the Critical event', async () => {
    const h = await start();
    const answer = await replay('http_output_request_json.http', h.port);
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ accepted: 1, stored: 1, duplicates: 0, alerts: 1, ignored: 0 });

    const [event] = (await h.store.list({}, { first: 10 })).events;
    expect(event).toMatchObject({
      eventType: 'Terminal shell in container',
      severity: 'CRITICAL',
      count: 1,
      resource: { cluster: 'prod', namespace: 'default', kind: 'Pod', name: 'kubecon' },
    });
    const alerts = await alertsOf(h.alerts);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      source: 'CLUSTER',
      severity: 'CRITICAL',
      title: 'Falco: Terminal shell in container in default/kubecon',
      rule: 'Terminal shell in container',
      description: JSON.parse(fixture('terminal_shell_in_container.json')).output,
      occurredAt: '2023-05-25T13:44:05.478Z',
      subject: { type: 'KubeObject', cluster: 'prod', namespace: 'default', kind: 'Pod', name: 'kubecon', displayName: 'default/kubecon' },
      labels: { cluster: 'prod', falcoPriority: 'Critical', securityEventId: event?.id, count: '1' },
    });
  });

  it('counts a repeat on the same event and alerts again for it', async () => {
    const h = await start();
    await replay('http_output_request_json.http', h.port);
    const again = await replay('http_output_request_json.http', h.port);
    expect(again.body).toEqual({ accepted: 1, stored: 0, duplicates: 1, alerts: 1, ignored: 0 });
    const { events } = await h.store.list({}, { first: 10 });
    expect(events.map((e) => e.count)).toEqual([2]);
    const alerts = await alertsOf(h.alerts);
    expect(alerts).toHaveLength(2);
    expect(alerts[0]?.labels?.['count']).toBe('2');
  });

  it('accepts the compress_uploads capture (TE: gzip asks for a compressed reply; the body is plain)', async () => {
    const h = await start();
    const raw = fixture('http_output_request_json_compress_uploads.http');
    expect(raw).toContain('\r\nTE: gzip\r\n');
    expect(raw).not.toMatch(/content-encoding/i);
    const answer = await replay('http_output_request_json_compress_uploads.http', h.port);
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ accepted: 1, stored: 1 });
  });

  it('accepts a gzip-compressed body (Content-Encoding: gzip, as falcosidekick sends with compression on)', async () => {
    const h = await start();
    const answer = await post(h.url, gzipSync(fixtureBytes('terminal_shell_in_container.json')), {
      'content-type': 'application/json; charset=utf-8',
      'content-encoding': 'gzip',
      'user-agent': 'Falcosidekick',
    });
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ stored: 1, alerts: 1 });
    expect(await storedCount(h.store)).toBe(1);
  });

  it('rejects the captured text-format request with the fix, storing nothing', async () => {
    const h = await start();
    const answer = await replay('http_output_request_text.http', h.port);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: TEXT_OUTPUT_REASON });
    expect(await storedCount(h.store)).toBe(0);
  });

  it.each([
    ['{"rule":', 'body is not JSON'],
    ['', 'body is empty'],
    ['[]', 'body contains no events'],
    [fixture('falco_stdout_k8saudit_eks.log'), 'line 1 is not JSON'],
  ])('answers 400 naming the problem for %j, storing nothing', async (body, reason) => {
    const h = await start();
    const answer = await post(h.url, body);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: reason });
    expect(await storedCount(h.store)).toBe(0);
    expect(await alertsOf(h.alerts)).toHaveLength(0);
  });

  it('rejects a body that is not UTF-8', async () => {
    const h = await start();
    const answer = await post(h.url, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    expect(answer).toMatchObject({ status: 400, body: { error: 'body is not valid UTF-8' } });
  });

  describe('charsets', () => {
    const event = JSON.parse(fixture('read_sensitive_file_untrusted.json')) as Record<string, unknown>;
    const text = JSON.stringify({ ...event, output: 'Warning café naïve Zürich' });
    const outputOf = async (store: SecurityEventStore) => (await store.list({}, { first: 1 })).events[0]?.details;
    const utf16be = (s: string) => Buffer.from(s, 'utf16le').swap16();

    it.each([
      ['utf-16le', Buffer.from(text, 'utf16le')],
      ['UTF-16', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])],
      ['utf-16', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(text)])],
      ['utf-16be', utf16be(text)],
      ['iso-8859-1', Buffer.from(text, 'latin1')],
      ['latin1', Buffer.from(text, 'latin1')],
      ['"utf-8"', Buffer.from(text, 'utf8')],
    ])('decodes a body declared charset=%s', async (charset, bytes) => {
      const h = await start();
      const answer = await post(h.url, bytes, { 'content-type': `application/json; charset=${charset}` });
      expect(answer).toMatchObject({ status: 202, body: { stored: 1 } });
      expect(await outputOf(h.store)).toMatchObject({ output: 'Warning café naïve Zürich' });
    });

    it('answers 415 naming an unknown charset, before reading the body', async () => {
      const h = await start();
      const answer = await post(h.url, Buffer.from(text, 'utf8'), { 'content-type': 'application/json; charset=koi8-r' });
      expect(answer).toMatchObject({ status: 415, body: { error: 'unsupported charset "koi8-r" in Content-Type: send UTF-8 (UTF-16 and ISO-8859-1 are decoded too)' } });
      expect(await storedCount(h.store)).toBe(0);
    });

    it('answers 400 naming the charset when the bytes are not valid in it', async () => {
      const h = await start();
      const odd = Buffer.concat([Buffer.from(text, 'utf16le'), Buffer.from([0x7d])]);
      expect(await post(h.url, odd, { 'content-type': 'application/json; charset=utf-16le' })).toMatchObject({ status: 400, body: { error: 'body is not valid UTF-16LE' } });
      expect(await post(h.url, Buffer.from(text, 'latin1'), { 'content-type': 'application/json; charset=us-ascii' })).toMatchObject({
        status: 400,
        body: { error: 'body is not valid US-ASCII' },
      });
      expect(await storedCount(h.store)).toBe(0);
    });
  });

  it('refuses a body nesting deeper than 64 levels with a 400 naming the depth, without parsing it (100,000 levels)', async () => {
    const h = await start({ maxBodyBytes: 1024 * 1024 });
    const event = JSON.parse(fixture('read_sensitive_file_untrusted.json')) as { output_fields: Record<string, unknown> };
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const body = JSON.stringify({ ...event, output_fields: { ...event.output_fields, 'x.deep': '__DEEP__' } }).replace('"__DEEP__"', deep);
    const answer = await post(h.url, body);
    expect(answer.status).toBe(400);
    expect((answer.body as { error: string }).error).toMatch(/^body nests objects and arrays more than 64 levels deep \(level 65 at character \d+\): refused before parsing$/);
    // Braces inside strings are not nesting; 64 levels are accepted (and then validated as usual).
    const braces = JSON.stringify({ ...event, output: '{'.repeat(1000) });
    expect(await post(h.url, braces)).toMatchObject({ status: 202 });
    const at64 = JSON.stringify({ ...event, output_fields: { ...event.output_fields, 'x.deep': '__DEEP__' } }).replace('"__DEEP__"', `${'['.repeat(62)}${']'.repeat(62)}`);
    expect(await post(h.url, at64)).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^"output_fields"\["x.deep"\]/) } });
  });

  describe('events outside the retention window', () => {
    const event = JSON.parse(fixture('read_sensitive_file_untrusted.json')) as { time: string };
    const occurred = Date.parse(event.time);
    const storeAt = (daysAfter: number) => new MemorySecurityEventStore({ retentionDays: 30, now: () => new Date(occurred + daysAfter * 86_400_000) });

    it('answers 422 naming the time and the window, storing nothing, for an event older than retention', async () => {
      const h = await start({ store: storeAt(31) });
      const answer = await post(h.url, JSON.stringify(event));
      expect(answer.status).toBe(422);
      const cutoff = new Date(occurred + 86_400_000).toISOString();
      expect(answer.body).toEqual({
        error: `the event occurred at ${new Date(occurred).toISOString()}, outside the retention window of 30 days (events after ${cutoff} are kept): it would expire at once, so nothing of this body was stored`,
      });
      expect(await storedCount(h.store)).toBe(0);
    });

    it('refuses a whole batch holding one, naming the item; stores an event within the window', async () => {
      const h = await start({ store: storeAt(29) });
      const old = { ...event, time: new Date(occurred - 2 * 86_400_000).toISOString() };
      const answer = await post(h.url, JSON.stringify([event, old, old]));
      expect(answer.status).toBe(422);
      expect((answer.body as { error: string }).error).toMatch(/^item 2 occurred at .*, outside the retention window of 30 days .* \(and 1 more\): /);
      expect(await storedCount(h.store)).toBe(0);
      expect(await post(h.url, JSON.stringify(event))).toMatchObject({ status: 202, body: { stored: 1 } });
    });
  });

  it('rejects a whole batch when one item is bad: nothing stored, no alert', async () => {
    const h = await start();
    const good = JSON.parse(fixture('terminal_shell_in_container.json')) as Record<string, unknown>;
    const batch = JSON.stringify([good, { ...good, priority: 'Severe' }, good]);
    const answer = await post(h.url, batch);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: 'item 2: "priority" must be one of Emergency, Alert, Critical, Error, Warning, Notice, Informational, Debug',
    });
    expect(await storedCount(h.store)).toBe(0);
    expect(await alertsOf(h.alerts)).toHaveLength(0);
  });

  it('stores a Warning event without alerting (below alertMinPriority)', async () => {
    const h = await start();
    const answer = await post(h.url, fixture('read_sensitive_file_untrusted.json'));
    expect(answer.body).toEqual({ accepted: 1, stored: 1, duplicates: 0, alerts: 0, ignored: 0 });
    expect(await storedCount(h.store)).toBe(1);
    expect(await alertsOf(h.alerts)).toHaveLength(0);
  });

  it('alerts on a pod-less event with the host as subject', async () => {
    const h = await start();
    const answer = await post(h.url, fixture('write_below_binary_dir_docs.json'));
    expect(answer.body).toMatchObject({ stored: 1, alerts: 1 });
    const [alert] = await alertsOf(h.alerts);
    expect(alert).toMatchObject({
      severity: 'HIGH',
      title: 'Falco: Write below binary dir on localhost',
      subject: { type: 'Host', hostId: 'localhost', displayName: 'localhost' },
    });
  });

  it('stores a newline-delimited batch, folding repeats', async () => {
    const h = await start();
    const answer = await post(h.url, fixture('testing_open_from_cat.jsonl'), { 'content-type': 'application/x-ndjson' });
    expect(answer.body).toEqual({ accepted: 2, stored: 1, duplicates: 1, alerts: 0, ignored: 0 });
    expect((await h.store.list({}, { first: 10 })).events.map((e) => e.count)).toEqual([2]);
  });

  it('accepts a metrics snapshot but does not store it as a security event', async () => {
    const h = await start();
    const answer = await post(h.url, fixture('metrics_snapshot.json'));
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({
      accepted: 1,
      stored: 0,
      duplicates: 0,
      alerts: 0,
      ignored: 1,
      notes: ['1 Falco internal metrics snapshot(s) accepted but not stored: they are not security events'],
    });
    expect(await storedCount(h.store)).toBe(0);
  });

  it('answers 415 for a content type Falco never sends', async () => {
    const h = await start();
    const answer = await post(h.url, fixture('write_below_binary_dir_docs.json'), { 'content-type': 'application/x-www-form-urlencoded' });
    expect(answer.status).toBe(415);
    expect(answer.body).toEqual({ error: 'unsupported Content-Type "application/x-www-form-urlencoded": send application/json' });
    expect(await storedCount(h.store)).toBe(0);
  });

  describe('token', () => {
    it('answers 401 for a missing or wrong token without echoing it, and stores nothing', async () => {
      const h = await start({ token: TOKEN });
      const missing = await replay('http_output_request_json.http', h.port);
      expect(missing.status).toBe(401);
      expect(missing.body).toEqual({ error: 'missing bearer token' });
      expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="vigil"');
      for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, 'Bearer ', `Token ${TOKEN}`]) {
        const wrong = await replay('http_output_request_json.http', h.port, authorization);
        expect(wrong.status, authorization).toBe(401);
        expect(wrong.text).not.toContain(TOKEN.slice(0, 6));
      }
      expect(await storedCount(h.store)).toBe(0);
      expect(await alertsOf(h.alerts)).toHaveLength(0);
    });

    it('accepts the token as a bearer token or as the Basic password (Falco URL credentials)', async () => {
      const h = await start({ token: TOKEN });
      expect((await replay('http_output_request_json.http', h.port, `Bearer ${TOKEN}`)).status).toBe(202);
      const basic = Buffer.from(`falco:${TOKEN}`).toString('base64');
      expect((await replay('http_output_request_json.http', h.port, `Basic ${basic}`)).status).toBe(202);
      const wrongBasic = Buffer.from('falco:nope').toString('base64');
      expect((await replay('http_output_request_json.http', h.port, `Basic ${wrongBasic}`)).status).toBe(401);
      expect((await h.store.list({}, { first: 10 })).events.map((e) => e.count)).toEqual([2]);
    });
  });

  describe('size limit', () => {
    it('answers 413 naming the limit for an oversized body, storing nothing', async () => {
      const h = await start({ maxBodyBytes: 2048 });
      const line = fixture('terminal_shell_in_container.json').trim();
      const body = [line, line, line].join('\n');
      expect(Buffer.byteLength(body)).toBeGreaterThan(2048);
      const answer = await post(h.url, body);
      expect(answer.status).toBe(413);
      expect(answer.body).toEqual({ error: 'body exceeds the limit of 2048 bytes' });
      expect(await storedCount(h.store)).toBe(0);
      // Just under the limit is fine.
      expect((await post(h.url, [line, line].join('\n'))).status).toBe(202);
    });

    it('measures the limit after decompression, so a small gzip cannot expand past it', async () => {
      const h = await start({ maxBodyBytes: 2048 });
      const line = JSON.stringify({ ...JSON.parse(fixture('terminal_shell_in_container.json')), output: 'x'.repeat(100_000) });
      const compressed = gzipSync(line);
      expect(compressed.length).toBeLessThan(2048);
      const answer = await post(h.url, compressed, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      expect(answer.status).toBe(413);
      expect(answer.body).toEqual({ error: 'body exceeds the limit of 2048 bytes' });
      expect(await storedCount(h.store)).toBe(0);
    });

    it('answers 400 for a corrupt gzip body', async () => {
      const h = await start();
      const answer = await post(h.url, Buffer.from('not gzip at all'), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: expect.stringMatching(/^body could not be read: /) });
    });
  });

  it('answers 429 with Retry-After while maxInFlight requests are being processed', async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered = () => {};
    const inStore = new Promise<void>((resolve) => (entered = resolve));
    const slow = new MemorySecurityEventStore({ retentionDays: RETENTION_DAYS });
    const record = slow.record.bind(slow);
    slow.record = async (event) => {
      entered();
      await gate;
      return record(event);
    };
    const h = await start({ store: slow, maxInFlight: 1, retryAfterSeconds: 3 });
    const first = replay('http_output_request_json.http', h.port);
    await inStore;
    const second = await replay('http_output_request_json.http', h.port);
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('3');
    expect(second.body).toEqual({ error: 'too many requests in progress (limit 1); retry after 3 s' });
    release();
    expect((await first).status).toBe(202);
    expect((await replay('http_output_request_json.http', h.port)).status).toBe(202);
    expect((await h.store.list({}, { first: 10 })).events.map((e) => e.count)).toEqual([2]);
  });

  it('answers 503, not 2xx, when the store fails, so the sender does not count it delivered', async () => {
    const failing = new MemorySecurityEventStore({ retentionDays: RETENTION_DAYS });
    failing.record = async () => {
      throw new Error('redis down');
    };
    const h = await start({ store: failing });
    const answer = await replay('http_output_request_json.http', h.port);
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({ error: 'could not store the events; retry later' });
    expect(await alertsOf(h.alerts)).toHaveLength(0);
  });
});

describe('POST /ingest/falco with the Redis store', () => {
  let redisServer: RedisServer;
  beforeAll(async () => {
    redisServer = await startRedisServer();
  });
  afterAll(async () => {
    await redisServer?.stop();
  });

  it('has the event in Redis, readable by another client, when it answers 202', async () => {
    const prefix = `${redisServer.uniquePrefix()}:`;
    const writer = createRedis(redisServer.url, logger, 'test-writer');
    const reader = createRedis(redisServer.url, logger, 'test-reader');
    try {
      const h = await start({ store: new RedisSecurityEventStore(writer, { prefix, retentionDays: RETENTION_DAYS }) });
      const answer = await replay('http_output_request_json.http', h.port);
      expect(answer.status).toBe(202);
      const elsewhere = new RedisSecurityEventStore(reader, { prefix, retentionDays: RETENTION_DAYS });
      const [events] = await elsewhere.forResources([{ cluster: 'prod', namespace: 'default', kind: 'Pod', name: 'kubecon' }], 5);
      expect(events?.map((e) => [e.eventType, e.count])).toEqual([['Terminal shell in container', 1]]);
      expect(await alertsOf(h.alerts)).toHaveLength(1);
    } finally {
      writer.disconnect();
      reader.disconnect();
    }
  });

  it('a failed script call answers 503 to every request whose events it carried, and to no other; the retries count once', async () => {
    const prefix = `${redisServer.uniquePrefix()}:`;
    const writer = createRedis(redisServer.url, logger, 'test-writer');
    try {
      const store = new RedisSecurityEventStore(writer, { prefix, retentionDays: RETENTION_DAYS });
      const h = await start({ store, maxInFlight: 100 });
      const body = fixture('read_sensitive_file_untrusted.json');
      // A fault-injecting client: the first script call after this fails (as a dropped connection
      // would); the size of the batch it carried is recorded.
      const evalsha = writer.evalsha.bind(writer) as (...args: unknown[]) => Promise<unknown>;
      let failedBatch: number | null = null;
      (writer as unknown as { evalsha: (...args: unknown[]) => Promise<unknown> }).evalsha = (...args: unknown[]) => {
        if (failedBatch !== null) return evalsha(...args);
        // evalsha(sha, numkeys, ...keys, now, retention, ...8 values per occurrence)
        failedBatch = (args.length - 2 - Number(args[1]) - 2) / 8;
        return Promise.reject(new Error('Connection is closed.'));
      };
      const answers = await Promise.all(Array.from({ length: 40 }, () => post(h.url, body)));
      const accepted = answers.filter((a) => a.status === 202);
      const refused = answers.filter((a) => a.status === 503);
      expect(accepted.length + refused.length).toBe(40);
      expect(refused.length).toBe(failedBatch);
      expect(refused[0]?.body).toEqual({ error: 'could not store the events; retry later' });
      const [event] = (await store.list({}, { first: 10 })).events;
      expect(event?.count ?? 0).toBe(accepted.length);
      // The senders retry what was refused: every event counted once.
      const retried = await Promise.all(refused.map(() => post(h.url, body)));
      expect(retried.map((a) => a.status)).toEqual(refused.map(() => 202));
      expect((await store.list({}, { first: 10 })).events.map((e) => e.count)).toEqual([40]);
      const reported = [...accepted, ...retried].map((a) => a.body as { stored: number; duplicates: number });
      expect(reported.reduce((sum, r) => sum + r.stored, 0)).toBe(1);
      expect(reported.reduce((sum, r) => sum + r.duplicates, 0)).toBe(39);
    } finally {
      writer.disconnect();
    }
  });
});
