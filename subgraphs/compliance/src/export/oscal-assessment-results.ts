import { v5 as uuidv5 } from 'uuid';
import type { FrameworkId } from '../frameworks.js';
import { CONTROL_SUBJECT_KEY, keyOfSubject, type EvidenceItem, type Subject } from '../results.js';
import type { Waiver } from '../store/waiver-store.js';
import type { ViewStatus } from '../view.js';
import { compare, describeReference, referenceUri, type ExportedResult, type ExportInput } from './export-results.js';
import { describeScope } from './export-scope.js';

/**
 * An OSCAL 1.0.6 Assessment Results document of one framework's results in one scope.
 *
 * Filled: metadata (title, last-modified, version = catalogue version, oscal-version, props naming the
 * framework and scope); import-ap pointing at a back-matter resource that says plainly there is no
 * OSCAL assessment plan (the control catalogue is the plan); one result with start/end,
 * local-definitions (Vigil as the tool component, one inventory item per subject), reviewed-controls,
 * one observation per evidence item, one finding per control × subject, and a risk per waiver.
 * Left out: assessment plan, assessment-log, attestations, parties and roles, SSP links
 * (implementation-statement-uuid), threat ids, characterizations and remediations.
 *
 * UUIDs are version 5, derived from what they identify (framework, control, subject, evidence,
 * waiver id), so a finding keeps its UUID across evaluations and exports, and exporting the same
 * results twice gives the same document; the document's own UUID is derived from its content, so it
 * changes exactly when the content does.
 */

export const OSCAL_VERSION = '1.0.6';
export const OSCAL_MEDIA_TYPE = 'application/json';

/** The namespace of Vigil's own props (a URN: it names, it does not resolve). */
export const VIGIL_NS = 'urn:vigil:oscal';

/** Fixed namespace of every UUID this export derives (random once, never changed: changing it renames everything). */
const UUID_NAMESPACE = '0b6a3c2e-5f0d-4a51-9a8e-6c1f2d7e4b93';
const uuidOf = (...parts: string[]): string => uuidv5(JSON.stringify(parts), UUID_NAMESPACE);

type Json = Record<string, unknown>;
interface Prop {
  name: string;
  value: string;
  ns?: string;
}

