import type { ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { parse } from 'graphql';
import type { Identity } from '@vigil/lib/identity';
import { SubscriptionGroup, type GroupSource, type SubscriberTransport } from '../src/subscriptions/fan-out.js';
import { authorisationScope, canonicalJson, groupIdentity, resumesFromCursor, subscriptionKey } from '../src/subscriptions/subscription-key.js';

// The fan-out's mechanics without a network: one upstream stream, one execution per event, bounded
// queues per member, and the sharing key (what may share, what must not).

/** An upstream stream the test pushes events into, recording whether it was closed. */
function controllableSource() {
  const pending: ((result: IteratorResult<unknown>) => void)[] = [];
  const buffered: IteratorResult<unknown>[] = [];
  let failure: Error | null = null;
  const state = { returned: 0 };
  const source: GroupSource = {
    next: () => {
      if (failure) return Promise.reject(failure);
      const ready = buffered.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve) => pending.push(resolve));
    },
    return: () => {
      state.returned += 1;
      for (const resolve of pending.splice(0)) resolve({ done: true, value: undefined });
      return Promise.resolve({ done: true, value: undefined });
    },
  };
  const deliver = (result: IteratorResult<unknown>) => {
    const resolve = pending.shift();
    if (resolve) resolve(result);
    else buffered.push(result);
  };
  return {
    source,
    state,
    emit: (value: unknown) => deliver({ done: false, value }),
    end: () => deliver({ done: true, value: undefined }),
    fail: (error: Error) => {
      failure = error;
      for (const resolve of pending.splice(0)) resolve(Promise.reject(error) as never);
    },
  };
}

function transport(bytes = () => 0): SubscriberTransport & { behind: string[] } {
  const behind: string[] = [];
  return { kind: 'other', bufferedBytes: bytes, fellBehind: (_result, reason) => behind.push(reason), behind };
}

const LIMITS = { maxQueuedEvents: 3, maxBufferedBytes: 1000 };
const tick = () => new Promise((resolve) => setImmediate(resolve));

function group(source: GroupSource | ExecutionResult, options: { resumable?: boolean } = {}) {
  const executed: unknown[] = [];
  const closed: SubscriptionGroup[] = [];
  const created = new SubscriptionGroup(
    () => Promise.resolve(source),
    (payload) => {
      executed.push(payload);
      return { data: { event: payload } };
    },
    { limits: LIMITS, resumable: options.resumable ?? false, onClose: (g) => closed.push(g) },
  );
  return { group: created, executed, closed };
}

async function member(g: SubscriptionGroup, t: SubscriberTransport = transport()) {
  const joined = await g.join(t);
  if (!(Symbol.asyncIterator in joined)) throw new Error(`expected a stream, got ${JSON.stringify(joined)}`);
  return joined;
}

