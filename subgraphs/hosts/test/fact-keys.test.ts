import { describe, expect, it } from 'vitest';
import { oneSlotPrefix } from '@vigil/lib/redis-slot';
import { FACT_STORE_LAYOUT, factKeys, type FactKeys } from '../src/facts/fact-keys.js';
import { expectEveryKeyMoved, type KeySamples } from '../../../test/support/moved-layout.js';

// The layout migration takes the store's families from the module that builds its keys; this checks
// that every key that module builds is in one of them, so an upgrade moves it.

const SAMPLES: KeySamples<FactKeys> = {
  state: ['web-1'],
  freshness: ['web-1'],
  facts: ['web-1', 'packages'],
  meta: ['web-1'],
  history: ['web-1', 'listeningPorts'],
  metrics: ['web-1'],
  pkg: ['openssl'],
};

describe('fact keys and the layout migration', () => {
  it('every kind of key the store builds is moved by the migration to the same name', () => {
    expectEveryKeyMoved<FactKeys>(FACT_STORE_LAYOUT, factKeys, SAMPLES);
  });

  it('a key the store would build on a segment its layout does not list fails the check', () => {
    const withNewFamily = (prefix: string) => ({ ...factKeys(prefix), packages: (id: string) => `${oneSlotPrefix(prefix, 'facts')}packages:${id}` });
    expect(() => expectEveryKeyMoved<ReturnType<typeof withNewFamily>>(FACT_STORE_LAYOUT, withNewFamily, { ...SAMPLES, packages: ['x'] })).toThrow(/in no family/);
  });
});