export function oscalAssessmentResults(input: ExportInput): Json {
  const toolUuid = uuidOf('tool', 'vigil-compliance');
  const planUuid = uuidOf('plan', input.catalogueVersion, input.framework);
  const subjects = new Map<string, { uuid: string; subject: Subject }>();
  for (const { result } of input.results) {
    if (result.subject === null) continue;
    const key = keyOfSubject(result.subject);
    if (!subjects.has(key)) subjects.set(key, { uuid: uuidOf('subject', key), subject: result.subject });
  }
  const observations: Json[] = [];
  const findings: Json[] = [];
  const risks: Json[] = [];
  for (const exported of input.results) {
    const ids = observationsOf(exported, input, toolUuid, subjects, observations);
    const risk = exported.waiver ? riskOf(exported, exported.waiver, ids, toolUuid) : null;
    if (risk) risks.push(risk);
    findings.push(findingOf(exported, input, ids, risk ? (risk['uuid'] as string) : null, toolUuid));
  }
  const starts = input.results.map((r) => r.result.since).sort(compare);
  const scope = describeScope(input.scope);
  const title = `${input.frameworkTitle}: Vigil compliance results for ${scope}`;
  const controlTokens = [...new Set(input.controls.map((c) => controlToken(input.framework, c.id)))];
  const result: Json = {
    uuid: uuidOf('result', input.framework, JSON.stringify(input.scope), input.evaluatedAt),
    title,
    description: `Results of the ${input.framework} controls Vigil evaluates from evidence gathered through its graph (catalogue ${input.catalogueVersion}), for ${scope}, as evaluated at ${input.evaluatedAt}. Results are stored when they change: start is the earliest time one of these results took its current status, end the evaluation shown.`,
    start: dateTime(starts[0] ?? input.evaluatedAt),
    end: dateTime(input.evaluatedAt),
    props: props([
      { name: 'framework', value: input.framework, ns: VIGIL_NS },
      { name: 'scope', value: scope, ns: VIGIL_NS },
    ]),
    'local-definitions': {
      components: [
        {
          uuid: toolUuid,
          type: 'software',
          title: 'Vigil compliance subgraph',
          description: 'Evaluates the control catalogue from evidence gathered through the Vigil GraphQL graph (hosts, cluster security events, audit logs), on a schedule and when asked.',
          status: { state: 'operational' },
        },
      ],
      ...(subjects.size > 0 ? { 'inventory-items': [...subjects.values()].sort((a, b) => compare(keyOfSubject(a.subject), keyOfSubject(b.subject))).map(({ uuid, subject }) => inventoryItem(uuid, subject)) } : {}),
    },
    'reviewed-controls': {
      description: `The ${input.framework} controls of Vigil's catalogue ${input.catalogueVersion} (and those imported as the tool reports them) visible to the caller.`,
      'control-selections': [
        controlTokens.length > 0
          ? { 'include-controls': controlTokens.map((id) => ({ 'control-id': id })) }
          : { description: `No ${input.framework} control has results visible to the caller.` },
      ],
    },
    ...(observations.length > 0 ? { observations } : {}),
    ...(risks.length > 0 ? { risks } : {}),
    ...(findings.length > 0 ? { findings } : {}),
  };
  const body: Json = {
    metadata: {
      title,
      'last-modified': dateTime(input.evaluatedAt),
      version: input.catalogueVersion,
      'oscal-version': OSCAL_VERSION,
      props: props([
        { name: 'framework', value: input.framework, ns: VIGIL_NS },
        { name: 'framework-version', value: input.frameworkVersion ?? '', ns: VIGIL_NS },
        { name: 'scope', value: scope, ns: VIGIL_NS },
      ]),
    },
    'import-ap': {
      href: `#${planUuid}`,
      remarks: 'Vigil has no OSCAL assessment plan: this points at the back-matter resource naming the control catalogue that served as the plan.',
    },
    results: [result],
    'back-matter': {
      resources: [
        {
          uuid: planUuid,
          title: `Vigil control catalogue ${input.catalogueVersion}`,
          description: `No OSCAL assessment plan exists for this assessment. The plan is Vigil's versioned control catalogue (subgraphs/compliance/catalogue/controls.yaml, version ${input.catalogueVersion}): one evaluator per control, or a mapping onto evaluated controls; the ${input.framework} controls reviewed are listed under reviewed-controls.`,
          props: props([{ name: 'catalogue-version', value: input.catalogueVersion, ns: VIGIL_NS }]),
        },
      ],
    },
  };
  return { 'assessment-results': { uuid: uuidOf('document', JSON.stringify(body)), ...body } };
}

function observationsOf(exported: ExportedResult, input: ExportInput, toolUuid: string, subjects: Map<string, { uuid: string; subject: Subject }>, out: Json[]): string[] {
  const { control, result } = exported;
  const subjectKey = keyOfSubject(result.subject);
  const subject = result.subject === null ? null : subjects.get(subjectKey);
  const seen = new Map<string, number>();
  return result.evidence.map((e) => {
    const identity = JSON.stringify([e.source, e.reference, e.observed, e.expected, e.satisfied]);
    const n = seen.get(identity) ?? 0;
    seen.set(identity, n + 1);
    const uuid = uuidOf('observation', input.framework, control.id, subjectKey, identity, String(n));
    out.push({
      uuid,
      title: `${control.id} evidence for ${subjectKey}: ${e.source}`,
      description: e.summary.trim() || `${e.source}: ${e.satisfied ? 'satisfied' : 'not satisfied'}`,
      props: props([
        { name: 'evidence-source', value: e.source, ns: VIGIL_NS },
        { name: 'satisfied', value: String(e.satisfied), ns: VIGIL_NS },
        { name: 'observed', value: e.observed ?? '', ns: VIGIL_NS },
        { name: 'expected', value: e.expected ?? '', ns: VIGIL_NS },
        { name: 'host', value: e.hostId ?? '', ns: VIGIL_NS },
      ]),
      methods: ['TEST'],
      origins: [{ actors: [{ type: 'tool', 'actor-uuid': toolUuid }] }],
      ...(subject ? { subjects: [{ 'subject-uuid': subject.uuid, type: 'inventory-item', title: subjectKey }] } : {}),
      ...(e.reference ? { 'relevant-evidence': [relevantEvidence(e, control.framework, control.id)] } : {}),
      collected: dateTime(e.observedAt ?? result.since),
    });
    return uuid;
  });
}

