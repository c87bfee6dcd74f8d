import type { Clock } from '@vigil/lib/clock';
import { describeError } from '@vigil/lib/errors';
import { alertmanagerPayload, DELIVERY_HEADER, SIGNATURE_HEADER, slackPayload, TIMESTAMP_HEADER, webhookBody, webhookSignature, type Delivery } from './payloads.js';
import type { OutputConfig } from './routing-config.js';

export type SendResult =
  | { outcome: 'delivered' }
  /** Worth trying again: no answer, a timeout, 408, 425, 429 or 5xx. */
  | { outcome: 'transient'; reason: string }
  /** The output refused this delivery for good (any other 4xx): dead-lettered at once, with the answer. */
  | { outcome: 'permanent'; reason: string };

/** One configured destination. The URL is never part of a reason: a Slack webhook URL is a credential. */
export interface Output {
  readonly name: string;
  /** The delivery kinds this output is sent; others are acknowledged without a send. */
  wants(kind: Delivery['kind']): boolean;
  send(delivery: Delivery, signal: AbortSignal): Promise<SendResult>;
}

const ANSWER_EXCERPT = 300;

export function createOutput(name: string, config: OutputConfig, options: { publicUrl: string; clock: Clock; timeoutMs: number }): Output {
  switch (config.type) {
    case 'alertmanager': {
      const url = `${config.url.replace(/\/+$/, '')}/api/v2/alerts`;
      return {
        name,
        // Acknowledgement has no Alertmanager equivalent (its silences are a different thing).
        wants: (kind) => kind !== 'ACKNOWLEDGED',
        send: (delivery, signal) => post(url, JSON.stringify(alertmanagerPayload(delivery, { publicUrl: options.publicUrl, firingHoldMs: config.firingHoldSeconds * 1000 })), {}, signal, options.timeoutMs),
      };
    }
    case 'slack':
      return {
        name,
        wants: (kind) => kind !== 'ACKNOWLEDGED',
        send: (delivery, signal) => post(config.webhookUrl, JSON.stringify(slackPayload(delivery, options)), {}, signal, options.timeoutMs),
      };
    case 'webhook':
      return {
        name,
        wants: () => true,
        send: (delivery, signal) => {
          const body = JSON.stringify(webhookBody(delivery, options));
          const timestamp = Math.floor(options.clock().getTime() / 1000);
          return post(
            config.url,
            body,
            { [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: webhookSignature(config.secret, timestamp, body), [DELIVERY_HEADER]: delivery.entryId },
            signal,
            options.timeoutMs,
          );
        },
      };
  }
}

async function post(url: string, body: string, headers: Record<string, string>, stop: AbortSignal, timeoutMs: number): Promise<SendResult> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'vigil-alert-router', ...headers },
      body,
      signal: AbortSignal.any([stop, AbortSignal.timeout(timeoutMs)]),
      redirect: 'error',
    });
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    // fetch's messages name the cause ("fetch failed" + code), not the URL.
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${(error.cause as NodeJS.ErrnoException).code ?? error.cause.message}` : '';
    return { outcome: 'transient', reason: timedOut ? `no answer within ${timeoutMs} ms` : `${describeError(error)}${cause}` };
  }
  const text = await response.text().catch(() => '');
  if (response.ok) return { outcome: 'delivered' };
  const answer = `HTTP ${response.status}${text ? `: ${text.slice(0, ANSWER_EXCERPT)}` : ''}`;
  const retryable = response.status === 408 || response.status === 425 || response.status === 429 || response.status >= 500;
  return retryable ? { outcome: 'transient', reason: answer } : { outcome: 'permanent', reason: answer };
}
