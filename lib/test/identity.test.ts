import { describe, expect, it } from 'vitest';
import { IDENTITY_HEADER, MAX_IDENTITY_HEADER_LENGTH, ROLES, decodeIdentity, encodeIdentity, scopesOf, type Identity } from '../src/identity.js';

const ALICE: Identity = {
  subject: 'alice@example.com',
  kind: 'user',
  roles: ['analyst'],
  tenants: [{ name: 'payments', clusters: ['prod-eu', 'prod-us'], hostLabels: { team: 'payments', env: 'prod' }, victoriaLogs: { accountId: 3, projectId: 1 } }],
  expiresAt: 1_767_229_200,
};
const CI: Identity = { subject: 'ci-pipeline', kind: 'apiKey', roles: ['viewer', 'admin'], tenants: null, expiresAt: null };

const encodeJson = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

describe('encodeIdentity / decodeIdentity', () => {
  it('round-trips, as base64url of the JSON object', () => {
    for (const identity of [ALICE, CI, { ...ALICE, tenants: [] }]) {
      const encoded = encodeIdentity(identity);
      expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'))).toEqual(identity);
      expect(decodeIdentity(encoded)).toEqual(identity);
    }
  });

  const malformed: [string, string][] = [
    ['an empty value', ''],
    ['not base64url', 'eyJ+/=='],
    ['not JSON', Buffer.from('{subject:', 'utf8').toString('base64url')],
    ['JSON that is not an object', encodeJson(['alice'])],
    ['null', encodeJson(null)],
    ['a missing field', encodeJson({ subject: 'alice', kind: 'user', roles: [], tenants: null })],
    ['an unknown field', encodeJson({ ...CI, admin: true })],
    ['an unknown role', encodeJson({ ...CI, roles: ['superuser'] })],
    ['an unknown kind', encodeJson({ ...CI, kind: 'robot' })],
    ['an empty subject', encodeJson({ ...CI, subject: '' })],
    ['a fractional expiry', encodeJson({ ...CI, expiresAt: 1.5 })],
    ['an expiry in milliseconds as a string', encodeJson({ ...CI, expiresAt: '1767229200000' })],
    ['a tenant without its VictoriaLogs tenant', encodeJson({ ...CI, tenants: [{ name: 't', clusters: [], hostLabels: {} }] })],
    ['a tenant with an extra field', encodeJson({ ...CI, tenants: [{ ...ALICE.tenants?.[0], all: true }] })],
    ['a non-string host label', encodeJson({ ...CI, tenants: [{ ...ALICE.tenants?.[0], hostLabels: { team: 1 } }] })],
    ['a negative VictoriaLogs account', encodeJson({ ...CI, tenants: [{ ...ALICE.tenants?.[0], victoriaLogs: { accountId: -1, projectId: 0 } }] })],
    ['a value over the length limit', 'A'.repeat(MAX_IDENTITY_HEADER_LENGTH + 1)],
  ];

  it.each(malformed)('refuses %s, naming the header but not the content', (_what, value) => {
    expect(() => decodeIdentity(value)).toThrow(new RegExp(`^malformed ${IDENTITY_HEADER}`));
    try {
      decodeIdentity(value);
    } catch (error) {
      expect(String(error)).not.toMatch(/payments|alice|superuser|robot/);
    }
  });

  it('refuses to encode what it would refuse to decode', () => {
    expect(() => encodeIdentity({ ...CI, subject: '' })).toThrow(/malformed/);
    const huge: Identity = { ...CI, tenants: Array.from({ length: 200 }, (_, i) => ({ name: `tenant-${i}`, clusters: ['a-long-cluster-name'], hostLabels: { team: 'x' }, victoriaLogs: { accountId: i, projectId: 0 } })) };
    expect(() => encodeIdentity(huge)).toThrow(/over 8192/);
  });
});

describe('scopesOf', () => {
  it('expands each role to the roles below it: admin ⊇ analyst ⊇ viewer', () => {
    expect(scopesOf([])).toEqual([]);
    expect(scopesOf(['viewer'])).toEqual(['viewer']);
    expect(scopesOf(['analyst'])).toEqual(['viewer', 'analyst']);
    expect(scopesOf(['admin'])).toEqual([...ROLES]);
    expect(scopesOf(['viewer', 'admin', 'viewer'])).toEqual(['viewer', 'analyst', 'admin']);
  });
});
