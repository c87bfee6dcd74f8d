import type { NextFunction, Request, Response } from 'express';

/** Concurrent requests a webhook route processes when its config does not say. */
export const DEFAULT_MAX_IN_FLIGHT = 32;
/** @default 1 */
export const DEFAULT_RETRY_AFTER_SECONDS = 1;

export interface InFlightLimitOptions {
  /** Requests processed at once; one more is answered 429. */
  maxInFlight: number;
  /** Sent as Retry-After on a 429. */
  retryAfterSeconds: number;
}

export interface InFlightLimit {
  (req: Request, res: Response, next: NextFunction): void;
  /** Requests holding a slot now. */
  inFlight(): number;
}

/**
 * Backpressure for a webhook route (DESIGN §6: 429 under pressure). A request holds a slot from the
 * moment it passes this middleware until its response is finished or its connection closes — reading
 * the body and storing included — so memory is bounded by maxInFlight × the body limit and a slow
 * store (Redis) turns into 429s rather than a growing queue. The sender retries after Retry-After
 * (client-go honours it; Falco and falcosidekick retry on their own schedule).
 * Mount it after authentication, so unauthenticated requests cannot take the slots.
 */
export function inFlightLimit(options: InFlightLimitOptions): InFlightLimit {
  const { maxInFlight, retryAfterSeconds } = options;
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new Error('maxInFlight must be a positive integer');
  if (!Number.isInteger(retryAfterSeconds) || retryAfterSeconds < 0) throw new Error('retryAfterSeconds must be a non-negative integer');
  let inFlight = 0;
  const limit = (_req: Request, res: Response, next: NextFunction): void => {
    if (inFlight >= maxInFlight) {
      res.set('Retry-After', String(retryAfterSeconds));
      res.status(429).json({ error: `too many requests in progress (limit ${maxInFlight}); retry after ${retryAfterSeconds} s` });
      return;
    }
    inFlight += 1;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      inFlight -= 1;
    };
    res.once('finish', release);
    res.once('close', release);
    next();
  };
  return Object.assign(limit, { inFlight: () => inFlight });
}
