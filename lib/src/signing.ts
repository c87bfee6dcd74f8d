import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Gateway-to-subgraph request signing. The gateway signs every upstream request with a shared
 * secret; subgraphs refuse anything unsigned (401), so nothing but the gateway can reach them even
 * when their ports are exposed.
 *
 * Header value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<payload>">`. The timestamp bounds
 * replay to `toleranceSeconds`. For HTTP the payload is the raw request body; for a graphql-ws
 * connection it is the fixed string WS_CONNECT_PAYLOAD, sent in the connection_init payload.
 */
export const SIGNATURE_HEADER = 'x-vigil-signature';
export const WS_CONNECT_PAYLOAD = 'graphql-ws-connect';

export function sign(secret: string, payload: string | Buffer, nowSeconds = Math.floor(Date.now() / 1000)): string {
  const mac = createHmac('sha256', secret).update(`${nowSeconds}.`).update(payload).digest('hex');
  return `t=${nowSeconds},v1=${mac}`;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

export function verify(
  secret: string,
  header: string | undefined,
  payload: string | Buffer,
  { toleranceSeconds = 300, nowSeconds = Math.floor(Date.now() / 1000) } = {},
): VerifyResult {
  if (!header) return { ok: false, reason: `missing ${SIGNATURE_HEADER} header` };
  const parts = new Map(
    header.split(',').map((part) => {
      const eq = part.indexOf('=');
      return [part.slice(0, eq).trim(), part.slice(eq + 1).trim()] as const;
    }),
  );
  const t = Number(parts.get('t'));
  const given = parts.get('v1');
  if (!Number.isInteger(t) || !given || !/^[0-9a-f]{64}$/.test(given)) {
    return { ok: false, reason: `malformed ${SIGNATURE_HEADER} header` };
  }
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return { ok: false, reason: 'signature timestamp outside tolerance' };
  const expected = createHmac('sha256', secret).update(`${t}.`).update(payload).digest();
  const ok = timingSafeEqual(expected, Buffer.from(given, 'hex'));
  return ok ? { ok: true } : { ok: false, reason: 'signature does not match' };
}
