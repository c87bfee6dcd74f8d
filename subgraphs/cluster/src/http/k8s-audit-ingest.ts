import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { AlertPublisher } from '@vigil/lib/alerts/publisher';
import { systemClock, type Clock } from '@vigil/lib/clock';
import { describeError } from '@vigil/lib/errors';
import type { Logger } from '@vigil/lib/logger';
import type { Redis } from '@vigil/lib/redis';
import type { AuditRulesConfig, ClusterAuditConfig } from '../config-audit.js';
import { parseAuditEventList, type AuditDetails, type AuditEvent } from '../sources/k8s-audit/audit-event.js';
import { MemoryDeliveryLedger, type ClaimResult, type DeliveryLedger } from '../sources/k8s-audit/delivery-ledger.js';
import { auditDetails, normaliseAuditEvent, type NormalisedAuditEvent } from '../sources/k8s-audit/normalise.js';
import { RedisDeliveryLedger } from '../sources/k8s-audit/redis-delivery-ledger.js';
import { RedisAuditRuleState } from '../sources/k8s-audit/redis-rule-state.js';
import { requestRuleAlert } from '../sources/k8s-audit/rule-alerts.js';
import { AuditRuleEvaluator } from '../sources/k8s-audit/rule-evaluator.js';
import { MemoryAuditRuleState, type AuditRuleState } from '../sources/k8s-audit/rule-state.js';
import { matchRequestRules, recordKey, type RequestRuleMatch } from '../sources/k8s-audit/rules.js';
import { VictoriaLogsAuditForwarder, VictoriaLogsJsonLineSink } from '../sources/k8s-audit/victorialogs-forwarder.js';
import { securityEventId, type SecurityEvent, type SecurityEventStore } from '../store/security-event-store.js';
import { DEFAULT_RETRY_AFTER_SECONDS, inFlightLimit } from './in-flight-limit.js';
import {
  bodyCharset,
  bodyErrors,
  decodeDeclaredBody,
  digest,
  jsonDepthRefusal,
  outsideRetentionRefusal,
  presentedToken,
} from './intake-common.js';

export const K8S_AUDIT_PATH = '/ingest/k8s-audit';
/** `sha256=<64 hex digits>`: HMAC-SHA256 of the request body (after any Content-Encoding is removed), keyed with `hmacSecret`. */
export const AUDIT_SIGNATURE_HEADER = 'x-vigil-audit-signature';

export interface K8sAuditIngestDeps {
  store: SecurityEventStore;
  publisher: AlertPublisher;
  /** The configured name of the cluster whose API server posts here. */
  cluster: string;
  /** Largest accepted body, after decompression. */
  maxBodyBytes: number;
  /** Requests processed at once; more are answered 429. */
  maxInFlight: number;
  /** Retry-After on 429 and 503 answers. @default 1 */
  retryAfterSeconds?: number;
  /** Accepted as `Authorization: Bearer <token>` (or as the Basic-auth password). */
  token?: string;
  /** Accepted as `X-Vigil-Audit-Signature: sha256=<hex HMAC-SHA256(hmacSecret, body)>`. */
  hmacSecret?: string;
  /** Receives every new record (all stages) for VictoriaLogs; null: no forwarding. */
  forwarder: Pick<VictoriaLogsAuditForwarder, 'enqueue'> | null;
  /** Which records were acknowledged already (redelivery), which are being processed, which rule fired for which request. */
  ledger: DeliveryLedger;
  /** The per-request alert rules (rules.ts). */
  rules: AuditRulesConfig;
  /** The failure-rate and silence rules. */
  evaluator: Pick<AuditRuleEvaluator, 'observe'>;
  /** The time records are counted at (failure rate) and clusters heard from (silence). @default systemClock */
  clock?: Clock;
  logger: Logger;
}

/** What a 200 reports: accepted = stored + duplicates + ignored + redelivered. */
export interface K8sAuditIngestResult {
  accepted: number;
  /** New security events (including those an earlier, failed delivery of the same records stored). */
  stored: number;
  /** Records whose security event was stored already (same auditID) though the ledger had not seen them: counted on it. */
  duplicates: number;
  /** New records that are not security events (other stages, requests not of interest); still forwarded. */
  ignored: number;
  /**
   * Records (auditID + stage) acknowledged before, or repeated within this batch: not counted, alerted
   * or forwarded again.
   */
  redelivered: number;
  alerts: number;
  /** Records queued for VictoriaLogs (the new ones, when forwarding is on); delivered best effort, after this answer. */
  queued: number;
}

