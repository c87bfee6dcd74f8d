import type { ProbeStatusCode } from './types.js';

export type FailureStatus = Exclude<ProbeStatusCode, 'OK'>;

/**
 * A failure whose status and message are ready for a ProbeResult. The message is short, names the
 * host, and never carries key material or command output beyond a first stderr line.
 */
export class ProbeFailure extends Error {
  readonly status: FailureStatus;

  constructor(status: FailureStatus, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'ProbeFailure';
    this.status = status;
  }
}
