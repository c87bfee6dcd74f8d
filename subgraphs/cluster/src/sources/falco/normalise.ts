import { knownKindOfResource } from '@vigil/lib/kube-kinds';
import type { Severity } from '@vigil/lib/alerts/alert';
import type {
  KubeObjectRef,
  NormalisedSecurityEvent,
  SecurityCategory,
} from '../../store/security-event-store.js';
import { escapeSegment } from '../../store/security-event-store.js';
import {
  FALCO_PRIORITIES,
  falcoTimeToMillis,
  type FalcoDetails,
  type FalcoEvent,
  type FalcoFieldValue,
  type FalcoPriority,
} from './falco-event.js';

/**
 * Falco priority → Vigil severity. Falco's eight syslog-style levels fold into five: the three
 * page-worthy levels are CRITICAL, Error is HIGH, Warning MEDIUM, Notice LOW, and the two
 * informational levels INFO.
 */
export const FALCO_SEVERITY: Readonly<Record<FalcoPriority, Severity>> = {
  Emergency: 'CRITICAL',
  Alert: 'CRITICAL',
  Critical: 'CRITICAL',
  Error: 'HIGH',
  Warning: 'MEDIUM',
  Notice: 'LOW',
  Informational: 'INFO',
  Debug: 'INFO',
};

/** True when `priority` is as severe as `min` or more (Falco's own `priority:` threshold semantics). */
export function falcoPriorityAtLeast(priority: FalcoPriority, min: FalcoPriority): boolean {
  return FALCO_PRIORITIES.indexOf(priority) <= FALCO_PRIORITIES.indexOf(min);
}

/** Event sources whose records are audit logs rather than runtime (syscall/plugin) observations. */
const AUDIT_SOURCES: ReadonlySet<string> = new Set(['k8s_audit', 'aws_cloudtrail', 'gcp_auditlog', 'okta', 'github']);

const CLUSTER_SCOPED: ReadonlySet<string> = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'ClusterRole',
  'ClusterRoleBinding',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'CustomResourceDefinition',
  'CertificateSigningRequest',
]);

/**
 * Output fields that tell "the same event" from a different one of the same rule on the same object:
 * the command (or, failing that, the program), and for audit records who did what.
 * Deliberately not: pids, ttys, fd.name (carries ephemeral ports), container ids, times.
 */
const COMMAND_FIELDS = ['proc.cmdline', 'proc.exepath', 'proc.name'] as const;
const AUDIT_ACTOR_FIELDS = ['ka.user.name', 'ka.verb', 'ka.target.subresource', 'ka.uri.param[command]'] as const;
const MAX_SEGMENT = 256;

/**
 * Maps one Falco alert to a SecurityEvent occurrence. Pure.
 *
 * Dedup key: `falco/<cluster>/<rule>/<namespace>/<subject>/<message>/<discriminator>`, each segment
 * with `/` escaped, where
 * - subject is `<Kind>:<name>` of the resource, else `host:<hostname>`, else empty;
 * - message is the output's static text ("output prefix"): the output without Falco's
 *   `<time>: <Priority> ` prefix, cut before the first field-dependent part (the first `(` or
 *   `key=` token, which is where Falco rule outputs start listing field values), with any remaining
 *   clock times, dates and numbers of 6+ digits replaced by `#`, so no timestamp reaches the key;
 * - discriminator is `field=value` pairs from the first present command field (proc.cmdline,
 *   proc.exepath, proc.name) plus, for audit records, user, verb, subresource and exec command.
 * So a repeat of the same rule on the same pod with the same command collapses (the time, pid, tty
 * or source port may differ), while a different command, pod, rule or cluster is a different event.
 */
/** A SecurityEvent occurrence from Falco: the general shape with its details typed. */
export type NormalisedFalcoEvent = NormalisedSecurityEvent & { details: FalcoDetails };

export function normaliseFalcoEvent(event: FalcoEvent, context: { cluster: string }): NormalisedFalcoEvent {
  const fields = event.output_fields ?? {};
  const source = nonEmpty(event.source);
  const category: SecurityCategory = source !== null && AUDIT_SOURCES.has(source) ? 'AUDIT' : 'RUNTIME';
  const resource = podRef(fields, context.cluster) ?? auditTargetRef(fields, context.cluster);
  const falcoHostname = nonEmpty(event.hostname) ?? fieldText(fields, 'evt.hostname');
  // An audit record happened in the API server; the reporting Falco's host is not where it happened.
  const hostname = category === 'AUDIT' ? null : falcoHostname;
  const message = outputMessage(event.output ?? '', event.priority);
  const details: FalcoDetails = {
    priority: event.priority,
    rule: event.rule,
    output: event.output ?? null,
    source,
    tags: event.tags ?? [],
    outputFields: fields,
    time: event.time,
    hostname: falcoHostname,
    containerId: containerId(fields),
    containerImage: containerImage(fields),
    uuid: nonEmpty(event.uuid),
  };
  return {
    dedupKey: dedupKey(event, context.cluster, resource, hostname, message, category),
    source: 'FALCO',
    category,
    severity: FALCO_SEVERITY[event.priority],
    eventType: event.rule,
    title: message === '' ? event.rule : message,
    cluster: context.cluster,
    resource,
    hostname,
    occurredAt: new Date(falcoTimeToMillis(event.time)).toISOString(),
    details,
    raw: event,
  };
}

