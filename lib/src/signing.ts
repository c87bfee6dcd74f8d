import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Gateway-to-subgraph request signing, v2. The gateway signs every upstream request with a shared
 * secret; subgraphs refuse anything unsigned (401), so nothing but the gateway can reach them even
 * when their ports are exposed.
 *
 * Header value: `t=<unix seconds>,n=<nonce>,aud=<subgraph>,v2=<hex HMAC-SHA256>` over
 *
 *     v2\n<METHOD>\n<path>\n<subgraph>\n<t>\n<nonce>\n<sha256(body) hex>\n<identity header or empty>
 *
 * What each part stops (v1 signed only `<t>.<body>`):
 * - METHOD: a POST's signature replayed as a GET (whose body is empty) or the other way round.
 * - path: a signature moved to another route. It is the request target as sent (path and query
 *   string), because a GraphQL GET carries its operation in the query string.
 * - subgraph (the audience): a signature made for one subgraph replayed to another.
 * - nonce: replay of the same request within the timestamp window; the subgraph remembers nonces
 *   (NonceCache) for as long as a timestamp can be valid.
 * - identity: the caller the gateway vouches for (lib/identity.ts) cannot be swapped or stripped.
 * `aud=` also travels in clear so a misrouted request gets a reason that says so; it is inside the
 * MAC as well, so rewriting it only turns the reason into "signature does not match".
 *
 * A graphql-ws connection has no body and no per-message headers: the gateway signs method `WS`,
 * the socket's path and an empty body, and sends signature and identity in connection_init.
 */
export const SIGNATURE_HEADER = 'x-vigil-signature';
/** The method signed for a graphql-ws connection_init. */
export const WS_METHOD = 'WS';
/** @default tolerance of `verifyRequest`, in seconds, either side of the verifier's clock. */
export const DEFAULT_TOLERANCE_SECONDS = 60;

const VERSION = 'v2';
const NONCE_BYTES = 16; // 128 bits: collisions between honest requests never happen in practice.
const NONCE_PATTERN = /^[A-Za-z0-9_-]{22,64}$/;
const AUDIENCE_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const METHOD_PATTERN = /^[A-Z]{1,16}$/;

/** What a signature covers, besides its timestamp and nonce. */
export interface SignedRequest {
  /** HTTP method (any case), or WS_METHOD for a graphql-ws connection. */
  method: string;
  /** The request target as sent: path plus query string, e.g. `/graphql` or `/graphql?query=...`. */
  path: string;
  /** The name of the subgraph the request is for (its `SubgraphDefinition.name`). */
  audience: string;
  body: string | Uint8Array;
  /** The x-vigil-identity header value; absent and empty are the same. */
  identity?: string | undefined;
}

export interface SignOptions {
  /** Milliseconds since the epoch. @default Date.now */
  now?: () => number;
  /** @default 16 random bytes, base64url. Given only by tests. */
  nonce?: string;
}

/** A fresh `x-vigil-signature` value for one request. Never reuse it: the verifier refuses a nonce twice. */
export function signRequest(secret: string, request: SignedRequest, options: SignOptions = {}): string {
  const t = Math.floor((options.now ?? Date.now)() / 1000);
  const nonce = options.nonce ?? randomBytes(NONCE_BYTES).toString('base64url');
  if (!NONCE_PATTERN.test(nonce)) throw new TypeError('nonce must be 22 to 64 base64url characters');
  if (!AUDIENCE_PATTERN.test(request.audience)) throw new TypeError(`audience must match ${String(AUDIENCE_PATTERN)}`);
  const method = request.method.toUpperCase();
  if (!METHOD_PATTERN.test(method)) throw new TypeError('method must be letters only');
  // The canonical string is newline-separated: a newline inside a part would make two requests sign alike.
  if (/[\r\n]/.test(request.path) || /[\r\n]/.test(request.identity ?? '')) throw new TypeError('path and identity must not contain line breaks');
  return `t=${t},n=${nonce},aud=${request.audience},${VERSION}=${mac(secret, request, t, nonce).toString('hex')}`;
}

/** Which check failed; `reason` says the same in words, safe to show to the caller. */
export type VerifyFailure = 'missing' | 'malformed' | 'timestamp' | 'audience' | 'mismatch' | 'replayed';
export type VerifyResult = { ok: true } | { ok: false; check: VerifyFailure; reason: string };

export interface VerifyOptions {
  /** Largest difference between the signature's timestamp and `now`, either way. @default 60 */
  toleranceSeconds?: number;
  /** Milliseconds since the epoch. @default Date.now */
  now?: () => number;
  /**
   * Remembers accepted nonces. Without one a signature can be replayed within the tolerance, so
   * every server passes one; tests of the MAC alone may leave it out.
   */
  nonces?: NonceCache;
}

const REASONS: Record<VerifyFailure, string> = {
  missing: `missing ${SIGNATURE_HEADER} header`,
  malformed: `malformed ${SIGNATURE_HEADER} header`,
  timestamp: 'signature timestamp outside tolerance',
  audience: 'signature is for another subgraph',
  mismatch: 'signature does not match',
  replayed: 'signature nonce already used',
};

const fail = (check: VerifyFailure): VerifyResult => ({ ok: false, check, reason: REASONS[check] });

