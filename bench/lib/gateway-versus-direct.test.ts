import { describe, expect, it } from 'vitest';
import { gatewayVersusDirect, type Path } from './gateway-versus-direct.js';

const options = { warmup: 1, rounds: 2, requestsPerRound: 2, maxSecondsPerRound: 60 };
const letter = (path: Path) => (path === 'gateway' ? 'g' : 'd');

describe('gatewayVersusDirect', () => {
  it('warms up, then alternates which path starts a round, keeping each round apart', async () => {
    const calls: string[] = [];
    const lines: string[] = [];
    const latencies = await gatewayVersusDirect(
      (path) => {
        calls.push(letter(path));
        return Promise.resolve();
      },
      options,
      (line) => lines.push(line),
      'q',
    );
    // Warm-up gd, round 1 gdgd, round 2 dgdg.
    expect(calls.join('')).toBe('gd' + 'gdgd' + 'dgdg');
    expect(latencies.gateway).toHaveLength(4);
    expect(latencies.direct).toHaveLength(4);
    expect(latencies.rounds.map((round) => [round.gateway.length, round.direct.length])).toEqual([
      [2, 2],
      [2, 2],
    ]);
    expect(lines).toEqual(['q: warming up', 'q: round 1/2', 'q: round 2/2']);
  });

  it('fails the run when a measured request fails, naming the round and the label', async () => {
    let n = 0;
    const run = (path: Path) => {
      n += 1;
      // The warm-up's two requests pass; the first direct request of round 1 fails.
      return n > 2 && path === 'direct' ? Promise.reject(new Error('boom')) : Promise.resolve();
    };
    await expect(gatewayVersusDirect(run, options, () => undefined, 'q')).rejects.toThrow('q: round 1: requests failed (gateway 0, direct 2)');
  });

  it('does not hold warm-up failures against the rounds', async () => {
    let n = 0;
    const run = () => (++n === 1 ? Promise.reject(new Error('cold')) : Promise.resolve());
    const latencies = await gatewayVersusDirect(run, options, () => undefined);
    expect(latencies.gateway).toHaveLength(4);
  });
});