describe('SubscriptionGroup', () => {
  it('executes each event once and delivers the same result object to every member, in order', async () => {
    const upstream = controllableSource();
    const { group: g, executed } = group(upstream.source);
    const [a, b] = await Promise.all([member(g), member(g)]);
    upstream.emit(1);
    upstream.emit(2);
    const [a1, b1, a2, b2] = [await a.next(), await b.next(), await a.next(), await b.next()];
    expect(executed).toEqual([1, 2]);
    expect(a1.value).toEqual({ data: { event: 1 } });
    expect(a1.value).toBe(b1.value);
    expect(a2.value).toBe(b2.value);
    expect(b2.value).toEqual({ data: { event: 2 } });
  });

  it('closes the upstream when the last member leaves, not before', async () => {
    const upstream = controllableSource();
    const { group: g, closed } = group(upstream.source);
    const a = await member(g);
    const b = await member(g);
    await a.return();
    expect(upstream.state.returned).toBe(0);
    expect(g.joinable).toBe(true);
    await b.return();
    await tick();
    expect(upstream.state.returned).toBe(1);
    expect(closed).toEqual([g]);
    expect(g.joinable).toBe(false);
  });

  it('a subscriber joining while the upstream is still opening misses nothing', async () => {
    const upstream = controllableSource();
    let open!: (source: GroupSource) => void;
    const g = new SubscriptionGroup(() => new Promise<GroupSource>((resolve) => (open = resolve)), (payload) => ({ data: { event: payload } }), { limits: LIMITS, resumable: false, onClose: () => undefined });
    const joining = [g.join(transport()), g.join(transport())];
    upstream.emit('first');
    open(upstream.source);
    const members = await Promise.all(joining);
    for (const m of members) {
      if (!(Symbol.asyncIterator in m)) throw new Error('expected streams');
      expect((await m.next()).value).toEqual({ data: { event: 'first' } });
    }
  });

  it('a stream resuming from a cursor takes no newcomer once its first event went out', async () => {
    const upstream = controllableSource();
    const { group: g } = group(upstream.source, { resumable: true });
    const a = await member(g);
    expect(g.joinable).toBe(true);
    upstream.emit(1);
    await a.next();
    expect(g.joinable).toBe(false);
  });

  it('a member that does not keep up is ended with RATE_LIMITED naming the limit; the others carry on', async () => {
    const upstream = controllableSource();
    const { group: g } = group(upstream.source);
    const slowTransport = transport();
    const slow = await member(g, slowTransport);
    const fast = await member(g);
    for (let i = 1; i <= 5; i++) {
      upstream.emit(i);
      expect((await fast.next()).value).toEqual({ data: { event: i } });
    }
    expect(slowTransport.behind).toHaveLength(1);
    expect(slowTransport.behind[0]).toMatch(/4 events queued \(gateway\.subscriptions\.maxQueuedEvents is 3\)/);
    // What was queued is dropped: the slow member's stream is the error, then its end.
    const last = await slow.next();
    expect(last.value?.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', reason: 'SLOW_CONSUMER' });
    expect(last.value?.errors?.[0]?.message).toMatch(/after:/);
    expect((await slow.next()).done).toBe(true);
    expect(g.size).toBe(1);
  });

  it('a member whose socket holds too many unsent bytes is ended even with an empty queue', async () => {
    const upstream = controllableSource();
    const { group: g } = group(upstream.source);
    let bytes = 0;
    const t = transport(() => bytes);
    const m = await member(g, t);
    const waiting = m.next();
    bytes = 5000;
    upstream.emit(1);
    expect((await waiting).value).toEqual({ data: { event: 1 } });
    expect(t.behind[0]).toMatch(/5000 bytes unsent \(gateway\.subscriptions\.maxBufferedBytes is 1000\)/);
    expect((await m.next()).value?.errors?.[0]?.extensions?.['code']).toBe('RATE_LIMITED');
  });

  it('the upstream ending completes every member after what it has queued', async () => {
    const upstream = controllableSource();
    const { group: g, closed } = group(upstream.source);
    const m = await member(g);
    upstream.emit(1);
    upstream.end();
    expect((await m.next()).value).toEqual({ data: { event: 1 } });
    expect((await m.next()).done).toBe(true);
    expect(closed).toEqual([g]);
  });

  it('an upstream failure reaches every member as an error', async () => {
    const upstream = controllableSource();
    const { group: g } = group(upstream.source);
    const [a, b] = await Promise.all([member(g), member(g)]);
    const waiting = [a.next(), b.next()];
    upstream.fail(new Error('upstream went away'));
    for (const next of waiting) await expect(next).rejects.toThrow('upstream went away');
  });

  it('an upstream that refuses the subscription answers every joiner with its errors', async () => {
    const refused = { errors: [{ message: 'refused' }] } as unknown as ExecutionResult;
    const { group: g, closed } = group(refused);
    await expect(g.join(transport())).resolves.toBe(refused);
    expect(closed).toEqual([g]);
  });
});

const identity = (overrides: Partial<Identity> = {}): Identity => ({
  subject: 'ann',
  kind: 'user',
  roles: ['viewer'],
  tenants: [{ name: 'team-a', clusters: ['a'], hostLabels: { team: 'a' }, victoriaLogs: null }],
  expiresAt: 1_900_000_000,
  ...overrides,
});
const teamB = { name: 'team-b', clusters: ['b'], hostLabels: null, victoriaLogs: { accountId: 2, projectId: 0 } };
const document = parse('subscription S($after: ID, $filter: AlertFilter) { alertRaised(after: $after, filter: $filter) { id } }');
const key = (id: Identity, variables: Record<string, unknown> = {}) => subscriptionKey({ document, variables, operationName: 'S', identity: id });

describe('subscription sharing key', () => {
  it('callers with the same roles and tenants share, whoever they are and whenever their token expires', () => {
    expect(key(identity({ subject: 'bob', kind: 'apiKey', expiresAt: null }))).toBe(key(identity()));
    expect(authorisationScope(identity({ roles: ['viewer', 'analyst', 'viewer'] }))).toBe(authorisationScope(identity({ roles: ['analyst', 'viewer'] })));
    const both = identity().tenants ?? [];
    expect(key(identity({ tenants: [teamB, ...both] }))).toBe(key(identity({ tenants: [...both, teamB] })));
  });

  it('other tenants, every tenant, no tenant or other roles never share', () => {
    const keys = [
      key(identity()),
      key(identity({ tenants: [teamB] })),
      key(identity({ tenants: null })),
      key(identity({ tenants: [] })),
      key(identity({ roles: ['analyst'] })),
      // A tenant of the same name with another scope (config changed) is another scope.
      key(identity({ tenants: [{ name: 'team-a', clusters: ['a', 'x'], hostLabels: { team: 'a' }, victoriaLogs: null }] })),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('variables count by value, not by the order of their keys', () => {
    expect(key(identity(), { filter: { minSeverity: 'HIGH', sources: ['HOSTS'] } })).toBe(key(identity(), { filter: { sources: ['HOSTS'], minSeverity: 'HIGH' } }));
    expect(key(identity(), { filter: { minSeverity: 'HIGH' } })).not.toBe(key(identity(), { filter: { minSeverity: 'LOW' } }));
    expect(key(identity(), { after: '1-0' })).not.toBe(key(identity()));
    expect(canonicalJson({ b: 1, a: [1, { d: undefined, c: null }] })).toBe('{"a":[1,{"c":null}],"b":1}');
  });

  it('the group runs as its scope, with nothing of the member who opened it', () => {
    const shared = groupIdentity(identity({ roles: ['viewer', 'analyst'] }));
    expect(shared).toEqual({ subject: 'gateway:subscription-group', kind: 'service', roles: ['analyst', 'viewer'], tenants: identity().tenants, expiresAt: null });
  });

  it('a stream resumes from a cursor only when `after` has a value', () => {
    expect(resumesFromCursor(document, 'S', { after: '1-0' })).toBe(true);
    expect(resumesFromCursor(document, 'S', { after: null })).toBe(false);
    expect(resumesFromCursor(document, 'S', {})).toBe(false);
    expect(resumesFromCursor(parse('subscription { alertRaised(after: "1-0") { id } }'), undefined, {})).toBe(true);
    expect(resumesFromCursor(parse('subscription ($a: ID = "1-0") { alertRaised(after: $a) { id } }'), undefined, {})).toBe(true);
    expect(resumesFromCursor(parse('subscription { alertRaised { id } }'), undefined, {})).toBe(false);
  });
});
