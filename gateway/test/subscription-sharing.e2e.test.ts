import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_A, HOST_B, POD_B, SseSubscriber, WsSubscriber, startSubscriptionStack, untilLive, waitFor, type Caller, type SubscriptionStack } from './subscription-helpers.js';

/**
 * Resolve once, deliver many (gateway/src/subscriptions/*), through the real stack in production
 * mode: subscribers of the same document, variables and authorisation scope share one upstream
 * subscription and one execution per event — proven by the gateway's own counters of upstream
 * subscriptions and of HTTP requests to the hosts subgraph (the entity fetch of each event) — and
 * subscribers of different scopes never do, nor see each other's events.
 */

/** Alert fields plus the Host subject resolved in the hosts subgraph: one entity fetch per event. */
const WITH_SUBJECT = 'subscription ($after: ID) { alertRaised(after: $after) { id title subject { __typename ... on Host { id name } } } }';
const N = 12;
const K = 5;

async function closeAll(subscribers: readonly { dispose(): Promise<void> }[]): Promise<void> {
  await Promise.all(subscribers.map((s) => s.dispose()));
}

describe.each([
  { share: true, upstreams: 1, fetchesPerEvent: 1 },
  // Today's Hive Gateway behaviour, for contrast: the same counters show one of each per subscriber.
  { share: false, upstreams: N, fetchesPerEvent: N },
])('gateway.subscriptions.share: $share', ({ share, upstreams, fetchesPerEvent }) => {
  let t: SubscriptionStack;
  beforeAll(async () => {
    t = await startSubscriptionStack({ share });
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
  });

  it(`${N} subscribers of one scope (different people): ${upstreams} upstream subscription(s), ${fetchesPerEvent} entity fetch(es) per event, every event to each`, async () => {
    const callers: Caller[] = [];
    for (let i = 0; i < N; i++) callers.push(await t.jwt(`viewer-${i}`, { roles: ['viewer'], tenants: ['team-a'] }));
    const before = await t.metrics();
    const subscribers = callers.map((caller) => new WsSubscriber(t.stack.gateway.wsUrl, caller, WITH_SUBJECT));
    try {
      await untilLive(t, subscribers);
      const live = await t.metrics();
      for (let i = 0; i < K; i++) await t.raise({ title: `shared ${i}`, subject: HOST_A });
      await waitFor(() => subscribers.every((s) => s.titles('shared ').length === K), `${K} events at each of ${N} subscribers`);
      const after = await t.metrics();

      for (const s of subscribers) {
        expect(s.titles('shared ')).toEqual(Array.from({ length: K }, (_, i) => `shared ${i}`));
        expect(s.received.at(-1)?.raw['subject']).toEqual({ __typename: 'Host', id: 'host-a', name: 'host-a' });
        expect(s.errors).toEqual([]);
      }
      expect(after.upstreamSubscriptions('alerts') - before.upstreamSubscriptions('alerts')).toBe(upstreams);
      expect(after.groups).toBe(upstreams);
      expect(after.eventsExecuted - live.eventsExecuted).toBe(K * upstreams);
      expect(after.subgraphRequests('hosts') - live.subgraphRequests('hosts')).toBe(K * fetchesPerEvent);
      expect(after.deliveries - live.deliveries).toBe(K * N);
    } finally {
      await closeAll(subscribers);
    }
    // The last one out closes the upstream.
    await waitFor(async () => (await t.metrics()).groups === 0, 'every shared subscription closed');
  });
});

