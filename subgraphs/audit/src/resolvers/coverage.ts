import { badInput } from '@vigil/lib/errors';
import type { AuditCoverageFinding, AuditLevel, AuditLevelCount, AuditPolicyCoverage, QueryResolvers } from '../__generated__/resolvers-types.js';
import { sourceOf } from '../context.js';
import { parseDateArgument } from '../date-argument.js';
import { DEFAULT_COVERAGE_CONFIG, levelRank, OTHER_GROUP, type AuditCoverageConfig, type AuditCoverageGroup } from '../coverage-config.js';
import { levelOf } from '../filter-input.js';
import type { CoverageCount } from '../sources/victorialogs/audit-log-source.js';
import { AUDIT_LEVELS, type AuditLevelName } from '../sources/victorialogs/logsql.js';

type Coverage = AuditPolicyCoverage;
type Finding = AuditCoverageFinding;
type Expectation = Pick<AuditCoverageGroup, 'minimumLevel' | 'maximumLevel' | 'expectEvents'> & { name: string; description: string };

export const coverageQueries: Pick<QueryResolvers, 'auditPolicyCoverage'> = {
  auditPolicyCoverage: async (_parent, args, context) => {
    const config = context.deps.coverage ?? DEFAULT_COVERAGE_CONFIG;
    const to = args.to == null ? context.clock() : parseDateArgument('to', args.to);
    const from = args.from == null ? new Date(to.getTime() - config.windowHours * 3_600_000) : parseDateArgument('from', args.from);
    if (from.getTime() > to.getTime()) throw badInput('from: must not be after to (now, when not given)');
    const groups = config.groups.map((group) => ({ resources: group.resources, ...(group.verbs ? { verbs: group.verbs } : {}) }));
    const counts = await sourceOf(context).coverage({ from, to }, groups);
    return evaluateCoverage({
      counts,
      config,
      // A tenant's callers answer for their own clusters; everyone else for the configured ones.
      expectedClusters: context.tenantClusters ?? config.expectedClusters ?? [context.deps.clusterName],
      ownCluster: context.deps.clusterName,
      from,
      to,
    });
  },
};

/**
 * Findings from the counted records (pure). Per cluster — every expected one and every one that sent
 * records — and per group in matching order, `other` last: NO_EVENTS for an expected cluster without
 * any record, else GROUP_NOT_RECORDED for a group expected every day but absent, LEVEL_BELOW_MINIMUM and
 * LEVEL_ABOVE_MAXIMUM for records outside the group's levels. Records without a known level meet no
 * expectation and break none: the API server always writes one.
 */
export function evaluateCoverage(input: {
  counts: readonly CoverageCount[];
  config: AuditCoverageConfig;
  expectedClusters: readonly string[];
  ownCluster: string;
  from: Date;
  to: Date;
}): Coverage {
  const { config, from, to } = input;
  const expectations: Expectation[] = [
    ...config.groups.map((group) => ({ ...group, description: group.description ?? describeGroup(group) })),
    { ...config.other, name: OTHER_GROUP, description: 'Everything no group above matches, non-resource requests (/healthz, /metrics) included' },
  ];
  const otherIndex = expectations.length - 1;
  // cluster → group index → level ('' for none) → records
  const byCluster = new Map<string, Map<number, Map<string, number>>>();
  for (const { cluster, group, level, count } of input.counts) {
    const name = cluster ?? input.ownCluster;
    const groups = byCluster.get(name) ?? new Map<number, Map<string, number>>();
    const index = group ?? otherIndex;
    const levels = groups.get(index) ?? new Map<string, number>();
    levels.set(level ?? '', (levels.get(level ?? '') ?? 0) + count);
    groups.set(index, levels);
    byCluster.set(name, groups);
  }
  const expected = new Set(input.expectedClusters);
  const names = [...new Set([...expected, ...byCluster.keys()])].sort();
  const window = `between ${from.toISOString()} and ${to.toISOString()}`;

  const clusters = names.map((cluster) => {
    const counted = byCluster.get(cluster) ?? new Map<number, Map<string, number>>();
    const total = sum([...counted.values()].flatMap((levels) => [...levels.values()]));
    const clusterFindings: Finding[] = [];
    if (total === 0 && expected.has(cluster)) {
      clusterFindings.push({
        kind: 'NO_EVENTS',
        cluster,
        group: null,
        count: 0,
        message: `No audit record from cluster ${cluster} ${window}: its API server does not audit, or its records do not reach VictoriaLogs.`,
      });
    }
    const groups = expectations.map((expectation, index) => {
      const levels = counted.get(index) ?? new Map<string, number>();
      const groupTotal = sum([...levels.values()]);
      const findings = total === 0 ? [] : groupFindings(cluster, expectation, levels, groupTotal, window);
      return {
        group: expectation.name,
        total: groupTotal,
        levels: levelCounts(levels),
        satisfied: findings.length === 0,
        findings,
      };
    });
    const findings = [...clusterFindings, ...groups.flatMap((group) => group.findings)];
    return { cluster, expected: expected.has(cluster), total, satisfied: findings.length === 0, groups, clusterFindings, findings };
  });

  const findings = clusters.flatMap((cluster) => cluster.findings);
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    satisfied: findings.length === 0,
    findings,
    clusters: clusters.map(({ cluster, expected: isExpected, total, satisfied, groups }) => ({ cluster, expected: isExpected, total, satisfied, groups })),
    expectations: expectations.map((e) => ({
      group: e.name,
      description: e.description,
      minimumLevel: levelEnum(e.minimumLevel),
      maximumLevel: e.maximumLevel === undefined ? null : levelEnum(e.maximumLevel),
      expectEvents: e.expectEvents,
    })),
  };
}

