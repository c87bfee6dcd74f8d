import { describe, expect, it } from 'vitest';
import { blockRound } from './request-rounds.js';

describe('blockRound', () => {
  it('runs each kind in blocks, in the given order, and records all but the first requests of each block', async () => {
    const calls: string[] = [];
    const samples = await blockRound(
      (kind: string) => {
        calls.push(kind);
        return Promise.resolve();
      },
      ['a', 'b'],
      5,
      4,
      1,
      60,
    );
    // 5 recorded per kind, 3 per block: blocks of 4 (1 unrecorded + 3), then 1 + 2.
    expect(calls.join('')).toBe('aaaabbbbaaabbb');
    expect(samples.get('a')?.latencies).toHaveLength(5);
    expect(samples.get('b')?.latencies).toHaveLength(5);
  });

  it('counts failures as errors, recorded or not', async () => {
    let n = 0;
    const samples = await blockRound(
      () => {
        n += 1;
        return n % 2 === 0 ? Promise.reject(new Error('boom')) : Promise.resolve();
      },
      ['only'],
      4,
      4,
      0,
      60,
    );
    expect(samples.get('only')).toMatchObject({ errors: 2 });
    expect(samples.get('only')?.latencies).toHaveLength(2);
  });

  it('refuses a block with nothing recorded', async () => {
    await expect(blockRound(() => Promise.resolve(), ['a'], 1, 2, 2, 1)).rejects.toThrow(RangeError);
  });
});