function dedupKey(
  event: FalcoEvent,
  cluster: string,
  resource: KubeObjectRef | null,
  hostname: string | null,
  message: string,
  category: SecurityCategory,
): string {
  const fields = event.output_fields ?? {};
  const subject = resource ? `${resource.kind}:${resource.name}` : hostname !== null ? `host:${hostname}` : '';
  const discriminator: string[] = [];
  const command = COMMAND_FIELDS.find((f) => fieldText(fields, f) !== null);
  if (command) discriminator.push(`${command}=${fieldText(fields, command) ?? ''}`);
  if (category === 'AUDIT') {
    for (const f of AUDIT_ACTOR_FIELDS) {
      const value = fieldText(fields, f);
      if (value !== null) discriminator.push(`${f}=${value}`);
    }
  }
  const segments = [
    'falco',
    cluster,
    event.rule,
    resource?.namespace ?? '',
    subject,
    withoutClockValues(message),
    discriminator.join(' '),
  ];
  return segments.map((s) => escapeSegment(s.slice(0, MAX_SEGMENT))).join('/');
}

const PRIORITY_WORDS = [...FALCO_PRIORITIES, 'Info'].join('|');
// formats.cpp: output = `%evt.time: <level>` (or `%evt.time.iso8601: <level>`) + " " + message.
const OUTPUT_PREFIX = new RegExp(`^\\s*(?:\\d{4}-\\d{2}-\\d{2}T)?\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?(?:Z|[+-]\\d{2}:?\\d{2})?:\\s+(?:${PRIORITY_WORDS})\\s+`);

/** The rule's static text: the output without Falco's time/priority prefix, up to its first field list. */
export function outputMessage(output: string, priority: FalcoPriority): string {
  let text = output.replace(OUTPUT_PREFIX, '');
  // An output without the usual prefix may still start with the priority word.
  if (text.startsWith(`${priority} `)) text = text.slice(priority.length + 1);
  const paren = text.indexOf('(');
  const keyValue = /(?:^|\s)[\w.[\]-]+=/.exec(text);
  const cut = Math.min(paren === -1 ? text.length : paren, keyValue ? keyValue.index : text.length);
  return text.slice(0, cut).replace(/\s+/g, ' ').trim();
}

function withoutClockValues(text: string): string {
  return text
    .replace(/\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+-][\d:]+)?)?/g, '#')
    .replace(/\d{1,2}:\d{2}:\d{2}(?:\.\d+)?/g, '#')
    .replace(/\d{6,}/g, '#');
}

function podRef(fields: Record<string, FalcoFieldValue>, cluster: string): KubeObjectRef | null {
  const name = fieldText(fields, 'k8s.pod.name');
  const namespace = fieldText(fields, 'k8s.ns.name');
  return name !== null && namespace !== null ? { cluster, namespace, kind: 'Pod', name } : null;
}

function auditTargetRef(fields: Record<string, FalcoFieldValue>, cluster: string): KubeObjectRef | null {
  const resource = fieldText(fields, 'ka.target.resource');
  const name = fieldText(fields, 'ka.target.name');
  if (resource === null || name === null) return null;
  // Unknown (e.g. custom) resources keep their plural resource name rather than a guessed kind.
  const kind = knownKindOfResource(resource) ?? resource;
  const namespace = CLUSTER_SCOPED.has(kind)
    ? ''
    : (fieldText(fields, 'ka.target.namespace') ?? namespaceFromUri(fieldText(fields, 'ka.uri')) ?? '');
  return { cluster, namespace, kind, name };
}

/** `/api/v1/namespaces/default/events/x` → default (some rules print ka.uri but not ka.target.namespace). */
function namespaceFromUri(uri: string | null): string | null {
  const match = uri === null ? null : /\/namespaces\/([^/?]+)\//.exec(uri);
  return match?.[1] ? decodeURIComponent(match[1]) : null;
}

function containerId(fields: Record<string, FalcoFieldValue>): string | null {
  const id = fieldText(fields, 'container.id');
  // Falco reports processes outside any container as container.id "host".
  return id === 'host' ? null : id;
}

function containerImage(fields: Record<string, FalcoFieldValue>): string | null {
  const repository = fieldText(fields, 'container.image.repository');
  if (repository === null) return fieldText(fields, 'container.image');
  const tag = fieldText(fields, 'container.image.tag');
  return tag === null ? repository : `${repository}:${tag}`;
}

/** A field's value as text, or null when absent or unavailable (Falco prints `<NA>` or null for those). */
function fieldText(fields: Record<string, FalcoFieldValue>, name: string): string | null {
  const value = fields[name];
  if (value === undefined || value === null || Array.isArray(value)) return null;
  const text = String(value);
  return text === '' || text === '<NA>' ? null : text;
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}