describe('sharing across scopes, token expiry and resuming', () => {
  let t: SubscriptionStack;
  beforeAll(async () => {
    t = await startSubscriptionStack({}, [{ name: 'soc-bot', roles: ['analyst'], tenants: ['team-a'] }]);
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('different tenants or roles never share, and each scope sees exactly its own alerts (graphql-ws and SSE alike)', async () => {
    const query = 'subscription { alertRaised { id title } }';
    const viewerA1 = await t.jwt('vic', { roles: ['viewer'], tenants: ['team-a'] });
    const viewerA2 = await t.jwt('val', { roles: ['viewer'], tenants: ['team-a'] });
    const viewerB = await t.jwt('bea', { roles: ['viewer'], tenants: ['team-b'] });
    const viewerAll = await t.jwt('vera', { roles: ['viewer'] });
    const analystA = t.apiKey['soc-bot'] as Caller;
    const before = await t.metrics();
    const ws = {
      a1: new WsSubscriber(t.stack.gateway.wsUrl, viewerA1, query),
      a2: new WsSubscriber(t.stack.gateway.wsUrl, viewerA2, query),
      b: new WsSubscriber(t.stack.gateway.wsUrl, viewerB, query),
      all: new WsSubscriber(t.stack.gateway.wsUrl, viewerAll, query),
      analystA: new WsSubscriber(t.stack.gateway.wsUrl, analystA, query),
    };
    const sse = { a: new SseSubscriber(t.stack.gateway.url, viewerA1, query), b: new SseSubscriber(t.stack.gateway.url, viewerB, query) };
    const everyone = [...Object.values(ws), ...Object.values(sse)];
    try {
      // Each scope needs a probe it may see before it counts as live.
      await untilLive(t, [ws.a1, ws.a2, ws.all, ws.analystA, sse.a], HOST_A);
      await untilLive(t, [ws.b, sse.b], HOST_B);
      const marker = `leak-check ${Date.now()}`;
      await t.raise({ title: `${marker} host-a`, subject: HOST_A });
      await t.raise({ title: `${marker} host-b`, subject: HOST_B });
      await t.raise({ title: `${marker} pod-b`, subject: POD_B, source: 'CLUSTER' });
      await t.raise({ title: `${marker} unscoped` });
      await waitFor(() => ws.all.titles(marker).length === 4, 'the unrestricted viewer to see all four');
      // The restricted ones have seen theirs once the last alert (not theirs) reached the unrestricted one;
      // give their (separate) executions a moment to have delivered anything they wrongly would.
      await new Promise((resolve) => setTimeout(resolve, 300));

      const after = await t.metrics();
      const teamA = [`${marker} host-a`];
      const teamB = [`${marker} host-b`, `${marker} pod-b`];
      expect(ws.a1.titles(marker)).toEqual(teamA);
      expect(ws.a2.titles(marker)).toEqual(teamA);
      expect(ws.analystA.titles(marker)).toEqual(teamA);
      expect(sse.a.titles(marker)).toEqual(teamA);
      expect(ws.b.titles(marker)).toEqual(teamB);
      expect(sse.b.titles(marker)).toEqual(teamB);
      expect(ws.all.titles(marker)).toEqual([`${marker} host-a`, `${marker} host-b`, `${marker} pod-b`, `${marker} unscoped`]);
      // Four scopes — viewer of team-a (two people, graphql-ws and SSE), viewer of team-b (graphql-ws
      // and SSE), viewer of every tenant, analyst of team-a — so four upstream subscriptions.
      expect(after.upstreamSubscriptions('alerts') - before.upstreamSubscriptions('alerts')).toBe(4);
      expect(after.groups).toBe(4);
    } finally {
      await closeAll(everyone);
    }
    await waitFor(async () => (await t.metrics()).groups === 0, 'every shared subscription closed');
  });

  it("a member's token expiring ends that member only: graphql-ws closes it with 4403, the group and its upstream carry on", async () => {
    const query = 'subscription { alertRaised { id title } }';
    // jose counts whole seconds: 3 s from now is at least 2 s of live subscription.
    const brief = await t.jwt('brief', { roles: ['viewer'], tenants: ['team-a'] }, '3s');
    const lasting = await t.jwt('lasting', { roles: ['viewer'], tenants: ['team-a'] });
    const before = await t.metrics();
    const briefSub = new WsSubscriber(t.stack.gateway.wsUrl, brief, query);
    const lastingSub = new WsSubscriber(t.stack.gateway.wsUrl, lasting, query);
    const briefSse = new SseSubscriber(t.stack.gateway.url, brief, query);
    try {
      await untilLive(t, [briefSub, lastingSub, briefSse]);
      await waitFor(() => briefSub.closed !== null, 'the short-lived token to expire', 8_000);
      expect(briefSub.closed?.code).toBe(4403);
      expect(briefSub.closed?.reason).toMatch(/token expired/);
      await briefSse.done;
      expect(JSON.stringify(briefSse.errors)).toMatch(/UNAUTHENTICATED/);
      await t.raise({ title: 'after expiry', subject: HOST_A });
      await waitFor(() => lastingSub.titles('after expiry').length === 1, 'the other member to go on receiving');
      const after = await t.metrics();
      expect(after.upstreamSubscriptions('alerts') - before.upstreamSubscriptions('alerts')).toBe(1);
      expect(after.groups).toBe(1);
      expect(lastingSub.closed).toBeNull();
    } finally {
      await closeAll([briefSub, lastingSub, briefSse]);
    }
    await waitFor(async () => (await t.metrics()).groups === 0, 'the shared subscription to close');
  }, 20_000);

  it('a subscription answered by authorisation with a single refusal leaves no shared subscription behind', async () => {
    const viewer = await t.jwt('nosy', { roles: ['viewer'] });
    await waitFor(async () => (await t.metrics()).groups === 0, 'no shared subscription open');
    // KubeObject.auditTrail is for analysts: generic-auth answers the whole stream with FORBIDDEN.
    const refused = new WsSubscriber(t.stack.gateway.wsUrl, viewer, 'subscription { alertRaised { id subject { ... on KubeObject { auditTrail { pageInfo { hasNextPage } } } } } }');
    try {
      await waitFor(() => refused.errors.length > 0 && refused.completed, 'the refusal');
      expect(JSON.stringify(refused.errors)).toMatch(/FORBIDDEN/);
      expect(JSON.stringify(refused.errors)).toMatch(/KubeObject\.auditTrail needs the analyst role/);
      await waitFor(async () => (await t.metrics()).groups === 0, 'the group it joined to close');
    } finally {
      await refused.dispose();
    }
  });

  it('after: replays everything after the cursor to each subscriber, including one that comes later', async () => {
    const query = 'subscription ($after: ID) { alertRaised(after: $after) { id title } }';
    const caller = await t.jwt('resumer', { roles: ['viewer'] });
    const cursor = await t.raise({ title: 'cursor' });
    for (let i = 0; i < 3; i++) await t.raise({ title: `missed ${i}` });
    const before = await t.metrics();
    const together = [new WsSubscriber(t.stack.gateway.wsUrl, caller, query, { after: cursor }), new WsSubscriber(t.stack.gateway.wsUrl, caller, query, { after: cursor })];
    try {
      await waitFor(() => together.every((s) => s.titles('missed ').length === 3), 'the replay at both');
      // Joins after the replay went out: it must get its own replay, not the live tail of the first.
      const later = new WsSubscriber(t.stack.gateway.wsUrl, caller, query, { after: cursor });
      together.push(later);
      await waitFor(() => later.titles('missed ').length === 3, 'the replay at the latecomer');
      await t.raise({ title: 'live' });
      await waitFor(() => together.every((s) => s.titles('live').length === 1), 'the live alert at all three');
      for (const s of together) expect(s.titles()).toEqual(['missed 0', 'missed 1', 'missed 2', 'live']);
      const after = await t.metrics();
      // Two at once may share (or not, when the second subscribe came after the first replayed event);
      // the latecomer always has its own.
      expect(after.upstreamSubscriptions('alerts') - before.upstreamSubscriptions('alerts')).toBeGreaterThanOrEqual(2);
      expect(after.upstreamSubscriptions('alerts') - before.upstreamSubscriptions('alerts')).toBeLessThanOrEqual(3);
    } finally {
      await closeAll(together);
    }
  });
});
