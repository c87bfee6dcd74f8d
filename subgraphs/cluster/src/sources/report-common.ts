import { article } from './json-words.js';
import { z } from 'zod';
import { severityRank } from '@vigil/lib/alerts/alert';
import { escapeSegment, type NormalisedSecurityEvent } from '../store/security-event-store.js';

/**
 * What the report-based sources (Trivy, Kyverno, kube-bench, Checkov) have in common. Unlike Falco,
 * which pushes one alert per finding, these tools publish a whole report that is replaced on every
 * scan; a normaliser turns one report into its failing findings plus the keys of everything the
 * report evaluated, so the caller can tell a finding that now passes or vanished (see resolution.ts).
 */

export interface ReportNormalisation {
  ok: true;
  /** One occurrence per failing finding, at most one per dedup key. */
  events: NormalisedSecurityEvent[];
  /**
   * Every dedup key of a finding the report currently holds, failing or not (passed, skipped,
   * ignored), sorted and unique: a superset of the events' keys. A key present here without an event
   * is a finding that now passes; a previously open key absent here is one that vanished from the
   * report (fixed image, deleted resource, removed check).
   */
  keys: string[];
}

export type ReportNormaliseResult = ReportNormalisation | { ok: false; reason: string };

export interface ReportContext {
  /** The configured cluster name. */
  cluster: string;
  /**
   * When the caller read the report (e.g. the ConfigMap's or the object's last update). Used as the
   * occurrence time only when the report carries no time of its own; passed in so normalisers stay pure.
   */
  observedAt: Date;
}

/** Joins key segments with `/`, each segment escaped so that segments cannot run into each other. */
export function dedupKey(segments: readonly string[]): string {
  return segments.map(escapeSegment).join('/');
}

/**
 * Collects a report's findings. Two findings of one report with the same key (the report lists the
 * same thing twice) must not reach the store as two occurrences, which it would count as a repeat:
 * the most severe is kept, the first on a tie.
 */
export class FindingCollector {
  readonly #events = new Map<string, NormalisedSecurityEvent>();
  readonly #keys = new Set<string>();

  /** A finding the report evaluated and that does not fail (passed, skipped): its key only. */
  addKey(key: string): void {
    this.#keys.add(key);
  }

  addEvent(event: NormalisedSecurityEvent): void {
    this.#keys.add(event.dedupKey);
    const existing = this.#events.get(event.dedupKey);
    if (!existing || severityRank(event.severity) > severityRank(existing.severity)) this.#events.set(event.dedupKey, event);
  }

  result(): ReportNormalisation {
    return { ok: true, events: [...this.#events.values()], keys: [...this.#keys].sort() };
  }
}

export type Validated<T> = { ok: true; data: T } | { ok: false; reason: string };

/**
 * Validates `input` against `schema`. On failure the reason names the path of the first problem
 * (`report.vulnerabilities[0].severity`), prefixed with `label` when given, and counts the others.
 */
export function validate<T>(schema: z.ZodType<T>, input: unknown, label = ''): Validated<T> {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return { ok: true, data: result.data };
  const [first, ...rest] = result.error.issues;
  const problem = first ? describeIssue(first) : 'invalid report';
  const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : '';
  return { ok: false, reason: `${label}${problem}${more}` };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length === 0 ? 'the report' : formatPath(issue.path);
  if (issue.input === undefined && issue.code === 'invalid_type') return `${path} is required`;
  switch (issue.code) {
    case 'invalid_type':
      return `${path} must be ${article(issue.expected)}, got ${describeValue(issue.input)}`;
    case 'invalid_value':
      return `${path} must be ${issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`}, got ${describeValue(issue.input)}`;
    case 'too_small':
      if (issue.origin === 'number') return `${path} must be ${issue.inclusive ? 'at least' : 'more than'} ${String(issue.minimum)}, got ${describeValue(issue.input)}`;
      return `${path} ${issue.message}`;
    default:
      // Our own messages ("must not be empty", "must be an RFC 3339 time") read as the rest of the sentence.
      return `${path} ${issue.message}`;
  }
}

/** `report.vulnerabilities[0].severity`, `metadata.labels["trivy-operator.resource.kind"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_$][\w$]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return value.length <= 40 ? JSON.stringify(value) : 'a string';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `a ${typeof value}`;
}

/** An RFC 3339 time as Kubernetes writes it (`metav1.Time`), or a fractional-second variant. */
export const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/** ISO-8601 with millisecond precision, the form the stores order on. */
export function isoMillis(time: string | Date): string {
  return (typeof time === 'string' ? new Date(Date.parse(time)) : time).toISOString();
}

/** `''` and absent both mean "not reported" in these tools' JSON (Go `omitempty` and zero values). */
export function nonEmpty(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === '' ? null : value;
}

/**
 * Built-in kinds that have no namespace. Tools that always print a namespace (Checkov prints
 * `default` for every object without one) are corrected with this list, so the KubeObject key has
 * `namespace: ''` as the entity requires.
 */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'StorageClass',
  'CSIDriver',
  'CSINode',
  'VolumeAttachment',
  'IngressClass',
  'RuntimeClass',
  'PriorityClass',
  'ClusterRole',
  'ClusterRoleBinding',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'CustomResourceDefinition',
  'APIService',
  'CertificateSigningRequest',
  'PodSecurityPolicy',
  'ClusterPolicy',
]);

/** The parts of Kubernetes `ObjectMeta` the normalisers read. Label and annotation values are read only when strings. */
export const objectMetaSchema = z.looseObject({
  name: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().nullish(),
  resourceVersion: z.string().optional(),
  // `null` in `kyverno apply --policy-report` output.
  creationTimestamp: z.string().regex(RFC3339, { error: 'must be an RFC 3339 time' }).nullish(),
  labels: z.record(z.string(), z.unknown()).optional(),
  annotations: z.record(z.string(), z.unknown()).optional(),
  ownerReferences: z
    .array(
      z.looseObject({
        apiVersion: z.string().optional(),
        kind: z.string(),
        name: z.string(),
        uid: z.string().nullish(),
        controller: z.boolean().optional(),
      }),
    )
    .optional(),
});
export type ObjectMeta = z.infer<typeof objectMetaSchema>;

/** A string-valued label or annotation, or null. */
export function metaString(values: Record<string, unknown> | undefined, key: string): string | null {
  const value = values?.[key];
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Which Kubernetes object a finding was read from: with the finding's own record, the event's `raw`. */
export interface ReportRef {
  apiVersion: string | null;
  kind: string;
  namespace: string | null;
  name: string | null;
  uid: string | null;
  resourceVersion: string | null;
}

/**
 * The lineage kept as an event's `raw`: the report it came from and the finding's record exactly as
 * the report holds it. Not the whole report: a VulnerabilityReport holds hundreds of findings and
 * each event would otherwise carry all of them.
 */
export interface FindingRaw<R = unknown> {
  /** Null when the caller did not say which object the report was read from. */
  report: ReportRef | null;
  record: R;
}

export function reportRef(object: { apiVersion?: string | undefined; kind: string; metadata?: ObjectMeta | undefined }): ReportRef {
  const meta = object.metadata;
  return {
    apiVersion: object.apiVersion ?? null,
    kind: object.kind,
    namespace: nonEmpty(meta?.namespace),
    name: nonEmpty(meta?.name),
    uid: nonEmpty(meta?.uid),
    resourceVersion: nonEmpty(meta?.resourceVersion),
  };
}