function relevantEvidence(e: EvidenceItem, framework: FrameworkId, controlId: string): Json {
  const ref = e.reference!;
  return {
    href: referenceUri(ref),
    // One short sentence: it is repeated for every evidence item of a document that can hold thousands.
    description: `${describeReference(ref)}; in Vigil's graph: control(framework: ${framework}, id: ${JSON.stringify(controlId)}) results.evidence.reference.`,
  };
}

/** Vigil's status on OSCAL's two states: only PASS (and NOT_APPLICABLE, marked as such) is satisfied. */
const TARGET_STATUS: Record<ViewStatus, { state: 'satisfied' | 'not-satisfied'; reason: 'pass' | 'fail' | 'other' }> = {
  PASS: { state: 'satisfied', reason: 'pass' },
  FAIL: { state: 'not-satisfied', reason: 'fail' },
  // The evidence still fails; the waiver accepts the risk (see the related risk), it does not satisfy the objective.
  WAIVED: { state: 'not-satisfied', reason: 'fail' },
  // Not demonstrated is not satisfied: an auditor should not read an evaluation error as a pass.
  ERROR: { state: 'not-satisfied', reason: 'other' },
  NOT_APPLICABLE: { state: 'satisfied', reason: 'other' },
};

function findingOf(exported: ExportedResult, input: ExportInput, observationIds: string[], riskUuid: string | null, toolUuid: string): Json {
  const { control, result, waiver } = exported;
  const subjectKey = keyOfSubject(result.subject);
  const about = subjectKey === CONTROL_SUBJECT_KEY ? 'the control as a whole' : subjectKey;
  const status = TARGET_STATUS[result.viewStatus];
  const first = result.evidence[0]?.summary.trim();
  return {
    uuid: uuidOf('finding', input.framework, control.id, subjectKey),
    title: `${control.id} ${control.title}: ${about}`,
    description: `${result.viewStatus} for ${about} since ${result.since}${first ? `: ${first}` : '.'}`,
    props: props([
      { name: 'framework', value: input.framework, ns: VIGIL_NS },
      { name: 'control-id', value: control.id, ns: VIGIL_NS },
      { name: 'subject', value: subjectKey, ns: VIGIL_NS },
      { name: 'result-status', value: result.viewStatus, ns: VIGIL_NS },
      { name: 'status-since', value: result.since, ns: VIGIL_NS },
      { name: 'severity', value: result.severity, ns: VIGIL_NS },
      { name: 'waived', value: String(waiver !== null), ns: VIGIL_NS },
      ...(waiver ? waiverProps(waiver) : []),
    ]),
    origins: [{ actors: [{ type: 'tool', 'actor-uuid': toolUuid }] }],
    target: {
      type: 'objective-id',
      'target-id': `${controlToken(input.framework, control.id)}_obj`,
      title: `${input.framework} ${control.id}: ${control.title}`,
      status: { state: status.state, reason: status.reason },
      ...(result.viewStatus === 'NOT_APPLICABLE' ? { 'implementation-status': { state: 'not-applicable' } } : {}),
    },
    ...(observationIds.length > 0 ? { 'related-observations': observationIds.map((id) => ({ 'observation-uuid': id })) } : {}),
    ...(riskUuid ? { 'related-risks': [{ 'risk-uuid': riskUuid }] } : {}),
  };
}

/** A waiver as an accepted risk: a deviation approved until the waiver expires, logged with who granted it. */
function riskOf(exported: ExportedResult, waiver: Waiver, observationIds: string[], toolUuid: string): Json {
  const subjectKey = keyOfSubject(exported.result.subject);
  const uuid = uuidOf('risk', waiver.id);
  return {
    uuid,
    title: `Waived: ${exported.control.id} fails for ${subjectKey}`,
    description: waiver.reason,
    statement: `${exported.control.framework} ${exported.control.id} (${exported.control.title}) fails for ${subjectKey}. The failure is accepted until ${waiver.expiresAt} (owner: ${waiver.owner}; granted by ${waiver.createdBy} at ${waiver.createdAt}) and does not count as a failure in Vigil's scores until then.`,
    props: props(waiverProps(waiver)),
    status: 'deviation-approved',
    origins: [{ actors: [{ type: 'tool', 'actor-uuid': toolUuid }] }],
    deadline: dateTime(waiver.expiresAt),
    'risk-log': {
      entries: [
        {
          uuid: uuidOf('risk-log', waiver.id, 'granted'),
          title: 'Waiver granted',
          description: `Granted by ${waiver.createdBy}, owner ${waiver.owner}: ${waiver.reason}`,
          start: dateTime(waiver.createdAt),
          'status-change': 'deviation-approved',
        },
      ],
    },
    ...(observationIds.length > 0 ? { 'related-observations': observationIds.map((id) => ({ 'observation-uuid': id })) } : {}),
  };
}

