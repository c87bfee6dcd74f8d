import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { AlertSubject, NewAlert } from '@vigil/lib/alerts/alert';
import type { AlertPublisher } from '@vigil/lib/alerts/publisher';
import { describeError } from '@vigil/lib/errors';
import type { Logger } from '@vigil/lib/logger';
import type { ClusterAuditConfig } from '../config-audit.js';
import { parseAuditEventList } from '../sources/k8s-audit/audit-event.js';
import { auditAlertRule, normaliseAuditEvent, type NormalisedAuditEvent } from '../sources/k8s-audit/normalise.js';
import { VictoriaLogsAuditForwarder, VictoriaLogsJsonLineSink } from '../sources/k8s-audit/victorialogs-forwarder.js';
import type { SecurityEvent, SecurityEventStore } from '../store/security-event-store.js';
import { DEFAULT_RETRY_AFTER_SECONDS, inFlightLimit } from './in-flight-limit.js';
import { bodyErrors, decodeUtf8, digest, presentedToken } from './intake-common.js';

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
  /** @default 1 */
  retryAfterSeconds?: number;
  /** Accepted as `Authorization: Bearer <token>` (or as the Basic-auth password). */
  token?: string;
  /** Accepted as `X-Vigil-Audit-Signature: sha256=<hex HMAC-SHA256(hmacSecret, body)>`. */
  hmacSecret?: string;
  /** Receives every accepted record (all stages) for VictoriaLogs; null: no forwarding. */
  forwarder: Pick<VictoriaLogsAuditForwarder, 'enqueue'> | null;
  logger: Logger;
}

/** What a 200 reports: accepted = stored + duplicates + ignored. */
export interface K8sAuditIngestResult {
  accepted: number;
  /** New security events. */
  stored: number;
  /** Records delivered before (same auditID): counted on the stored event. */
  duplicates: number;
  /** Records that are not security events (other stages, requests not of interest); still forwarded. */
  ignored: number;
  alerts: number;
  /** Records queued for VictoriaLogs (all of them when forwarding is on); delivered best effort, after this answer. */
  queued: number;
}

/**
 * `POST /ingest/k8s-audit`: the API server's audit webhook backend (--audit-webhook-config-file), one
 * EventList per request. Order of checks: credentials (401), in-flight limit (429 + Retry-After),
 * Content-Type (415), size (413, after decompression), HMAC signature when that is the credential
 * (401), body (400 naming the problem; nothing stored unless every item is valid), then every record of
 * interest is recorded in the store before the 200, so what was acknowledged is durable, and alerts are
 * raised. Failures to store or alert answer 503: the API server retries the whole batch.
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
  logger: Logger;
  /** For tests. @default globalThis.fetch */
  fetch?: typeof fetch;
}

export interface K8sAuditIntake {
  router: express.Router;
  /** null when `forward.victoriaLogsUrl` is unset. */
  forwarder: VictoriaLogsAuditForwarder | null;
  /** Flushes the forwarder once. Call after the HTTP server has drained, before closing Redis. */
  stop(): Promise<void>;
}

/** The webhook route and its VictoriaLogs forwarder, built from the `cluster.audit` config. */
export function createK8sAuditIntake(deps: K8sAuditIntakeDeps): K8sAuditIntake {
  const { config, logger } = deps;
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
    logger,
  });
  return { router, forwarder, stop: async () => forwarder?.stop() };
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
  if (media === '' || media === 'application/json' || /^application\/[\w.+-]*\+json$/.test(media)) return next();
  res.status(415).json({ error: `unsupported Content-Type "${contentType ?? ''}": send application/json` });
}