/**
 * `POST /ingest/k8s-audit`: the API server's audit webhook backend (--audit-webhook-config-file), one
 * EventList per request. Order of checks: credentials (401), in-flight limit (429 + Retry-After),
 * Content-Type and its charset (415), size (413, after decompression), HMAC signature when that is the
 * credential (401), body (400 naming the problem: its charset's encoding, nesting deeper than
 * MAX_JSON_DEPTH, then every item; nothing stored unless every item is valid), security events older
 * than the store's retention (422: they would expire at once; nothing of the batch is stored). Then:
 * 1. the delivery ledger claims the batch's records (auditID + stage) and the rule firings they match:
 *    records acknowledged before are skipped (redelivered); records another request is processing
 *    right now make the whole batch 429 + Retry-After (it comes back once that request is done);
 * 2. every new record of interest is recorded in the store (durable before the 200);
 * 3. the alert rules fire (rules.ts: once per request and rule; rule-evaluator.ts: failure rate, silence);
 * 4. the ledger marks the records done, the 200 is sent, the new records are forwarded to VictoriaLogs.
 * A failure in 1-3 answers 503 with Retry-After (the API server's webhook retries a 503 only when it
 * carries one) and leaves in the ledger what was done: the retry neither counts a stored event again
 * nor raises an alert that was raised, and loses nothing.
 * Mount it before any app-wide body parser: it reads the raw body itself (to bound and verify it).
 *
 * Authentication (DESIGN §6): the API server's webhook kubeconfig can present a bearer token (`token:`),
 * basic credentials or a client certificate; the bearer token is the one to use (TLS client certificates
 * terminate at the ingress, not here). A proxy that re-posts the batches can sign them instead. When
 * neither a token nor an HMAC secret is configured the route is open (embedded default; warned at start).
 */
export function k8sAuditIngestRouter(deps: K8sAuditIngestDeps): express.Router {
  const router = express.Router();
  const readBody = express.raw({ type: () => true, limit: deps.maxBodyBytes, inflate: true });
  const auth = new Credentials(deps.token, deps.hmacSecret);
  const limit = inFlightLimit({ maxInFlight: deps.maxInFlight, retryAfterSeconds: deps.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS });
  router.post(K8S_AUDIT_PATH, auth.checkHeaders, limit, checkContentType, readBody, auth.checkSignature, (req, res) => ingest(deps, req, res));
  router.use(K8S_AUDIT_PATH, bodyErrors({ maxBodyBytes: deps.maxBodyBytes, logger: deps.logger, what: 'k8s audit ingest' }));
  return router;
}

export interface K8sAuditIntakeDeps {
  /** The `cluster.audit` config section. */
  config: ClusterAuditConfig;
  /** `cluster.name`: tags security events and forwarded records. */
  cluster: string;
  store: SecurityEventStore;
  publisher: AlertPublisher;
  /** The subgraph's Redis: the delivery ledger and rule state live there, shared by replicas. null/unset: in memory. */
  redis?: Redis | null;
  /** Key prefix in Redis (`vigil:cluster:`). @default vigil:cluster: */
  prefix?: string;
  /** @default systemClock */
  clock?: Clock;
  logger: Logger;
  /** For tests. @default globalThis.fetch */
  fetch?: typeof fetch;
}

export interface K8sAuditIntake {
  router: express.Router;
  /** null when `forward.victoriaLogsUrl` is unset. */
  forwarder: VictoriaLogsAuditForwarder | null;
  ledger: DeliveryLedger;
  /** The failure-rate and silence rules; its silence timer runs from creation until stop(). */
  evaluator: AuditRuleEvaluator;
  /** The failure-rate and silence rules' state (holds, last seen): shared with the audit subgraph's live tail in one process without Redis. */
  ruleState: AuditRuleState;
  /** Stops the silence timer and flushes the forwarder once. Call after the HTTP server has drained, before closing Redis. */
  stop(): Promise<void>;
}