/**
 * Checks `header` against the request as the verifier received it, `request.audience` being the
 * verifier's own name. Reasons are fixed strings: they never contain the secret or a MAC.
 */
export function verifyRequest(secret: string, header: string | undefined, request: SignedRequest, options: VerifyOptions = {}): VerifyResult {
  if (!header) return fail('missing');
  const parsed = parseHeader(header);
  if (!parsed) return fail('malformed');
  const toleranceSeconds = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
  if (Math.abs(nowSeconds - parsed.t) > toleranceSeconds) return fail('timestamp');
  if (parsed.aud !== request.audience) return fail('audience');
  const method = request.method.toUpperCase();
  // A request the signer could not have produced: no need to compute the MAC.
  if (!METHOD_PATTERN.test(method) || /[\r\n]/.test(request.path) || /[\r\n]/.test(request.identity ?? '')) return fail('mismatch');
  const expected = mac(secret, { ...request, method }, parsed.t, parsed.n);
  if (!timingSafeEqual(expected, Buffer.from(parsed.mac, 'hex'))) return fail('mismatch');
  // Only after the MAC: otherwise anyone could fill the cache with made-up nonces and evict real ones.
  if (options.nonces && !options.nonces.add(parsed.n)) return fail('replayed');
  return { ok: true };
}

function mac(secret: string, request: SignedRequest, t: number, nonce: string): Buffer {
  const bodyHash = createHash('sha256').update(request.body).digest('hex');
  const canonical = [VERSION, request.method.toUpperCase(), request.path, request.audience, String(t), nonce, bodyHash, request.identity ?? ''].join('\n');
  return createHmac('sha256', secret).update(canonical).digest();
}

/** Exactly the four fields, each once, in any order; anything else (a v1 header included) is malformed. */
function parseHeader(header: string): { t: number; n: string; aud: string; mac: string } | null {
  const fields = new Map<string, string>();
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    const key = part.slice(0, eq).trim();
    if (fields.has(key)) return null;
    fields.set(key, part.slice(eq + 1).trim());
  }
  const t = fields.get('t');
  const n = fields.get('n');
  const aud = fields.get('aud');
  const given = fields.get(VERSION);
  if (fields.size !== 4 || !t || !n || !aud || !given) return null;
  // No leading zeros or signs: one timestamp, one spelling.
  if (!/^(0|[1-9]\d{0,11})$/.test(t) || !NONCE_PATTERN.test(n) || !AUDIENCE_PATTERN.test(aud) || !/^[0-9a-f]{64}$/.test(given)) return null;
  return { t: Number(t), n, aud, mac: given };
}

export interface NonceCacheOptions {
  /**
   * How long a nonce is remembered, in milliseconds. Twice the verifier's tolerance: a timestamp
   * is accepted from `now - tolerance` to `now + tolerance`, so a signature first seen at any
   * moment stays acceptable for at most 2 × tolerance after it. @default 2 × 60 s
   */
  ttlMs?: number;
  /**
   * Most nonces held; beyond it the oldest is forgotten early, which reopens replay of that one
   * request until its timestamp expires. Size it above peak requests per second × ttl.
   * @default 100_000 (about 830 requests/s with the default ttl; roughly 10 MB)
   */
  maxEntries?: number;
  /** Milliseconds since the epoch. @default Date.now */
  now?: () => number;
}

/**
 * The nonces a verifier has accepted recently, in memory. Each replica of a subgraph keeps its
 * own: a request captured on its way to one replica can still be replayed once to another, but
 * only while its timestamp is within the tolerance (60 s by default), with the same body, method,
 * path, audience and identity; a shared store (Redis SET NX PX) would close that at the cost of a
 * round trip per request.
 */
export class NonceCache {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  /** nonce → expiry. A Map iterates in insertion order, so the first entry is the oldest. */
  readonly #expiries = new Map<string, number>();

  constructor(options: NonceCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 2 * DEFAULT_TOLERANCE_SECONDS * 1000;
    this.#maxEntries = options.maxEntries ?? 100_000;
    this.#now = options.now ?? Date.now;
    if (!(this.#ttlMs > 0) || !Number.isInteger(this.#maxEntries) || this.#maxEntries < 1) throw new RangeError('ttlMs must be > 0 and maxEntries a positive integer');
  }

  /** Records `nonce`; false if it was already recorded and has not expired. */
  add(nonce: string): boolean {
    const now = this.#now();
    this.#sweep(now);
    const expiry = this.#expiries.get(nonce);
    if (expiry !== undefined && expiry > now) return false;
    // Re-inserting moves it to the end, keeping insertion order equal to expiry order.
    this.#expiries.delete(nonce);
    while (this.#expiries.size >= this.#maxEntries) {
      const oldest = this.#expiries.keys().next();
      if (oldest.done) break;
      this.#expiries.delete(oldest.value);
    }
    this.#expiries.set(nonce, now + this.#ttlMs);
    return true;
  }

  get size(): number {
    return this.#expiries.size;
  }

  /** Drops expired entries from the front; stops at the first live one (later ones expire later). */
  #sweep(now: number): void {
    for (const [nonce, expiry] of this.#expiries) {
      if (expiry > now) return;
      this.#expiries.delete(nonce);
    }
  }
}