function waiverProps(w: Waiver): Prop[] {
  return [
    { name: 'waiver-id', value: w.id, ns: VIGIL_NS },
    { name: 'waiver-reason', value: w.reason, ns: VIGIL_NS },
    { name: 'waiver-owner', value: w.owner, ns: VIGIL_NS },
    { name: 'waiver-expires-at', value: w.expiresAt, ns: VIGIL_NS },
    { name: 'waiver-granted-by', value: w.createdBy, ns: VIGIL_NS },
  ];
}

function inventoryItem(uuid: string, s: Subject): Json {
  const what =
    s.kind === 'HOST' ? `Host ${s.name} (Vigil inventory)` : s.kind === 'NODE' ? `Kubernetes node ${s.name} of cluster ${s.cluster}` : s.kind === 'CLUSTER' ? `Kubernetes cluster ${s.name}` : s.kind === 'NAMESPACE' ? `Namespace ${s.name} of cluster ${s.cluster}` : `${s.objectKind} ${s.namespace}/${s.name} of cluster ${s.cluster}`;
  return {
    uuid,
    description: what,
    props: props([
      { name: 'asset-id', value: keyOfSubject(s) },
      { name: 'subject-kind', value: s.kind, ns: VIGIL_NS },
      { name: 'cluster', value: s.cluster ?? '', ns: VIGIL_NS },
      { name: 'namespace', value: s.namespace ?? '', ns: VIGIL_NS },
      { name: 'object-kind', value: s.objectKind ?? '', ns: VIGIL_NS },
    ]),
  };
}

/**
 * Props whose values fit OSCAL's string type (no leading/trailing or line-breaking whitespace: the
 * schema refuses it); props with nothing to say are left out rather than given an empty value.
 */
function props(list: Prop[]): Prop[] {
  return list.flatMap((p) => {
    const value = p.value.replace(/\s+/g, ' ').trim();
    return value.length === 0 ? [] : [{ name: p.name, ...(p.ns ? { ns: p.ns } : {}), value }];
  });
}

const TOKEN = /^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$/u;
const PREFIX: Record<FrameworkId, string> = {
  NIST_800_53: 'nist',
  ISO_27001: 'iso',
  CIS_KUBERNETES: 'cis',
  FEDRAMP_MODERATE: 'fedramp',
  CMMC_L2: 'cmmc',
  KUBERNETES_POLICY: 'kyverno',
  TRIVY_COMPLIANCE: 'trivy',
  OWASP_LLM: 'owasp',
};

/**
 * A control id as an OSCAL token (an XML NCName: a letter or _ first; letters, digits, . - _ after).
 * NIST SP 800-53 ids (and FedRAMP's, which are NIST's) take the form NIST's own OSCAL catalogue uses
 * (CM-8 → cm-8, AC-6(1) → ac-6.1); a valid token is kept as it is (A.5.9, LLM01, Kyverno policy
 * names); anything else (4.2.1, 3.12.4, k8s-nsa-1.0/1.0) gets the framework's prefix and _ for the
 * characters a token cannot hold (cis-4.2.1). The id as the framework writes it is in the finding's
 * control-id prop.
 */
export function controlToken(framework: FrameworkId, id: string): string {
  if (framework === 'NIST_800_53' || framework === 'FEDRAMP_MODERATE') {
    const nist = id.toLowerCase().replace(/\((\w+)\)/g, '.$1');
    if (TOKEN.test(nist)) return nist;
  }
  if (TOKEN.test(id)) return id;
  return `${PREFIX[framework]}-${id.replace(/[^\p{L}\p{N}._-]/gu, '_')}`;
}

/** Any stored time, as the date-time (with zone) OSCAL requires. */
const dateTime = (value: string): string => new Date(value).toISOString();