/** The webhook route, its delivery ledger, alert rules and VictoriaLogs forwarder, built from the `cluster.audit` config. */
export function createK8sAuditIntake(deps: K8sAuditIntakeDeps): K8sAuditIntake {
  const { config, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const prefix = deps.prefix ?? 'vigil:cluster:';
  const forward = config.forward;
  const forwarder =
    forward.victoriaLogsUrl === undefined
      ? null
      : new VictoriaLogsAuditForwarder({
          sink: new VictoriaLogsJsonLineSink({
            baseUrl: forward.victoriaLogsUrl,
            timeoutMs: forward.timeoutMs,
            tenant: { accountId: forward.accountId, projectId: forward.projectId },
            ...(deps.fetch ? { fetch: deps.fetch } : {}),
          }),
          cluster: deps.cluster,
          batchSize: forward.batchSize,
          flushMs: forward.flushMs,
          maxBufferedEvents: forward.maxBufferedEvents,
          logger: logger.child({ component: 'k8s-audit-forwarder' }),
        });
  if (config.token === undefined && config.hmacSecret === undefined) {
    logger.warn(`${K8S_AUDIT_PATH} accepts unauthenticated requests: set cluster.audit.token (VIGIL_AUDIT_WEBHOOK_TOKEN) or cluster.audit.hmacSecret`);
  }
  const windowMs = config.redelivery.windowSeconds * 1000;
  const ledger: DeliveryLedger = deps.redis
    ? new RedisDeliveryLedger(deps.redis, { prefix, windowMs, clock })
    : new MemoryDeliveryLedger({ windowMs, maxEntries: config.redelivery.maxEntries, clock });
  const ruleState: AuditRuleState = deps.redis ? new RedisAuditRuleState(deps.redis, { prefix, clock }) : new MemoryAuditRuleState({ clock });
  const evaluator = new AuditRuleEvaluator({
    state: ruleState,
    config: config.rules,
    publisher: deps.publisher,
    clock,
    logger: logger.child({ component: 'k8s-audit-rules' }),
  });
  evaluator.start();
  const router = k8sAuditIngestRouter({
    store: deps.store,
    publisher: deps.publisher,
    cluster: deps.cluster,
    maxBodyBytes: config.maxBodyBytes,
    maxInFlight: config.maxInFlight,
    retryAfterSeconds: config.retryAfterSeconds,
    ...(config.token === undefined ? {} : { token: config.token }),
    ...(config.hmacSecret === undefined ? {} : { hmacSecret: config.hmacSecret }),
    forwarder,
    ledger,
    rules: config.rules,
    evaluator,
    clock,
    logger,
  });
  return {
    router,
    forwarder,
    ledger,
    evaluator,
    ruleState,
    stop: async () => {
      await evaluator.stop();
      await forwarder?.stop();
    },
  };
}

/**
 * Bearer token (or Basic password) checked from the headers; an HMAC signature checked once the body is
 * read. Secrets are compared as SHA-256 digests (equal lengths for timingSafeEqual, no early exit).
 */
class Credentials {
  readonly #token: Buffer | undefined;
  readonly #hmacSecret: string | undefined;
  /** Requests whose credential is a signature still to be verified against the body. */
  readonly #pendingSignature = new WeakMap<Request, Buffer>();

  constructor(token: string | undefined, hmacSecret: string | undefined) {
    this.#token = token === undefined ? undefined : digest(token);
    this.#hmacSecret = hmacSecret;
  }

  readonly checkHeaders = (req: Request, res: Response, next: NextFunction): void => {
    if (this.#token === undefined && this.#hmacSecret === undefined) return next();
    const bearer = this.#token === undefined ? null : presentedToken(req.headers.authorization);
    if (this.#token !== undefined && bearer !== null) {
      if (timingSafeEqual(digest(bearer), this.#token)) return next();
      return this.#reject(res, 'invalid bearer token');
    }
    const header = req.headers[AUDIT_SIGNATURE_HEADER];
    if (this.#hmacSecret !== undefined && header !== undefined) {
      const signature = parseSignature(Array.isArray(header) ? header.join(',') : header);
      if (signature === null) return this.#reject(res, `malformed ${AUDIT_SIGNATURE_HEADER}: expected sha256=<64 hex digits>`);
      this.#pendingSignature.set(req, signature);
      return next();
    }
    const accepted = [this.#token !== undefined ? 'a bearer token' : null, this.#hmacSecret !== undefined ? `an ${AUDIT_SIGNATURE_HEADER} signature` : null];
    this.#reject(res, `missing credentials: send ${accepted.filter((a) => a !== null).join(' or ')}`);
  };

  readonly checkSignature = (req: Request, res: Response, next: NextFunction): void => {
    const signature = this.#pendingSignature.get(req);
    if (signature === undefined || this.#hmacSecret === undefined) return next();
    const body: unknown = req.body;
    const expected = createHmac('sha256', this.#hmacSecret)
      .update(Buffer.isBuffer(body) ? body : Buffer.alloc(0))
      .digest();
    if (timingSafeEqual(signature, expected)) return next();
    this.#reject(res, 'invalid signature');
  };

  #reject(res: Response, error: string): void {
    if (this.#token !== undefined) res.set('WWW-Authenticate', 'Bearer realm="vigil"');
    res.status(401).json({ error });
  }
}

function parseSignature(header: string): Buffer | null {
  const match = /^\s*sha256=([0-9a-fA-F]{64})\s*$/.exec(header);
  return match?.[1] ? Buffer.from(match[1], 'hex') : null;
}

/** The API server sends application/json (client-go); anything else is a misconfigured sender. */
function checkContentType(req: Request, res: Response, next: NextFunction) {
  const contentType = req.headers['content-type'];
  const media = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (media !== '' && media !== 'application/json' && !/^application\/[\w.+-]*\+json$/.test(media)) {
    res.status(415).json({ error: `unsupported Content-Type "${contentType ?? ''}": send application/json` });
    return;
  }
  const charset = bodyCharset(contentType);
  if ('error' in charset) {
    res.status(415).json({ error: charset.error });
    return;
  }
  next();
}

/** One distinct record of a batch, with what the rules found in it. */
interface BatchRecord {
  event: AuditEvent;
  details: AuditDetails;
  key: string;
  matches: RequestRuleMatch[];
  normalised: NormalisedAuditEvent | null;
}

async function ingest(deps: K8sAuditIngestDeps, req: Request, res: Response): Promise<void> {
  const decoded = decodeDeclaredBody(req.body, req.headers['content-type']);
  if ('error' in decoded) {
    res.status(400).json({ error: decoded.error });
    return;
  }
  const body = decoded.text;
  // Nesting is checked first, so a hostile body is refused without being built.
  const tooDeep = jsonDepthRefusal(body);
  const parsed = tooDeep !== null ? { ok: false as const, reason: tooDeep } : parseAuditEventList(body);
  if (!parsed.ok) {
    deps.logger.info({ reason: parsed.reason }, 'k8s audit ingest rejected');
    res.status(400).json({ error: parsed.reason });
    return;
  }

  const { cluster, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const retryAfter = String(deps.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS);
  const unavailable = (error: string) => res.status(503).set('Retry-After', retryAfter).json({ error });
  const result: K8sAuditIngestResult = { accepted: parsed.events.length, stored: 0, duplicates: 0, ignored: 0, redelivered: 0, alerts: 0, queued: 0 };

  // Distinct records in order; a repeat within the batch is a redelivery of its first.
  const records: BatchRecord[] = [];
  const byKey = new Set<string>();
  for (const event of parsed.events) {
    const details = auditDetails(event);
    const key = recordKey(details);
    if (byKey.has(key)) {
      result.redelivered += 1;
      continue;
    }
    byKey.add(key);
    records.push({ event, details, key, matches: matchRequestRules({ cluster, details }, deps.rules), normalised: normaliseAuditEvent(event, { cluster }) });
  }
  // Security events the store would keep nothing of (retention is on lastSeen): the batch is refused, all
  // or nothing as for an invalid item, before anything is claimed, stored or forwarded.
  const what = (r: BatchRecord) => `item ${parsed.events.indexOf(r.event) + 1} (auditID ${r.details.auditId})`;
  const stale = outsideRetentionRefusal(records, (r) => r.normalised?.occurredAt ?? null, deps.store.retention(), what);
  if (stale !== null) {
    logger.info({ reason: stale }, 'k8s audit ingest rejected');
    res.status(422).json({ error: stale });
    return;
  }
  const ruleKeys = new Set(records.flatMap((r) => r.matches.map((m) => m.onceKey)));
  const keys = [...records.map((r) => r.key), ...ruleKeys];
  if (keys.length === 0) {
    res.status(200).json(result);
    return;
  }

  // 1. Claim.
  const owner = randomUUID();
  let claims: Map<string, ClaimResult>;
  try {
    const results = await deps.ledger.claim(cluster, keys, owner);
    claims = new Map(keys.map((key, i) => [key, results[i] ?? { state: 'busy' }]));
  } catch (error) {
    logger.error({ err: describeError(error) }, 'k8s audit ingest: the delivery ledger failed');
    unavailable('could not check the batch against earlier deliveries; retry later');
    return;
  }
  const claimedKeys = keys.filter((key) => claims.get(key)?.state === 'claimed');
  const recordedBefore = new Set(claimedKeys.filter((key) => isRecorded(claims.get(key))));
  const recordedNow = new Set<string>();
  const fired = new Set<string>();
  /** Leaves what this attempt did in the ledger and frees the rest for the retry. */
  const settleFailed = () =>
    deps.ledger
      .settle(cluster, {
        done: [...fired],
        recorded: claimedKeys.filter((key) => recordedBefore.has(key) || recordedNow.has(key)),
        released: claimedKeys.filter((key) => !fired.has(key) && !recordedBefore.has(key) && !recordedNow.has(key)),
      })
      .catch((error: unknown) => logger.error({ err: describeError(error) }, 'k8s audit ingest: could not record the progress of a failed batch'));

  if (keys.some((key) => claims.get(key)?.state === 'busy')) {
    await settleFailed();
    res
      .status(429)
      .set('Retry-After', retryAfter)
      .json({ error: `records of this batch are being processed by another request; retry after ${retryAfter} s` });
    return;
  }
  const fresh = records.filter((r) => claims.get(r.key)?.state === 'claimed');
  result.redelivered += records.length - fresh.length;

  // 2. Store. In order, one at a time: only records of interest reach the store (a small part of a batch).
  const stored = new Map<string, SecurityEvent>();
  try {
    for (const record of fresh) {
      if (record.normalised === null) {
        result.ignored += 1;
      } else if (recordedBefore.has(record.key)) {
        // An earlier delivery stored it, then failed: not counted again.
        result.stored += 1;
      } else {
        const { event, isNew } = await deps.store.record(record.normalised);
        recordedNow.add(record.key);
        stored.set(record.key, event);
        if (isNew) result.stored += 1;
        else result.duplicates += 1;
      }
    }
  } catch (error) {
    logger.error({ err: describeError(error), recorded: recordedNow.size }, 'k8s audit ingest: storing failed');
    await settleFailed();
    unavailable('could not store the events; retry later');
    return;
  }

  // 3. Alert.
  try {
    const toFire = fresh.flatMap((record) => record.matches.filter((m) => claims.get(m.onceKey)?.state === 'claimed').map((match) => ({ record, match })));
    // Events an earlier delivery stored: read back for the alert's labels (one batch).
    const missing = [...new Set(toFire.filter(({ record }) => record.normalised !== null && !stored.has(record.key)).map(({ record }) => record))];
    const readBack = missing.length === 0 ? [] : await deps.store.get(missing.map((r) => securityEventId(r.normalised?.dedupKey ?? '')));
    missing.forEach((record, i) => {
      const event = readBack[i];
      if (event) stored.set(record.key, event);
    });
    for (const { record, match } of toFire) {
      // An exec's ResponseStarted and ResponseComplete in one batch: one alert.
      if (fired.has(match.onceKey)) continue;
      await deps.publisher.raise(requestRuleAlert(match, { cluster, details: record.details }, stored.get(record.key) ?? null));
      fired.add(match.onceKey);
      result.alerts += 1;
    }
    result.alerts += await deps.evaluator.observe(
      cluster,
      fresh.map((r) => r.details),
      clock().getTime(),
    );
  } catch (error) {
    // Stored, not all alerted: a 2xx would lose the alerts for good. The retry raises only the rest.
    logger.error({ err: describeError(error), raised: result.alerts }, 'k8s audit ingest: raising alerts failed');
    await settleFailed();
    unavailable('events stored, but raising alerts failed; retry later');
    return;
  }

  // 4. Acknowledge.
  try {
    await deps.ledger.settle(cluster, {
      done: [...fresh.map((r) => r.key), ...fired],
      recorded: [],
      // Rule keys of records that were not new: nothing fired for them here.
      released: claimedKeys.filter((key) => ruleKeys.has(key) && !fired.has(key)),
    });
  } catch (error) {
    // Everything the 2xx promises is done (stored, alerted); only the memory of it failed. A 503 would make
    // the retry count and alert all of it again; a 200 risks that only if the batch is delivered again.
    logger.error({ err: describeError(error) }, 'k8s audit ingest: could not mark the batch delivered; a redelivery would be counted again');
  }
  if (deps.forwarder !== null && fresh.length > 0) {
    deps.forwarder.enqueue(fresh.map((r) => r.event));
    result.queued = fresh.length;
  }
  logger.debug({ ...result }, 'k8s audit ingest accepted');
  res.status(200).json(result);
}

function isRecorded(claim: ClaimResult | undefined): boolean {
  return claim?.state === 'claimed' && claim.recorded;
}
