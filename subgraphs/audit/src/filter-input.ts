import { isIP } from 'node:net';
import { badInput } from '@vigil/lib/errors';
import type { AuditEventFilter, AuditGroupField, AuditLevel, AuditStage, ResponseCodeClass } from './__generated__/resolvers-types.js';
import {
  MAX_FILTER_VALUE_LENGTH,
  MAX_FILTER_VALUES,
  MAX_STATS_TOP,
  type AuditFilter,
  type AuditGroupKey,
  type AuditLevelName,
  type AuditStageName,
  type ResponseCodeClassDigit,
} from './sources/victorialogs/logsql.js';

/**
 * From the GraphQL filter to the source's: every value checked here, where the argument's name is
 * known, so a client reads which one is wrong (`filter.namespaces[1]: ...`). A value that cannot occur
 * in its field — a namespace that is no RFC 1123 label, a source IP that is no IP address — is refused
 * rather than searched for in vain. What is not a name (users, groups, user agents) is only bounded:
 * the LogsQL quoting (sources/victorialogs/logsql.ts) makes any text a literal.
 */

const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)*$/;
const VERB = /^[a-z]{1,64}$/;

type Check = { test: (value: string) => boolean; what: string };

const CHECKS = {
  // Verbs are lower-case words (get, deletecollection, and custom ones such as escalate or bind).
  verbs: { test: (v) => VERB.test(v), what: 'an API verb (lower-case letters)' },
  namespaces: { test: (v) => DNS_LABEL.test(v), what: 'a namespace name (an RFC 1123 label)' },
  resources: { test: (v) => DNS_LABEL.test(v), what: 'a resource name (lower case, e.g. secrets)' },
  subresources: { test: (v) => DNS_LABEL.test(v), what: 'a subresource name (lower case, e.g. exec)' },
  apiGroups: { test: (v) => DNS_SUBDOMAIN.test(v), what: 'an API group name (an RFC 1123 subdomain, e.g. rbac.authorization.k8s.io)' },
  // The API server's own rule for names in a URL path (IsValidPathSegmentName).
  names: { test: (v) => v !== '.' && v !== '..' && !/[/%]/.test(v), what: 'an object name (no "/" or "%", not "." or "..")' },
  sourceIps: { test: (v) => isIP(v) !== 0, what: 'an IPv4 or IPv6 address' },
} satisfies Record<string, Check>;

const LEVELS: Record<AuditLevel, AuditLevelName> = { METADATA: 'Metadata', REQUEST: 'Request', REQUEST_RESPONSE: 'RequestResponse' };
const STAGES: Record<AuditStage, AuditStageName> = {
  REQUEST_RECEIVED: 'RequestReceived',
  RESPONSE_STARTED: 'ResponseStarted',
  RESPONSE_COMPLETE: 'ResponseComplete',
  PANIC: 'Panic',
};
const CODE_CLASSES: Record<ResponseCodeClass, ResponseCodeClassDigit> = {
  INFORMATIONAL: 1,
  SUCCESS: 2,
  REDIRECTION: 3,
  CLIENT_ERROR: 4,
  SERVER_ERROR: 5,
};
const GROUP_KEYS: Record<AuditGroupField, AuditGroupKey> = {
  USER: 'user',
  VERB: 'verb',
  RESOURCE: 'resource',
  SUBRESOURCE: 'subresource',
  API_GROUP: 'apiGroup',
  NAMESPACE: 'namespace',
  NAME: 'name',
  RESPONSE_CODE: 'responseCode',
  SOURCE_IP: 'sourceIp',
  USER_AGENT: 'userAgent',
  CLUSTER: 'cluster',
  LEVEL: 'level',
};

/** The audit level enum value of a stored level, or null for none or one this schema does not know. */
export function levelOf(stored: string | null | undefined): AuditLevel | null {
  switch (stored) {
    case 'Metadata':
      return 'METADATA';
    case 'Request':
      return 'REQUEST';
    case 'RequestResponse':
      return 'REQUEST_RESPONSE';
    default:
      return null;
  }
}

export function groupKeysOf(groupBy: readonly AuditGroupField[]): AuditGroupKey[] {
  return [...new Set(groupBy)].map((field) => GROUP_KEYS[field]);
}

