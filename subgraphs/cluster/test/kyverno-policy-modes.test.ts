import { describe, expect, it } from 'vitest';
import { PolicyModes, type PolicyObject } from '../src/sources/kyverno/policy-modes.js';

const rule = (name: string, validate: Record<string, unknown> = { pattern: {} }) => ({ name, validate });

function clusterPolicy(name: string, spec: Record<string, unknown>): PolicyObject {
  return { apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name }, spec };
}

function policy(namespace: string, name: string, spec: Record<string, unknown>): PolicyObject {
  return { apiVersion: 'kyverno.io/v1', kind: 'Policy', metadata: { name, namespace }, spec };
}

describe('PolicyModes', () => {
  it('is undefined for a policy it has not seen, and per cluster', () => {
    const modes = new PolicyModes();
    expect(modes.isEnforce('prod', 'anything')).toBeUndefined();
    modes.upsert('prod', clusterPolicy('p', { validationFailureAction: 'Enforce', rules: [rule('r')] }));
    expect(modes.isEnforce('prod', 'p')).toBe(true);
    expect(modes.isEnforce('staging', 'p')).toBeUndefined();
  });

  it('reads the mode with isEnforcePolicy: rule, namespace overrides, and the Audit default', () => {
    const modes = new PolicyModes();
    modes.upsert(
      'prod',
      clusterPolicy('mixed', {
        validationFailureAction: 'Audit',
        validationFailureActionOverrides: [{ action: 'Enforce', namespaces: ['prod-*'] }],
        rules: [rule('audited'), rule('enforced', { failureAction: 'Enforce', pattern: {} })],
      }),
    );
    modes.upsert('prod', clusterPolicy('no-action', { rules: [rule('r')] }));
    expect(modes.isEnforce('prod', 'mixed', { rule: 'audited', namespace: 'default' })).toBe(false);
    expect(modes.isEnforce('prod', 'mixed', { rule: 'audited', namespace: 'prod-web' })).toBe(true);
    expect(modes.isEnforce('prod', 'mixed', { rule: 'enforced', namespace: 'default' })).toBe(true);
    // A cluster-scoped resource ('' namespace) matches no namespace override.
    expect(modes.isEnforce('prod', 'mixed', { rule: 'audited', namespace: '' })).toBe(false);
    expect(modes.isEnforce('prod', 'no-action', { rule: 'r' })).toBe(false);
  });

  it('replaces a policy on upsert and forgets it on delete', () => {
    const modes = new PolicyModes();
    modes.upsert('prod', clusterPolicy('p', { validationFailureAction: 'Audit', rules: [rule('r')] }));
    expect(modes.isEnforce('prod', 'p', { rule: 'r' })).toBe(false);
    modes.upsert('prod', clusterPolicy('p', { validationFailureAction: 'Enforce', rules: [rule('r')] }));
    expect(modes.isEnforce('prod', 'p', { rule: 'r' })).toBe(true);
    modes.delete('prod', { metadata: { name: 'p' } });
    expect(modes.isEnforce('prod', 'p', { rule: 'r' })).toBeUndefined();
    expect(modes.size('prod')).toBe(0);
  });

  it('finds a namespaced Policy as <namespace>/<name>, or by bare name in the resource namespace', () => {
    const modes = new PolicyModes();
    modes.upsert('prod', policy('team-a', 'p', { validationFailureAction: 'Enforce', rules: [rule('r')] }));
    expect(modes.isEnforce('prod', 'team-a/p', { rule: 'r', namespace: 'team-a' })).toBe(true);
    expect(modes.isEnforce('prod', 'p', { rule: 'r', namespace: 'team-a' })).toBe(true);
    // Another namespace's Policy does not apply; without a namespace a bare name is a ClusterPolicy.
    expect(modes.isEnforce('prod', 'p', { rule: 'r', namespace: 'team-b' })).toBeUndefined();
    expect(modes.isEnforce('prod', 'p', { rule: 'r' })).toBeUndefined();
    expect(modes.isEnforce('prod', 'team-b/p', { rule: 'r', namespace: 'team-b' })).toBeUndefined();
  });

  it('prefers a ClusterPolicy for a bare name when both exist; the namespaced form selects the Policy', () => {
    const modes = new PolicyModes();
    modes.upsert('prod', clusterPolicy('p', { validationFailureAction: 'Audit', rules: [rule('r')] }));
    modes.upsert('prod', policy('team-a', 'p', { validationFailureAction: 'Enforce', rules: [rule('r')] }));
    expect(modes.isEnforce('prod', 'p', { rule: 'r', namespace: 'team-a' })).toBe(false);
    expect(modes.isEnforce('prod', 'team-a/p', { rule: 'r', namespace: 'team-a' })).toBe(true);
    modes.delete('prod', { metadata: { name: 'p', namespace: 'team-a' } });
    expect(modes.isEnforce('prod', 'team-a/p', { rule: 'r' })).toBeUndefined();
    expect(modes.isEnforce('prod', 'p', { rule: 'r' })).toBe(false);
  });

  it('rejects an object that is not a Kyverno policy, and drops an earlier version of it', () => {
    const modes = new PolicyModes();
    modes.upsert('prod', clusterPolicy('p', { validationFailureAction: 'Enforce', rules: [rule('r')] }));
    const result = modes.upsert('prod', clusterPolicy('p', { validationFailureAction: 'Block', rules: [rule('r')] }));
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(/not a Kyverno policy/);
    expect(modes.isEnforce('prod', 'p')).toBeUndefined();
    expect(modes.upsert('prod', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' } }).ok).toBe(false);
  });
});
