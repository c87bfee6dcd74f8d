import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, WS_CONNECT_PAYLOAD, sign, verify } from '../src/signing.js';

const SECRET = 'gateway-and-subgraphs-share-this-32-chars!';
const NOW = 1_767_225_600; // 2026-01-01T00:00:00Z
const BODY = '{"query":"{ hosts { totalCount } }"}';

describe('sign', () => {
  it('produces t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<payload>">', () => {
    const header = sign(SECRET, BODY, NOW);
    const expected = createHmac('sha256', SECRET).update(`${NOW}.${BODY}`).digest('hex');
    expect(header).toBe(`t=${NOW},v1=${expected}`);
    expect(header).not.toContain(SECRET);
  });

  it('signs strings and buffers alike', () => {
    expect(sign(SECRET, Buffer.from(BODY), NOW)).toBe(sign(SECRET, BODY, NOW));
  });
});

describe('verify', () => {
  it('accepts what sign produced, as string or buffer, within the tolerance', () => {
    const header = sign(SECRET, BODY, NOW);
    expect(verify(SECRET, header, BODY, { nowSeconds: NOW })).toEqual({ ok: true });
    expect(verify(SECRET, header, Buffer.from(BODY), { nowSeconds: NOW + 300 })).toEqual({ ok: true });
    expect(verify(SECRET, header, BODY, { nowSeconds: NOW - 300 })).toEqual({ ok: true });
    // With the real clock too.
    expect(verify(SECRET, sign(SECRET, WS_CONNECT_PAYLOAD), WS_CONNECT_PAYLOAD)).toEqual({ ok: true });
  });

  const header = sign(SECRET, BODY, NOW);
  const mac = header.split('v1=')[1] ?? '';
  const rejections: [string, () => ReturnType<typeof verify>, RegExp][] = [
    ['a tampered body', () => verify(SECRET, header, BODY.replace('hosts', 'alerts'), { nowSeconds: NOW }), /^signature does not match$/],
    ['a body with one byte more', () => verify(SECRET, header, `${BODY} `, { nowSeconds: NOW }), /^signature does not match$/],
    ['a signature made with another secret', () => verify(SECRET, sign('another-secret-of-at-least-32-characters', BODY, NOW), BODY, { nowSeconds: NOW }), /^signature does not match$/],
    ['a changed timestamp (replayed with a fresh t)', () => verify(SECRET, header.replace(`t=${NOW}`, `t=${NOW + 60}`), BODY, { nowSeconds: NOW + 60 }), /^signature does not match$/],
    ['a signature for the graphql-ws payload used on HTTP', () => verify(SECRET, sign(SECRET, WS_CONNECT_PAYLOAD, NOW), BODY, { nowSeconds: NOW }), /^signature does not match$/],
    ['an expired timestamp', () => verify(SECRET, header, BODY, { nowSeconds: NOW + 301 }), /^signature timestamp outside tolerance$/],
    ['a timestamp from the future', () => verify(SECRET, header, BODY, { nowSeconds: NOW - 301 }), /^signature timestamp outside tolerance$/],
    ['a tighter tolerance', () => verify(SECRET, header, BODY, { nowSeconds: NOW + 11, toleranceSeconds: 10 }), /^signature timestamp outside tolerance$/],
    ['no header', () => verify(SECRET, undefined, BODY, { nowSeconds: NOW }), new RegExp(`^missing ${SIGNATURE_HEADER} header$`)],
    ['an empty header', () => verify(SECRET, '', BODY, { nowSeconds: NOW }), new RegExp(`^missing ${SIGNATURE_HEADER} header$`)],
    ['garbage', () => verify(SECRET, 'Bearer abc', BODY, { nowSeconds: NOW }), /^malformed /],
    ['no timestamp', () => verify(SECRET, `v1=${mac}`, BODY, { nowSeconds: NOW }), /^malformed /],
    ['a non-numeric timestamp', () => verify(SECRET, `t=soon,v1=${mac}`, BODY, { nowSeconds: NOW }), /^malformed /],
    ['a fractional timestamp', () => verify(SECRET, `t=${NOW}.5,v1=${mac}`, BODY, { nowSeconds: NOW }), /^malformed /],
    ['no signature', () => verify(SECRET, `t=${NOW}`, BODY, { nowSeconds: NOW }), /^malformed /],
    ['a short signature', () => verify(SECRET, `t=${NOW},v1=${mac.slice(0, 63)}`, BODY, { nowSeconds: NOW }), /^malformed /],
    ['a non-hex signature', () => verify(SECRET, `t=${NOW},v1=${'z'.repeat(64)}`, BODY, { nowSeconds: NOW }), /^malformed /],
    ['an upper-case signature', () => verify(SECRET, `t=${NOW},v1=${mac.toUpperCase()}`, BODY, { nowSeconds: NOW }), /^malformed /],
  ];

  it.each(rejections)('rejects %s with a reason', (_what, run, reason) => {
    const result = run();
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toMatch(reason);
  });

  it('no reason ever contains the secret or the expected signature', () => {
    for (const [what, run] of rejections) {
      const result = run();
      const reason = result.ok ? '' : result.reason;
      expect(reason, what).not.toContain(SECRET);
      expect(reason, what).not.toContain(mac);
      expect(reason, what).not.toMatch(/[0-9a-f]{16}/);
    }
  });
});
