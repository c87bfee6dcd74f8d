import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Registry } from 'prom-client';
import { counter } from '@vigil/lib/metrics';

/** The webhook intakes counted; the label value is this, never anything from the request. */
export type IntakeSource = 'falco' | 'k8s-audit';
const SOURCES: readonly IntakeSource[] = ['falco', 'k8s-audit'];

/** Why a request was refused, by its answer's status: a closed set, whatever the body said. */
export const INTAKE_REJECTION_REASONS = ['unauthenticated', 'unsupported_media_type', 'too_large', 'malformed', 'outside_retention', 'overloaded', 'unavailable', 'internal'] as const;
export type IntakeRejectionReason = (typeof INTAKE_REJECTION_REASONS)[number];
const OUTCOMES = ['accepted', 'duplicate', 'rejected'] as const;

export function rejectionReason(status: number): IntakeRejectionReason {
  switch (status) {
    case 401:
    case 403:
      return 'unauthenticated';
    case 413:
      return 'too_large';
    case 415:
      return 'unsupported_media_type';
    case 422:
      return 'outside_retention';
    case 429:
      return 'overloaded';
    case 503:
      return 'unavailable';
    default:
      return status >= 500 ? 'internal' : 'malformed';
  }
}

/**
 * Counts one intake route's answers, without touching its handlers: mounted before the route, it
 * reads the JSON answer each handler sends (the 2xx result's counts, or the refusal's status).
 * - vigil_intake_events_total{source, outcome}: accepted = new events + records accepted but not
 *   security events; duplicate = repeats and redeliveries; rejected = refused requests (a refused
 *   body's events are not known, so it counts once).
 * - vigil_intake_rejections_total{source, reason}: refused requests by reason.
 */
export function intakeMetrics(registry: Registry, source: IntakeSource, path: string): RequestHandler {
  const events = counter(registry, {
    name: 'vigil_intake_events_total',
    help: 'Events posted to a webhook intake, by source and outcome (accepted, duplicate, rejected; rejected counts refused requests).',
    labelNames: ['source', 'outcome'] as const,
  });
  const rejections = counter(registry, {
    name: 'vigil_intake_rejections_total',
    help: 'Requests a webhook intake refused, by source and reason (from the answer status).',
    labelNames: ['source', 'reason'] as const,
  });
  // Every series exists from the start at 0, so rate() and the dashboards see the first event.
  for (const s of SOURCES) {
    for (const outcome of OUTCOMES) events.inc({ source: s, outcome }, 0);
    for (const reason of INTAKE_REJECTION_REASONS) rejections.inc({ source: s, reason }, 0);
  }

  const record = (status: number, body: unknown) => {
    if (status >= 200 && status < 300) {
      const count = (key: string) => (isCountRecord(body) && typeof body[key] === 'number' ? body[key] : 0);
      events.inc({ source, outcome: 'accepted' }, count('stored') + count('ignored'));
      events.inc({ source, outcome: 'duplicate' }, count('duplicates') + count('redelivered'));
      return;
    }
    events.inc({ source, outcome: 'rejected' });
    rejections.inc({ source, reason: rejectionReason(status) });
  };

  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'POST' || req.path !== path) return next();
    const json = res.json.bind(res);
    let counted = false;
    res.json = (body: unknown) => {
      if (!counted) {
        counted = true;
        record(res.statusCode, body);
      }
      return json(body);
    };
    next();
  };
}

function isCountRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