function groupFindings(cluster: string, expectation: Expectation, levels: ReadonlyMap<string, number>, total: number, window: string): Finding[] {
  const { name } = expectation;
  if (total === 0) {
    if (!expectation.expectEvents) return [];
    return [
      {
        kind: 'GROUP_NOT_RECORDED',
        cluster,
        group: name,
        count: 0,
        message: `Cluster ${cluster} sent audit records ${window}, but none of ${name} (${expectation.description}), which occur every day: the audit policy likely drops them (level None).`,
      },
    ];
  }
  const findings: Finding[] = [];
  const at = (names: AuditLevelName[]) => names.map((level) => `${String(levels.get(level) ?? 0)} at ${level}`).join(', ');
  const below = AUDIT_LEVELS.filter((level) => (levels.get(level) ?? 0) > 0 && levelRank(level) < levelRank(expectation.minimumLevel));
  if (below.length > 0) {
    const count = sum(below.map((level) => levels.get(level) ?? 0));
    findings.push({
      kind: 'LEVEL_BELOW_MINIMUM',
      cluster,
      group: name,
      count,
      message: `${String(count)} of ${String(total)} ${name} records in cluster ${cluster} are below ${expectation.minimumLevel} (${at(below)}): the audit trail lacks their request bodies.`,
    });
  }
  const maximum = expectation.maximumLevel;
  const above = maximum === undefined ? [] : AUDIT_LEVELS.filter((level) => (levels.get(level) ?? 0) > 0 && levelRank(level) > levelRank(maximum));
  if (maximum !== undefined && above.length > 0) {
    const count = sum(above.map((level) => levels.get(level) ?? 0));
    findings.push({
      kind: 'LEVEL_ABOVE_MAXIMUM',
      cluster,
      group: name,
      count,
      message: `${String(count)} of ${String(total)} ${name} records in cluster ${cluster} are above ${maximum} (${at(above)}): their request or response bodies, secret values included, reach the audit trail.`,
    });
  }
  return findings;
}

/** Lowest level first, records without a known level last. */
function levelCounts(levels: ReadonlyMap<string, number>): AuditLevelCount[] {
  const known = AUDIT_LEVELS.filter((level) => (levels.get(level) ?? 0) > 0).map((level) => ({ level: levelEnum(level), count: levels.get(level) ?? 0 }));
  const unknown = sum([...levels].filter(([level]) => levelOf(level) === null).map(([, count]) => count));
  return unknown > 0 ? [...known, { level: null, count: unknown }] : known;
}

function levelEnum(level: AuditLevelName): AuditLevel {
  switch (level) {
    case 'Metadata':
      return 'METADATA';
    case 'Request':
      return 'REQUEST';
    case 'RequestResponse':
      return 'REQUEST_RESPONSE';
  }
}

function describeGroup(group: AuditCoverageGroup): string {
  const rules = group.resources.map((rule) => `${rule.group === '' ? 'core' : rule.group === '*' ? 'any API group' : rule.group}: ${rule.resources.join(', ')}`);
  return [...rules, ...(group.verbs ? [`verbs ${group.verbs.join(', ')}`] : [])].join('; ');
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
