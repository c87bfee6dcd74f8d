import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NonceCache, SIGNATURE_HEADER, WS_METHOD, signRequest, verifyRequest, type SignedRequest, type VerifyFailure, type VerifyResult } from '../src/signing.js';

const SECRET = 'gateway-and-subgraphs-share-this-32-chars!';
const NOW_MS = 1_767_225_600_000; // 2026-01-01T00:00:00Z, injected: nothing here reads the real clock
const NOW = NOW_MS / 1000;
const NONCE = 'AAECAwQFBgcICQoLDA0ODw'; // 16 bytes, base64url
const BODY = '{"query":"{ hosts { totalCount } }"}';
const IDENTITY = 'eyJzdWJqZWN0IjoiYWxpY2UifQ';
const REQUEST: SignedRequest = { method: 'POST', path: '/graphql', audience: 'hosts', body: BODY, identity: IDENTITY };

const at = (ms: number) => () => ms;
const sign = (request: SignedRequest = REQUEST, nowMs = NOW_MS, nonce = NONCE) => signRequest(SECRET, request, { now: at(nowMs), nonce });
const verify = (header: string | undefined, request: SignedRequest = REQUEST, nowMs = NOW_MS, extra: { toleranceSeconds?: number; nonces?: NonceCache } = {}) =>
  verifyRequest(SECRET, header, request, { now: at(nowMs), ...extra });

function failure(result: VerifyResult): { check: VerifyFailure; reason: string } | null {
  return result.ok ? null : { check: result.check, reason: result.reason };
}

describe('signRequest', () => {
  it('produces t=<seconds>,n=<nonce>,aud=<subgraph>,v2=<HMAC-SHA256 of the canonical request>', () => {
    const bodyHash = createHash('sha256').update(BODY).digest('hex');
    const canonical = `v2\nPOST\n/graphql\nhosts\n${NOW}\n${NONCE}\n${bodyHash}\n${IDENTITY}`;
    const expected = createHmac('sha256', SECRET).update(canonical).digest('hex');
    const header = sign();
    expect(header).toBe(`t=${NOW},n=${NONCE},aud=hosts,v2=${expected}`);
    expect(header).not.toContain(SECRET);
  });

  it('signs an absent identity as empty, and string and byte bodies alike', () => {
    const bodyHash = createHash('sha256').update('').digest('hex');
    const canonical = `v2\nWS\n/graphql\nalerts\n${NOW}\n${NONCE}\n${bodyHash}\n`;
    const header = sign({ method: WS_METHOD, path: '/graphql', audience: 'alerts', body: '' });
    expect(header.split('v2=')[1]).toBe(createHmac('sha256', SECRET).update(canonical).digest('hex'));
    expect(sign({ ...REQUEST, body: Buffer.from(BODY) })).toBe(sign());
    expect(sign({ ...REQUEST, method: 'post' })).toBe(sign());
  });

  it('draws a fresh 128-bit nonce for every signature', () => {
    const nonces = new Set(Array.from({ length: 100 }, () => signRequest(SECRET, REQUEST, { now: at(NOW_MS) }).match(/,n=([^,]+),/)?.[1]));
    expect(nonces.size).toBe(100);
    for (const nonce of nonces) expect(Buffer.from(nonce ?? '', 'base64url')).toHaveLength(16);
  });

  it('refuses parts that would make the canonical string ambiguous', () => {
    expect(() => sign({ ...REQUEST, path: '/graphql\nhosts' })).toThrow(TypeError);
    expect(() => sign({ ...REQUEST, identity: 'a\nb' })).toThrow(TypeError);
    expect(() => sign({ ...REQUEST, audience: 'hosts,aud=alerts' })).toThrow(TypeError);
    expect(() => sign({ ...REQUEST, method: 'PO ST' })).toThrow(TypeError);
    expect(() => sign(REQUEST, NOW_MS, 'short')).toThrow(TypeError);
  });
});

