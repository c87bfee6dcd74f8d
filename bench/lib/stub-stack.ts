import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { startStack, type RunningStack } from '@vigil/gateway/stack';
import type { VigilConfig } from '@vigil/gateway/stack-config';
import type { ReportProbe } from '@vigil/subgraph-hosts/probe-pipeline';
import type { Register } from './resources.js';

/**
 * The whole stack in the benchmark's process, its hosts answering through `probe` (see
 * stub-hosts.ts), registered with the runner so it is stopped whatever happens. `secret` is the
 * subgraphs' signing secret, fresh per run, for requests sent to a subgraph directly. Resolves once
 * every host's first probe is done, so none is due while the benchmark measures.
 */
export async function startStubStack(config: VigilConfig, probe: ReportProbe, register: Register): Promise<{ stack: RunningStack; secret: string }> {
  const secret = randomBytes(32).toString('hex');
  const stack = await startStack({ config, logger: pino({ level: 'silent' }), signingSecret: secret, ports: 'ephemeral', probe });
  register({ stop: () => stack.stop(), kill: () => undefined });
  await stack.hosts.scheduler.firstRoundDone();
  return { stack, secret };
}
