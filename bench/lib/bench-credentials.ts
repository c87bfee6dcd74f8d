import { createHash, randomBytes } from 'node:crypto';
import type { AuthParams } from './stack-protocol.js';

/**
 * The credentials of a production benchmark stack: an admin API key for the gateway's callers and one
 * bearer token for both webhooks. Production refuses to start without them, and the benchmarks measure
 * production as deployed. Fresh per run; sent to the stack process over IPC, never argv or env.
 */
export interface BenchCredentials {
  /** `gateway.auth` and `cluster.{falco,audit}.token` for StackProcess.launch. */
  launch: { auth: AuthParams; webhookToken: string };
  /** What a gateway caller sends (HTTP headers, and graphql-ws connectionParams). */
  gatewayHeaders: Record<string, string>;
  /** What Falco or the API server sends to /ingest/*. */
  webhookHeaders: Record<string, string>;
}

export function benchCredentials(): BenchCredentials {
  const apiKey = randomBytes(24).toString('base64url');
  const webhookToken = randomBytes(24).toString('base64url');
  return {
    launch: { auth: { apiKeys: [{ name: 'bench', sha256: createHash('sha256').update(apiKey, 'utf8').digest('hex'), roles: ['admin'] }] }, webhookToken },
    gatewayHeaders: { 'x-api-key': apiKey },
    webhookHeaders: { authorization: `Bearer ${webhookToken}` },
  };
}
