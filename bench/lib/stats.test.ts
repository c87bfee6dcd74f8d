import { describe, expect, it } from 'vitest';
import { median, percentile, range, summarize } from './stats.js';

describe('percentile (linear interpolation between closest ranks)', () => {
  it('matches hand-computed values', () => {
    const values = [15, 20, 35, 40, 50];
    expect(percentile(values, 0)).toBe(15);
    expect(percentile(values, 100)).toBe(50);
    expect(percentile(values, 50)).toBe(35);
    // rank 0.4 * 4 = 1.6: 20 + 0.6 * (35 - 20)
    expect(percentile(values, 40)).toBeCloseTo(29, 10);
    // rank 0.99 * 4 = 3.96: 40 + 0.96 * 10
    expect(percentile(values, 99)).toBeCloseTo(49.6, 10);
  });

  it('sorts its input without changing it', () => {
    const values = [3, 1, 2];
    expect(percentile(values, 50)).toBe(2);
    expect(values).toEqual([3, 1, 2]);
  });

  it('takes the mean of the middle two for an even-sized median', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('p99 of 1..100 lies between the 99th and 100th values', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 99)).toBeCloseTo(99.01, 10);
    expect(percentile(values, 50)).toBe(50.5);
  });

  it('handles one value and no values', () => {
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('refuses a percentile outside 0..100', () => {
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe('summarize and range', () => {
  it('summarises a sample', () => {
    const s = summarize([5, 1, 4, 2, 3]);
    expect(s).toMatchObject({ n: 5, min: 1, p50: 3, max: 5, mean: 3 });
    expect(s.p99).toBeCloseTo(4.96, 10);
  });

  it('reports the spread', () => {
    expect(range([2, 9, 4])).toEqual({ min: 2, max: 9 });
    expect(range([]).min).toBeNaN();
  });
});
