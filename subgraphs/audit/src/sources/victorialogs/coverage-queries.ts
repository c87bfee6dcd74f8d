import { AUDIT_FIELDS } from '@vigil/lib/audit-log-format';
import { badInput, VigilError } from '@vigil/lib/errors';
import type { VictoriaLogsStatsSample } from './client.js';
import { VIGIL_LAYOUT, type AuditLayout } from './layout.js';
import { buildAuditFilter, quoteLogsQL, type AuditFilter } from './logsql.js';

/**
 * Audit-policy coverage: which audit levels the records that actually arrived were written at, per
 * cluster and resource group. One stats query: the records of the time range are tagged with the first
 * group they match (conditional `format` pipes, in the order the groups are configured — first match
 * wins, as in an API server audit policy), then counted by cluster, group and level.
 *
 * A group is written the way an audit policy's `resources` are: an API group (`""` the core group,
 * `"*"` any) and resource names — `secrets` (the resource, no subresource), `pods/exec` (a subresource),
 * `pods/*` (any subresource of pods), `*` (any resource or subresource), `*\/scale` — plus optional verbs.
 */

export type CoverageResourceRule = { group: string; resources: readonly string[] };
export type CoverageGroupMatch = { resources: readonly CoverageResourceRule[]; verbs?: readonly string[] };

/**
 * One row of the answer: records of one cluster (null: the records carry none), group (index into the
 * groups; null: none matched) and level.
 */
export type CoverageCount = { cluster: string | null; group: number | null; level: string | null; count: number };

export const MAX_COVERAGE_GROUPS = 50;

/** The tag a record gets: the index of the first group it matches. Not a stored field name (the `fields` pipe drops every other field first). */
const GROUP_TAG = 'vigil_coverage_group';

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const VERB = /^[a-z]{1,64}$/;

const F = {
  level: quoteLogsQL(AUDIT_FIELDS.level),
  apiGroup: quoteLogsQL(AUDIT_FIELDS.apiGroup),
  resource: quoteLogsQL(AUDIT_FIELDS.resource),
  subresource: quoteLogsQL(AUDIT_FIELDS.subresource),
  verb: quoteLogsQL(AUDIT_FIELDS.verb),
  tag: quoteLogsQL(GROUP_TAG),
};

/** The LogsQL counting the records of `range` per cluster, first matching group and level (`/select/logsql/stats_query`). */
export function buildCoverageQuery(range: Pick<AuditFilter, 'from' | 'to'>, groups: readonly CoverageGroupMatch[], layout: AuditLayout = VIGIL_LAYOUT): string {
  if (groups.length > MAX_COVERAGE_GROUPS) throw badInput(`groups: at most ${String(MAX_COVERAGE_GROUPS)}`);
  // A layout naming one cluster for every record has no cluster field: its records are counted as one.
  const cluster = 'field' in layout.cluster ? [quoteLogsQL(layout.cluster.field)] : [];
  const pipes = [`fields ${[...cluster, F.level, F.apiGroup, F.resource, F.subresource, F.verb].join(', ')}`];
  for (const [index, group] of groups.entries()) {
    // The format text is the group's index: digits, so nothing in it is a `<field>` placeholder.
    pipes.push(`format if (${groupCondition(group)} AND ${F.tag}:="") "${String(index)}" as ${F.tag}`);
  }
  pipes.push(`stats by (${[...cluster, F.tag, F.level].join(', ')}) count() as count`);
  return [buildAuditFilter({ ...(range.from ? { from: range.from } : {}), ...(range.to ? { to: range.to } : {}) }, layout), ...pipes].join(' | ');
}

/** The LogsQL filter matching the records of one group, ignoring groups before it (tests compare it with the tagged count). */
export function groupCondition(group: CoverageGroupMatch): string {
  if (group.resources.length === 0) throw badInput('resources: at least one');
  const rules = group.resources.map(ruleCondition);
  const parts = [rules.length === 1 ? (rules[0] ?? '') : `(${rules.join(' OR ')})`];
  if (group.verbs !== undefined) {
    if (group.verbs.length === 0 || !group.verbs.every((verb) => VERB.test(verb))) throw badInput('verbs: lower-case API verbs, at least one');
    parts.push(`${F.verb}:in(${group.verbs.map(quoteLogsQL).join(', ')})`);
  }
  return parts.join(' AND ');
}

function ruleCondition(rule: CoverageResourceRule): string {
  if (rule.resources.length === 0) throw badInput('resources: at least one per API group');
  const group = rule.group === '*' ? null : rule.group === '' ? '' : checkedName('group', rule.group);
  // The core group is not recorded at all (`objectRef.apiGroup` absent), which `:=""` matches.
  const groupFilter = group === null ? null : `${F.apiGroup}:=${quoteLogsQL(group)}`;
  const resources = rule.resources.map((spec) => {
    const [resource = '', subresource, ...rest] = spec.split('/');
    if (rest.length > 0) throw badInput(`resources: ${JSON.stringify(spec.slice(0, 64))} is not resource or resource/subresource`);
    if (resource === '*' && subresource === undefined) return `${F.resource}:*`;
    const parts = [resource === '*' ? `${F.resource}:*` : `${F.resource}:=${quoteLogsQL(checkedName('resources', resource))}`];
    if (subresource === undefined) parts.push(`${F.subresource}:=""`);
    else if (subresource === '*') parts.push(`${F.subresource}:*`);
    else parts.push(`${F.subresource}:=${quoteLogsQL(checkedName('resources', subresource))}`);
    return parts.join(' AND ');
  });
  if (groupFilter === null) return `(${resources.map((r) => `(${r})`).join(' OR ')})`;
  const anyResource = resources.length === 1 ? (resources[0] ?? '') : `(${resources.map((r) => `(${r})`).join(' OR ')})`;
  return `(${groupFilter} AND ${anyResource})`;
}

export function parseCoverage(samples: readonly VictoriaLogsStatsSample[], groupCount: number, layout: AuditLayout = VIGIL_LAYOUT): CoverageCount[] {
  const out: CoverageCount[] = [];
  for (const sample of samples) {
    if (sample.name !== 'count') continue;
    const count = /^\d{1,16}$/.test(sample.value) ? Number(sample.value) : Number.NaN;
    if (!Number.isSafeInteger(count)) throw new VigilError('UPSTREAM_UNAVAILABLE', 'VictoriaLogs returned a count that is not a whole number');
    if (count === 0) continue;
    const tag = sample.labels[GROUP_TAG] ?? '';
    const group = tag === '' ? null : Number(tag);
    if (group !== null && !(Number.isInteger(group) && group >= 0 && group < groupCount)) {
      throw new VigilError('UPSTREAM_UNAVAILABLE', 'VictoriaLogs returned a coverage group this query did not tag');
    }
    const cluster = 'field' in layout.cluster ? (sample.labels[layout.cluster.field] ?? '') : layout.cluster.value;
    const level = sample.labels[AUDIT_FIELDS.level] ?? '';
    out.push({ cluster: cluster === '' ? null : cluster, group, level: level === '' ? null : level, count });
  }
  return out;
}

function checkedName(what: string, name: string): string {
  if (!NAME.test(name)) throw badInput(`${what}: ${JSON.stringify(name.slice(0, 64))} is not a lower-case API name`);
  return name;
}
