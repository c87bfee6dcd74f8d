import { describe, expect, it } from 'vitest';
import { oneSlotPrefix } from '@vigil/lib/redis-slot';
import { SECURITY_EVENT_LAYOUT, securityEventKeys, type SecurityEventKeys } from '../src/store/security-event-keys.js';
import { expectEveryKeyMoved, type KeySamples } from '../../../test/support/moved-layout.js';

// The layout migration takes the store's families from the module that builds its keys; this checks
// that every key that module builds is in one of them, so an upgrade moves it.

const SAMPLES: KeySamples<SecurityEventKeys> = {
  event: ['0f3c9a'],
  timeIndex: [],
  resource: [{ cluster: 'prod', namespace: 'shop', kind: 'Pod', name: 'api-1' }],
  host: ['node-1'],
  vulnerability: ['CVE-2024-3094'],
  identity: ['system:serviceaccount:shop:api'],
  source: ['FALCO'],
  severity: ['CRITICAL'],
  cluster: ['prod'],
  vulnerabilityIndex: [],
  reportKeys: ['trivy/prod/shop/vulnerabilityreport/api'],
};

describe('security-event keys and the layout migration', () => {
  it('every kind of key the store builds is moved by the migration to the same name', () => {
    expectEveryKeyMoved<SecurityEventKeys>(SECURITY_EVENT_LAYOUT, securityEventKeys, SAMPLES);
  });

  it('a key the store would build on a segment its layout does not list fails the check', () => {
    const withNewFamily = (prefix: string) => ({ ...securityEventKeys(prefix), digest: (id: string) => `${oneSlotPrefix(prefix, 'events')}digest:${id}` });
    expect(() => expectEveryKeyMoved<ReturnType<typeof withNewFamily>>(SECURITY_EVENT_LAYOUT, withNewFamily, { ...SAMPLES, digest: ['x'] })).toThrow(/in no family/);
  });
});