describe('verifyRequest', () => {
  it('accepts what signRequest produced, anywhere within the tolerance (60 s by default)', () => {
    const header = sign();
    expect(verify(header)).toEqual({ ok: true });
    expect(verify(header, { ...REQUEST, body: Buffer.from(BODY) }, NOW_MS + 60_999)).toEqual({ ok: true });
    expect(verify(header, REQUEST, NOW_MS - 60_000)).toEqual({ ok: true });
    expect(verify(header, { ...REQUEST, method: 'post' })).toEqual({ ok: true });
    expect(verify(header, REQUEST, NOW_MS + 300_000, { toleranceSeconds: 300 })).toEqual({ ok: true });
  });

  const header = sign();
  const mac = header.split('v2=')[1] ?? '';
  const rejections: [string, () => VerifyResult, VerifyFailure][] = [
    // Each covered part, changed after signing.
    ['another method (a POST signature on a GET)', () => verify(header, { ...REQUEST, method: 'GET', body: '' }), 'mismatch'],
    ['another method, same body', () => verify(header, { ...REQUEST, method: 'PUT' }), 'mismatch'],
    ['another path', () => verify(header, { ...REQUEST, path: '/graphql/other' }), 'mismatch'],
    ['a query string added', () => verify(header, { ...REQUEST, path: '/graphql?query=%7B__typename%7D' }), 'mismatch'],
    ['another subgraph (the audience in the header)', () => verify(header, { ...REQUEST, audience: 'alerts' }), 'audience'],
    ['another subgraph, with aud= rewritten to match', () => verify(header.replace('aud=hosts', 'aud=alerts'), { ...REQUEST, audience: 'alerts' }), 'mismatch'],
    ['a tampered body', () => verify(header, { ...REQUEST, body: BODY.replace('hosts', 'alerts') }), 'mismatch'],
    ['a body with one byte more', () => verify(header, { ...REQUEST, body: `${BODY} ` }), 'mismatch'],
    ['another identity', () => verify(header, { ...REQUEST, identity: `${IDENTITY}x` }), 'mismatch'],
    ['the identity stripped', () => verify(header, { ...REQUEST, identity: undefined }), 'mismatch'],
    ['an identity added', () => verify(sign({ ...REQUEST, identity: undefined }), REQUEST), 'mismatch'],
    ['a changed timestamp (refreshed to replay)', () => verify(header.replace(`t=${NOW}`, `t=${NOW + 30}`)), 'mismatch'],
    ['a changed nonce (fresh to pass the replay guard)', () => verify(header.replace(`n=${NONCE}`, `n=${'B'.repeat(22)}`)), 'mismatch'],
    ['a graphql-ws signature used on HTTP', () => verify(sign({ method: WS_METHOD, path: '/graphql', audience: 'hosts', body: '', identity: IDENTITY }), REQUEST), 'mismatch'],
    ['a signature made with another secret', () => verifyRequest(SECRET, signRequest('another-secret-of-at-least-32-characters', REQUEST, { now: at(NOW_MS) }), REQUEST, { now: at(NOW_MS) }), 'mismatch'],
    ['a line break smuggled into the path', () => verify(header, { ...REQUEST, path: '/graphql\n' }), 'mismatch'],
    // Time.
    ['an expired timestamp', () => verify(header, REQUEST, NOW_MS + 61_000), 'timestamp'],
    ['a timestamp from the future', () => verify(header, REQUEST, NOW_MS - 61_000), 'timestamp'],
    ['a tighter tolerance', () => verify(header, REQUEST, NOW_MS + 11_000, { toleranceSeconds: 10 }), 'timestamp'],
    // Shape.
    ['no header', () => verify(undefined), 'missing'],
    ['an empty header', () => verify(''), 'missing'],
    ['garbage', () => verify('Bearer abc'), 'malformed'],
    ['a v1 header', () => verify(`t=${NOW},v1=${mac}`), 'malformed'],
    ['a v1 field besides v2', () => verify(`${header},v1=${mac}`), 'malformed'],
    ['no timestamp', () => verify(header.replace(`t=${NOW},`, '')), 'malformed'],
    ['no nonce', () => verify(header.replace(`n=${NONCE},`, '')), 'malformed'],
    ['no audience', () => verify(header.replace('aud=hosts,', '')), 'malformed'],
    ['no signature', () => verify(header.replace(`,v2=${mac}`, '')), 'malformed'],
    ['a duplicated field', () => verify(`${header},t=${NOW}`), 'malformed'],
    ['a non-numeric timestamp', () => verify(header.replace(`t=${NOW}`, 't=soon')), 'malformed'],
    ['a fractional timestamp', () => verify(header.replace(`t=${NOW}`, `t=${NOW}.5`)), 'malformed'],
    ['a zero-padded timestamp', () => verify(header.replace(`t=${NOW}`, `t=0${NOW}`)), 'malformed'],
    ['a short nonce (under 128 bits)', () => verify(header.replace(`n=${NONCE}`, `n=${NONCE.slice(0, 21)}`)), 'malformed'],
    ['a short signature', () => verify(header.replace(mac, mac.slice(0, 63))), 'malformed'],
    ['a non-hex signature', () => verify(header.replace(mac, 'z'.repeat(64))), 'malformed'],
    ['an upper-case signature', () => verify(header.replace(mac, mac.toUpperCase())), 'malformed'],
  ];

  it.each(rejections)('rejects %s', (_what, run, check) => {
    expect(failure(run())?.check).toBe(check);
  });

  it('names the failed check in the reason', () => {
    const reasons = new Map(rejections.map(([, run]) => [failure(run())?.check, failure(run())?.reason]));
    expect(Object.fromEntries(reasons)).toEqual({
      missing: `missing ${SIGNATURE_HEADER} header`,
      malformed: `malformed ${SIGNATURE_HEADER} header`,
      timestamp: 'signature timestamp outside tolerance',
      audience: 'signature is for another subgraph',
      mismatch: 'signature does not match',
    });
  });

  it('no reason ever contains the secret or a MAC', () => {
    for (const [what, run] of rejections) {
      const reason = failure(run())?.reason ?? '';
      expect(reason, what).not.toContain(SECRET);
      expect(reason, what).not.toMatch(/[0-9a-f]{16}/);
    }
  });

  it('with a nonce cache, refuses the same signature the second time, even within the tolerance', () => {
    const nonces = new NonceCache({ now: at(NOW_MS) });
    expect(verify(header, REQUEST, NOW_MS, { nonces })).toEqual({ ok: true });
    expect(verify(header, REQUEST, NOW_MS + 1000, { nonces })).toEqual({ ok: false, check: 'replayed', reason: 'signature nonce already used' });
    // A new signature of the very same request is a new nonce.
    expect(verify(signRequest(SECRET, REQUEST, { now: at(NOW_MS) }), REQUEST, NOW_MS, { nonces })).toEqual({ ok: true });
  });

  it('records a nonce only once its MAC verified, so forged headers cannot burn real nonces', () => {
    const nonces = new NonceCache({ now: at(NOW_MS) });
    expect(failure(verify(header, { ...REQUEST, body: 'forged' }, NOW_MS, { nonces }))?.check).toBe('mismatch');
    expect(failure(verify(header, REQUEST, NOW_MS + 61_000, { nonces }))?.check).toBe('timestamp');
    expect(nonces.size).toBe(0);
    expect(verify(header, REQUEST, NOW_MS, { nonces })).toEqual({ ok: true });
  });

  it('a replay after the nonce expired from the cache is refused by the timestamp instead', () => {
    let clock = NOW_MS;
    const nonces = new NonceCache({ ttlMs: 120_000, now: () => clock });
    expect(verify(header, REQUEST, clock, { nonces })).toEqual({ ok: true });
    clock += 120_001;
    expect(failure(verify(header, REQUEST, clock, { nonces }))?.check).toBe('timestamp');
  });
});

