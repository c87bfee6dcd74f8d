import type { AlertPublisher } from './alerts/publisher.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';

/** What every subgraph runtime is given: created once per process, shared, closed by the owner. */
export interface SharedServices {
  logger: Logger;
  publisher: AlertPublisher;
  /** Unset: in-memory stores (the one-process embedded stack). */
  redisUrl: string | undefined;
  /** First segment of Redis keys. */
  namespace: string;
  /** The wall clock every retention, expiry and score is measured against (tests inject their own). */
  clock: Clock;
}
