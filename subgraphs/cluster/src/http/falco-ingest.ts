import { timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { KUBERNETES_USER_LABEL, type AlertSubject, type NewAlert } from '@vigil/lib/alerts/alert';
import type { AlertPublisher } from '@vigil/lib/alerts/publisher';
import { describeError } from '@vigil/lib/errors';
import type { HostIdentity } from '@vigil/lib/host-directory';
import type { Logger } from '@vigil/lib/logger';
import { FALCO_METRICS_RULE, falcoMediaType, parseFalcoBody, type FalcoPriority } from '../sources/falco/falco-event.js';
import { falcoPriorityAtLeast, normaliseFalcoEvent, type NormalisedFalcoEvent } from '../sources/falco/normalise.js';
import { kubernetesUserOf } from '../sources/identity.js';
import type { NormalisedSecurityEvent, SecurityEvent, SecurityEventStore } from '../store/security-event-store.js';
import { DEFAULT_MAX_IN_FLIGHT, DEFAULT_RETRY_AFTER_SECONDS, inFlightLimit } from './in-flight-limit.js';
import {
  bodyCharset,
  bodyErrors,
  decodeDeclaredBody,
  digest,
  jsonDepthRefusal,
  outsideRetentionRefusal,
  presentedToken,
} from './intake-common.js';

export interface FalcoIngestDeps {
  store: SecurityEventStore;
  publisher: AlertPublisher;
  /** The configured name of the cluster this Falco runs in. */
  cluster: string;
  /** Events at or above this priority raise an alert, every time they are seen. */
  alertMinPriority: FalcoPriority;
  /** Largest accepted body, after decompression. */
  maxBodyBytes: number;
  /** When set, requests must carry it as a bearer token (or as the Basic-auth password, see below). */
  token?: string;
  /** Requests processed at once; more are answered 429 with Retry-After. @default 32 */
  maxInFlight?: number;
  /** @default 1 */
  retryAfterSeconds?: number;
  logger: Logger;
  /** The inventory host a node was matched to (nodes/node-host-index.ts), put on node-level alerts. */
  hostOfNode?: (cluster: string, nodeName: string) => Promise<HostIdentity | null>;
}

/** What a 202 reports: accepted = stored + duplicates + ignored. */
export interface FalcoIngestResult {
  accepted: number;
  /** New security events. */
  stored: number;
  /** Repeats of a stored event: counted on it, not stored again. */
  duplicates: number;
  alerts: number;
  /** Falco's internal metrics snapshots: accepted, not security events. */
  ignored: number;
  notes?: string[];
}

/**
 * `POST /ingest/falco`: Falco's http_output (json_output: true) or falcosidekick's webhook output.
 * Order of checks: token (401), in-flight limit (429), Content-Type and its charset (415), size (413, measured after
 * decompression so a small gzip cannot expand without bound), body (400: its charset's encoding, nesting deeper than
 * MAX_JSON_DEPTH, then every alert; nothing stored unless every alert is valid), events older than the store's retention
 * (422, nothing stored: they would expire at once), then every event is recorded before the 202, so what was
 * acknowledged is durable. The store merges the events of concurrent requests into one write (group commit); each
 * request is answered after the write that carried its events.
 * Mount it before any app-wide body parser: it reads the raw body itself (to bound and decode it).
 */
export function falcoIngestRouter(deps: FalcoIngestDeps): express.Router {
  const router = express.Router();
  if (!deps.token) deps.logger.warn('/ingest/falco accepts unauthenticated requests: set cluster.falco.token (VIGIL_FALCO_TOKEN)');
  const readBody = express.raw({ type: () => true, limit: deps.maxBodyBytes, inflate: true });
  const limit = inFlightLimit({
    maxInFlight: deps.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
    retryAfterSeconds: deps.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
  });
  router.post('/ingest/falco', authenticate(deps.token), limit, checkContentType, readBody, (req, res) => ingest(deps, req, res));
  router.use('/ingest/falco', bodyErrors({ maxBodyBytes: deps.maxBodyBytes, logger: deps.logger, what: 'falco ingest' }));
  return router;
}

/**
 * Falco's http_output has no header option, only credentials in its URL, which libcurl sends as
 * Basic auth; so `https://falco:<token>@vigil/ingest/falco` works for Falco and
 * `Authorization: Bearer <token>` (falcosidekick `webhook.customHeaders`) for everything else.
 */
function authenticate(token: string | undefined) {
  const expected = token === undefined ? undefined : digest(token);
  return (req: Request, res: Response, next: NextFunction) => {
    if (expected === undefined) return next();
    const presented = presentedToken(req.headers.authorization);
    // Compare digests: equal length for timingSafeEqual, and no early exit on the first differing byte.
    if (presented !== null && timingSafeEqual(digest(presented), expected)) return next();
    res.set('WWW-Authenticate', 'Bearer realm="vigil"');
    res.status(401).json({ error: presented === null ? 'missing bearer token' : 'invalid bearer token' });
  };
}

function checkContentType(req: Request, res: Response, next: NextFunction) {
  const contentType = req.headers['content-type'];
  if (falcoMediaType(contentType) === 'unsupported') {
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

async function ingest(deps: FalcoIngestDeps, req: Request, res: Response): Promise<void> {
  const contentType = req.headers['content-type'];
  const decoded = decodeDeclaredBody(req.body, contentType);
  if ('error' in decoded) {
    res.status(400).json({ error: decoded.error });
    return;
  }
  const body = decoded.text;
  // Nesting is checked first, so a hostile body is refused without being built.
  const tooDeep = jsonDepthRefusal(body);
  const parsed = tooDeep !== null ? { ok: false as const, reason: tooDeep } : parseFalcoBody(body, contentType);
  if (!parsed.ok) {
    deps.logger.info({ reason: parsed.reason }, 'falco ingest rejected');
    res.status(400).json({ error: parsed.reason });
    return;
  }

  const result: FalcoIngestResult = { accepted: parsed.events.length, stored: 0, duplicates: 0, alerts: 0, ignored: 0 };
  const toAlert: { occurrence: NormalisedFalcoEvent; stored: SecurityEvent }[] = [];
  const occurrences = parsed.events.flatMap((falcoEvent, i) => {
    if (falcoEvent.rule !== FALCO_METRICS_RULE) return [{ falcoEvent, item: i + 1, normalised: normaliseFalcoEvent(falcoEvent, { cluster: deps.cluster }) }];
    result.ignored += 1;
    return [];
  });
  // The store would keep nothing of these (retention is on lastSeen): refused, all or nothing as for an invalid alert.
  const what = (o: (typeof occurrences)[number]) => (parsed.events.length === 1 ? 'the event' : `item ${o.item}`);
  const stale = outsideRetentionRefusal(occurrences, (o) => o.normalised.occurredAt, deps.store.retention(), what);
  if (stale !== null) {
    deps.logger.info({ reason: stale }, 'falco ingest rejected');
    res.status(422).json({ error: stale });
    return;
  }
  try {
    // All at once, in order: the store merges them (and other requests' events) in one batch.
    const recorded = await Promise.all(occurrences.map(async (o) => ({ ...o, ...(await deps.store.record(o.normalised)) })));
    for (const { falcoEvent, normalised, event, isNew } of recorded) {
      if (isNew) result.stored += 1;
      else result.duplicates += 1;
      if (falcoPriorityAtLeast(falcoEvent.priority, deps.alertMinPriority)) {
        toAlert.push({ occurrence: normalised, stored: event });
      }
    }
  } catch (error) {
    deps.logger.error({ err: describeError(error), events: occurrences.length }, 'falco ingest: storing failed');
    res.status(503).json({ error: 'could not store the events; retry later' });
    return;
  }

  try {
    for (const item of toAlert) {
      const { hostname } = item.occurrence;
      const host = hostname !== null && deps.hostOfNode ? await deps.hostOfNode(item.occurrence.cluster, hostname) : null;
      await deps.publisher.raise(falcoAlert(item.occurrence, item.stored, host));
      result.alerts += 1;
    }
  } catch (error) {
    // The events are stored; answering 2xx would lose the alert for good. A retry counts the events
    // once more but raises the alert: a duplicate page beats a missing one.
    deps.logger.error({ err: describeError(error), raised: result.alerts }, 'falco ingest: raising alerts failed');
    res.status(503).json({ error: 'events stored, but raising alerts failed; retry later' });
    return;
  }

  if (result.ignored > 0) {
    result.notes = [`${result.ignored} Falco internal metrics snapshot(s) accepted but not stored: they are not security events`];
  }
  deps.logger.debug({ ...result }, 'falco ingest accepted');
  res.status(202).json(result);
}

/**
 * The alert for one occurrence (its own priority, output and time), pointing at the deduplicated
 * event it was counted on: what a pager needs without joins.
 */
export function falcoAlert(occurrence: NormalisedFalcoEvent, stored: SecurityEvent, host: HostIdentity | null = null): NewAlert {
  const subject = alertSubject(occurrence, host);
  const user = kubernetesUserOf(occurrence);
  const where = subject ? ` ${subject.type === 'Host' ? 'on' : 'in'} ${subject.displayName}` : '';
  return {
    source: 'CLUSTER',
    severity: occurrence.severity,
    title: truncate(`Falco: ${occurrence.eventType}${where}`, 500),
    rule: occurrence.eventType,
    ...(occurrence.details.output !== null ? { description: occurrence.details.output } : {}),
    ...(subject ? { subject } : {}),
    occurredAt: occurrence.occurredAt,
    labels: {
      cluster: occurrence.cluster,
      falcoPriority: occurrence.details.priority,
      securityEventId: stored.id,
      count: String(stored.count),
      // Who did it, when Falco's Kubernetes audit source says so (never a syscall event's Unix user).
      ...(user === null ? {} : { [KUBERNETES_USER_LABEL]: user }),
    },
  };
}

/**
 * The object when Falco names one, else the node as a Host. `host`: the inventory host the event's
 * node was matched to by evidence; it becomes the Host subject (with its labels, for tenancy) and is
 * carried on an object subject, so the host's alerts include what happened in pods on it. Without a
 * match, a node-only event keeps the node name as its host id, as before Nodes were read.
 */
export function alertSubject(event: NormalisedSecurityEvent, host: HostIdentity | null = null): AlertSubject | undefined {
  const { resource, hostname } = event;
  if (resource) {
    const displayName = resource.namespace === '' ? `${resource.kind}/${resource.name}` : `${resource.namespace}/${resource.name}`;
    return { type: 'KubeObject', ...resource, displayName, ...(host ? { hostId: host.hostId } : {}) };
  }
  if (host) return { type: 'Host', hostId: host.hostId, displayName: hostname ?? host.hostId, hostLabels: { ...host.labels }, cluster: event.cluster };
  if (hostname !== null) return { type: 'Host', hostId: hostname, displayName: hostname, cluster: event.cluster };
  return undefined;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