describe('NonceCache', () => {
  it('answers false for a nonce it holds, true again once it expired', () => {
    let clock = NOW_MS;
    const cache = new NonceCache({ ttlMs: 1000, now: () => clock });
    expect(cache.add('a')).toBe(true);
    expect(cache.add('a')).toBe(false);
    clock += 999;
    expect(cache.add('a')).toBe(false);
    clock += 1;
    expect(cache.add('a')).toBe(true);
  });

  it('defaults to twice the 60 s tolerance', () => {
    let clock = NOW_MS;
    const cache = new NonceCache({ now: () => clock });
    cache.add('a');
    clock += 119_999;
    expect(cache.add('a')).toBe(false);
    clock += 1;
    expect(cache.add('a')).toBe(true);
  });

  it('drops expired entries as time passes', () => {
    let clock = NOW_MS;
    const cache = new NonceCache({ ttlMs: 1000, now: () => clock });
    for (let i = 0; i < 10; i++) cache.add(`n${i}`);
    expect(cache.size).toBe(10);
    clock += 1000;
    cache.add('later');
    expect(cache.size).toBe(1);
  });

  it('is bounded: beyond maxEntries the oldest nonce is forgotten first', () => {
    let clock = NOW_MS;
    const cache = new NonceCache({ maxEntries: 3, now: () => clock });
    for (const nonce of ['a', 'b', 'c']) {
      cache.add(nonce);
      clock += 1;
    }
    expect(cache.add('d')).toBe(true);
    expect(cache.size).toBe(3);
    expect(cache.add('b')).toBe(false);
    expect(cache.add('a')).toBe(true); // evicted early: this is the replay the bound gives away
  });

  it('refuses nonsensical bounds', () => {
    expect(() => new NonceCache({ ttlMs: 0 })).toThrow(RangeError);
    expect(() => new NonceCache({ maxEntries: 0 })).toThrow(RangeError);
  });
});
