import { describe, expect, it } from 'vitest';
import { resolvedFindings, resolvedKeys } from '../src/sources/resolution.js';

describe('resolvedKeys', () => {
  it('returns the previously open keys that are no longer open, once each, in their order', () => {
    expect(resolvedKeys(['a', 'b', 'c', 'b'], ['c', 'd'])).toEqual(['a', 'b']);
    expect(resolvedKeys([], ['a'])).toEqual([]);
    expect(resolvedKeys(new Set(['a']), [])).toEqual(['a']);
  });
});

describe('resolvedFindings', () => {
  it('tells a finding that passes now from one that left the report', () => {
    const current = { events: [{ dedupKey: 'still-failing' }], keys: ['still-failing', 'passes-now'] };
    expect(resolvedFindings(['still-failing', 'passes-now', 'gone'], current)).toEqual([
      { key: 'passes-now', reason: 'PASSED' },
      { key: 'gone', reason: 'REMOVED' },
    ]);
  });
});