async function ingest(deps: K8sAuditIngestDeps, req: Request, res: Response): Promise<void> {
  const bytes: unknown = req.body;
  const body = Buffer.isBuffer(bytes) ? decodeUtf8(bytes) : '';
  if (body === null) {
    res.status(400).json({ error: 'body is not valid UTF-8' });
    return;
  }
  const parsed = parseAuditEventList(body);
  if (!parsed.ok) {
    deps.logger.info({ reason: parsed.reason }, 'k8s audit ingest rejected');
    res.status(400).json({ error: parsed.reason });
    return;
  }

  const result: K8sAuditIngestResult = { accepted: parsed.events.length, stored: 0, duplicates: 0, ignored: 0, alerts: 0, queued: 0 };
  const toAlert: { occurrence: NormalisedAuditEvent; stored: SecurityEvent; rule: string }[] = [];
  try {
    // In order, one at a time: only records of interest reach the store (a small part of a batch).
    for (const auditEvent of parsed.events) {
      const normalised = normaliseAuditEvent(auditEvent, { cluster: deps.cluster });
      if (normalised === null) {
        result.ignored += 1;
        continue;
      }
      const { event, isNew } = await deps.store.record(normalised);
      if (isNew) result.stored += 1;
      else result.duplicates += 1;
      const rule = auditAlertRule(normalised);
      if (rule !== null) toAlert.push({ occurrence: normalised, stored: event, rule });
    }
  } catch (error) {
    deps.logger.error({ err: describeError(error), recorded: result.stored + result.duplicates }, 'k8s audit ingest: storing failed');
    res.status(503).json({ error: 'could not store the events; retry later' });
    return;
  }

  try {
    for (const item of toAlert) {
      await deps.publisher.raise(auditAlert(item.occurrence, item.stored, item.rule));
      result.alerts += 1;
    }
  } catch (error) {
    // The events are stored; a 2xx would lose the alert for good. The retry counts the records once
    // more (a redelivery) and raises the alert: a duplicate page beats a missing one.
    deps.logger.error({ err: describeError(error), raised: result.alerts }, 'k8s audit ingest: raising alerts failed');
    res.status(503).json({ error: 'events stored, but raising alerts failed; retry later' });
    return;
  }

  // Only once the batch is acknowledged: a batch answered 503 comes back and is forwarded then.
  if (deps.forwarder !== null) {
    deps.forwarder.enqueue(parsed.events);
    result.queued = parsed.events.length;
  }
  deps.logger.debug({ ...result }, 'k8s audit ingest accepted');
  res.status(200).json(result);
}

/** The alert for one audit record, pointing at the stored event: what a pager needs without joins. */
export function auditAlert(occurrence: NormalisedAuditEvent, stored: SecurityEvent, rule: string): NewAlert {
  const d = occurrence.details;
  const subject = alertSubject(occurrence);
  const binding = d.roleRef === null ? '' : ` (${d.roleRef}${d.subjects.length > 0 ? ` → ${d.subjects.join(', ')}` : ''})`;
  const description = [
    `${d.user || 'unauthenticated'}${d.impersonatedUser === null ? '' : ` as ${d.impersonatedUser}`} ${d.verb} ${d.requestUri}${binding}`,
    `response ${d.responseCode ?? 'unknown'}`,
    d.sourceIps.length > 0 ? `from ${d.sourceIps.join(', ')}` : null,
    d.userAgent === null ? null : `user agent ${d.userAgent}`,
    d.reason === null ? null : d.reason,
  ]
    .filter((part) => part !== null)
    .join('; ');
  return {
    source: 'AUDIT',
    severity: occurrence.severity,
    title: occurrence.title,
    rule: `k8s-audit: ${rule}`,
    description,
    ...(subject ? { subject } : {}),
    occurredAt: occurrence.occurredAt,
    labels: {
      cluster: occurrence.cluster,
      auditId: d.auditId,
      user: d.user,
      verb: d.verb,
      securityEventId: stored.id,
      count: String(stored.count),
    },
  };
}

function alertSubject(event: NormalisedAuditEvent): AlertSubject | undefined {
  const { resource } = event;
  if (!resource) return undefined;
  const displayName = resource.namespace === '' ? `${resource.kind}/${resource.name}` : `${resource.namespace}/${resource.name}`;
  return { type: 'KubeObject', ...resource, displayName };
}