export function checkedTop(top: number | null | undefined): number {
  const value = top ?? 10;
  if (!Number.isInteger(value) || value < 1 || value > MAX_STATS_TOP) throw badInput(`top: must be an integer from 1 to ${String(MAX_STATS_TOP)}`);
  return value;
}

export function toAuditFilter(filter: AuditEventFilter | null | undefined): AuditFilter {
  const out: AuditFilter = {};
  if (!filter) return out;
  const strings = (key: StringKey, values: readonly string[] | null | undefined) => {
    if (values == null) return undefined;
    listBounds(key, values);
    const check = checkOf(key);
    for (const [index, value] of values.entries()) {
      const name = `filter.${key}[${String(index)}]`;
      if (value.length === 0 || value.length > MAX_FILTER_VALUE_LENGTH) throw badInput(`${name}: must be 1 to ${String(MAX_FILTER_VALUE_LENGTH)} characters`);
      if (/[\uD800-\uDFFF]/u.test(value)) throw badInput(`${name}: contains an unpaired UTF-16 surrogate`);
      if (check && !check.test(value)) throw badInput(`${name}: ${JSON.stringify(value.slice(0, 64))} is not ${check.what}`);
    }
    return values;
  };
  const assign = <K extends keyof AuditFilter>(key: K, value: AuditFilter[K] | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  assign('users', strings('users', filter.users));
  assign('userGroups', strings('userGroups', filter.userGroups));
  assign('impersonatedUsers', strings('impersonatedUsers', filter.impersonatedUsers));
  assign('verbs', strings('verbs', filter.verbs));
  assign('apiGroups', strings('apiGroups', filter.apiGroups));
  assign('resources', strings('resources', filter.resources));
  assign('subresources', strings('subresources', filter.subresources));
  assign('namespaces', strings('namespaces', filter.namespaces));
  assign('names', strings('names', filter.names));
  assign('clusters', strings('clusters', filter.clusters));
  assign('sourceIps', strings('sourceIps', filter.sourceIps));
  assign('userAgentPrefixes', strings('userAgentPrefixes', filter.userAgentPrefixes));
  if (filter.excludeServiceAccounts === true) out.excludeServiceAccounts = true;
  if (filter.responseCodes != null) {
    listBounds('responseCodes', filter.responseCodes);
    for (const [index, code] of filter.responseCodes.entries()) {
      if (!Number.isInteger(code) || code < 100 || code > 599) throw badInput(`filter.responseCodes[${String(index)}]: must be an HTTP status code, 100 to 599`);
    }
    out.responseCodes = filter.responseCodes;
  }
  if (filter.responseCodeClasses != null) out.responseCodeClasses = listBounds('responseCodeClasses', filter.responseCodeClasses).map((c) => CODE_CLASSES[c]);
  if (filter.levels != null) out.levels = listBounds('levels', filter.levels).map((level) => LEVELS[level]);
  if (filter.stages != null) out.stages = listBounds('stages', filter.stages).map((stage) => STAGES[stage]);
  if (filter.from != null) out.from = parseDate('filter.from', filter.from);
  if (filter.to != null) out.to = parseDate('filter.to', filter.to);
  if (out.from && out.to && out.from.getTime() > out.to.getTime()) throw badInput('filter.from: must not be after filter.to');
  return out;
}

type StringKey = keyof typeof CHECKS | 'users' | 'userGroups' | 'impersonatedUsers' | 'clusters' | 'userAgentPrefixes';

function checkOf(key: StringKey): Check | undefined {
  switch (key) {
    case 'users':
    case 'userGroups':
    case 'impersonatedUsers':
    case 'clusters':
    case 'userAgentPrefixes':
      return undefined;
    default:
      return CHECKS[key];
  }
}

function listBounds<T>(key: string, values: readonly T[]): readonly T[] {
  if (values.length === 0 || values.length > MAX_FILTER_VALUES) {
    throw badInput(`filter.${key}: must hold 1 to ${String(MAX_FILTER_VALUES)} values (leave it out to match any)`);
  }
  return values;
}

function parseDate(name: string, value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw badInput(`${name}: ${JSON.stringify(value.slice(0, 40))} is not an ISO-8601 date-time`);
  return date;
}
