import type { Progress } from './progress.js';
import { sequentialRound } from './request-rounds.js';

export type Path = 'gateway' | 'direct';

export interface PathRoundsOptions {
  /** Requests of each path before the rounds, not recorded. */
  warmup: number;
  rounds: number;
  requestsPerRound: number;
  maxSecondsPerRound: number;
}

/** Every latency of each path, and each round's, for ratios taken round by round. */
export interface PathLatencies {
  gateway: number[];
  direct: number[];
  rounds: { gateway: number[]; direct: number[] }[];
}

/**
 * The same answer through the gateway and straight from the subgraphs, alternately in the same
 * rounds (sequentialRound), each round starting with the other path, so neither always follows the
 * other. A failed request fails the run: a latency of an error answer is no figure. `label` names
 * what is measured in the progress lines and the error.
 */
export async function gatewayVersusDirect(run: (path: Path) => Promise<unknown>, options: PathRoundsOptions, progress: Progress, label?: string): Promise<PathLatencies> {
  const prefix = label === undefined ? '' : `${label}: `;
  progress(`${prefix}warming up`);
  await sequentialRound(run, ['gateway', 'direct'], options.warmup, 60);
  const latencies: PathLatencies = { gateway: [], direct: [], rounds: [] };
  for (let round = 0; round < options.rounds; round++) {
    progress(`${prefix}round ${round + 1}/${options.rounds}`);
    const order: Path[] = round % 2 === 0 ? ['gateway', 'direct'] : ['direct', 'gateway'];
    const samples = await sequentialRound(run, order, options.requestsPerRound, options.maxSecondsPerRound);
    const g = samples.get('gateway');
    const d = samples.get('direct');
    if (!g || !d || g.errors > 0 || d.errors > 0) throw new Error(`${prefix}round ${round + 1}: requests failed (gateway ${g?.errors ?? '?'}, direct ${d?.errors ?? '?'})`);
    latencies.gateway.push(...g.latencies);
    latencies.direct.push(...d.latencies);
    latencies.rounds.push({ gateway: g.latencies, direct: d.latencies });
  }
  return latencies;
}
