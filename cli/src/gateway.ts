import { createVigilClient, VigilGraphQLError, type VigilClient } from '@vigil/sdk/index';
import { CliError } from './cli-error.js';
import type { Settings } from './settings.js';

export function connect(settings: Settings, options: { retryAttempts?: number } = {}): VigilClient {
  return createVigilClient({ url: settings.url, headers: settings.headers, ...options });
}

/** Turns what the SDK or fetch threw into one line a person can act on. */
export function explainFailure(error: unknown, settings: Settings): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof VigilGraphQLError) {
    const codes = new Set(error.errors.map((e) => e.extensions?.['code']));
    const hint = codes.has('UNAUTHENTICATED') && settings.credentialFrom === null ? ' (no credential: set VIGIL_TOKEN or VIGIL_API_KEY, or the config file)' : '';
    return new CliError(`the gateway refused: ${error.message}${hint}`);
  }
  if (isCloseEvent(error)) return new CliError(`the gateway closed the subscription: ${error.code} ${error.reason || '(no reason given)'}`);
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    if (error.name === 'TimeoutError') return new CliError(`the gateway at ${settings.url} did not answer in time`);
    if (error.message === 'fetch failed' || cause?.code) {
      return new CliError(`cannot reach the gateway at ${settings.url}: ${cause?.code ?? cause?.message ?? error.message}`);
    }
    return new CliError(error.message);
  }
  return new CliError(String(error));
}

/** graphql-ws rejects with the socket's CloseEvent (not an Error) when the server closes. */
export function isCloseEvent(value: unknown): value is { code: number; reason: string } {
  return typeof value === 'object' && value !== null && typeof (value as { code?: unknown }).code === 'number' && 'reason' in value;
}
