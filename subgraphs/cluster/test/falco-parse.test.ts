import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  FALCO_METRICS_RULE,
  FALCO_PRIORITIES,
  TEXT_OUTPUT_REASON,
  parseFalcoBody,
  type FalcoEvent,
} from '../src/sources/falco/falco-event.js';
import { FALCO_SEVERITY, falcoPriorityAtLeast, normaliseFalcoEvent, outputMessage } from '../src/sources/falco/normalise.js';

// Samples: test/fixtures/falco/README.md (copied from the shared fixtures; sources in SOURCES.md).
const fixture = (name: string) => readFileSync(new URL(`./fixtures/falco/${name}`, import.meta.url), 'utf8');

/** A captured request: header lines and body, split at the blank line exactly as received. */
function httpFixture(name: string): { headers: Map<string, string>; body: string } {
  const raw = fixture(name);
  const split = raw.indexOf('\r\n\r\n');
  const headers = new Map<string, string>();
  for (const line of raw.slice(0, split).split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body: raw.slice(split + 4) };
}

function parseOne(body: string, contentType = 'application/json'): FalcoEvent {
  const result = parseFalcoBody(body, contentType);
  if (!result.ok) throw new Error(`expected to parse, got: ${result.reason}`);
  expect(result.events).toHaveLength(1);
  const [event] = result.events;
  if (!event) throw new Error('no event');
  return event;
}

const normalise = (event: FalcoEvent) => normaliseFalcoEvent(event, { cluster: 'prod' });
const PRIORITY_LIST = 'Emergency, Alert, Critical, Error, Warning, Notice, Informational, Debug';

describe('parseFalcoBody: every Falco fixture', () => {
  it('terminal_shell_in_container.json (Falco ~0.35 docs)', () => {
    const event = parseOne(fixture('terminal_shell_in_container.json'));
    expect(event.priority).toBe('Critical');
    expect(event.rule).toBe('Terminal shell in container');
    // ns timestamps exceed 2^53: kept exact as a string instead of rounded.
    expect(event.output_fields?.['evt.time']).toBe('1685022245478445995');
    expect(event.output_fields?.['proc.tty']).toBe(34816);
    const n = normalise(event);
    expect(n).toMatchObject({
      source: 'FALCO',
      category: 'RUNTIME',
      severity: 'CRITICAL',
      eventType: 'Terminal shell in container',
      title: 'A shell was spawned in a container with an attached terminal',
      cluster: 'prod',
      resource: { cluster: 'prod', namespace: 'default', kind: 'Pod', name: 'kubecon' },
      hostname: 'falco-xczjd',
      occurredAt: '2023-05-25T13:44:05.478Z',
    });
    expect(n.details).toMatchObject({
      priority: 'Critical',
      source: 'syscall',
      tags: ['container', 'mitre_execution', 'shell'],
      time: '2023-05-25T13:44:05.478445995Z',
      containerId: 'ee97d9c4186f',
      containerImage: 'docker.io/library/alpine',
      uuid: null,
    });
    expect(n.dedupKey).toBe(
      'falco/prod/Terminal shell in container/default/Pod:kubecon/A shell was spawned in a container with an attached terminal/proc.cmdline=sh -c clear; (bash || ash || sh)',
    );
  });

  it('read_sensitive_file_untrusted.json (pretty-printed, Falco 0.39-era, nulls in output_fields)', () => {
    const event = parseOne(fixture('read_sensitive_file_untrusted.json'));
    expect(event.output_fields?.['proc.aname[3]']).toBeNull();
    const n = normalise(event);
    expect(n.severity).toBe('MEDIUM');
    expect(n.resource).toEqual({ cluster: 'prod', namespace: 'trigger-falco-rule', kind: 'Pod', name: 'bayrou' });
    expect(n.hostname).toBe('mfernd-k8s-security-control-plane');
    expect(n.title).toBe('Sensitive file opened for reading by non-trusted program');
    expect(n.details.containerImage).toBe('docker.io/library/nginx:1.27');
    expect(n.dedupKey).toContain('/proc.cmdline=cat %2Fetc%2Fshadow');
  });

  it('write_below_binary_dir_docs.json (old Falco: no source, no tags, no pod)', () => {
    const n = normalise(parseOne(fixture('write_below_binary_dir_docs.json')));
    expect(n.severity).toBe('HIGH');
    expect(n.category).toBe('RUNTIME');
    expect(n.resource).toBeNull();
    expect(n.hostname).toBe('localhost');
    expect(n.details.source).toBeNull();
    expect(n.details.tags).toEqual([]);
    expect(n.title).toBe('File below a known binary directory opened for writing');
    expect(n.dedupKey).toBe(
      'falco/prod/Write below binary dir//host:localhost/File below a known binary directory opened for writing/proc.cmdline=touch %2Fbin%2Fhack',
    );
  });

  it('contact_k8s_api_server_from_container_v029.json (Falco 0.29: no hostname/source/tags)', () => {
    const n = normalise(parseOne(fixture('contact_k8s_api_server_from_container_v029.json')));
    expect(n.severity).toBe('LOW');
    expect(n.resource).toEqual({
      cluster: 'prod',
      namespace: 'fission-function',
      kind: 'Pod',
      name: 'poolmgr-go-default-516098-5bdbf8c8f5-g8gvc',
    });
    expect(n.hostname).toBeNull();
    expect(n.title).toBe('Unexpected connection to K8s API Server from container');
    expect(n.details.containerImage).toBe('fission/fetcher:1.13.1');
    // The ephemeral source port in fd.name must not reach the key.
    expect(n.dedupKey).not.toContain('39526');
  });

  it('k8saudit_serviceaccount_created.json (k8s_audit: the target object, no host)', () => {
    const n = normalise(parseOne(fixture('k8saudit_serviceaccount_created.json')));
    expect(n.severity).toBe('INFO');
    expect(n.category).toBe('AUDIT');
    expect(n.resource).toEqual({ cluster: 'prod', namespace: 'default', kind: 'ServiceAccount', name: 'default' });
    // The audit record did not happen on the Falco plugin's pod; it is kept in details only.
    expect(n.hostname).toBeNull();
    expect(n.details.hostname).toBe('falco-k8saudit-eks-96d7f6f99-vwjgc');
    expect(n.title).toBe('K8s Serviceaccount Created');
  });

  it('k8saudit_attach_exec_pod_v034.json and _v040.json (exec via the API: the pod)', () => {
    const v034 = normalise(parseOne(fixture('k8saudit_attach_exec_pod_v034.json')));
    expect(v034.severity).toBe('LOW');
    expect(v034.category).toBe('AUDIT');
    expect(v034.resource).toEqual({ cluster: 'prod', namespace: 'default', kind: 'Pod', name: 'kubecon' });
    expect(v034.title).toBe('Attach/Exec to pod');
    expect(v034.dedupKey).toBe(
      'falco/prod/Attach%2FExec Pod/default/Pod:kubecon/Attach%2FExec to pod/ka.user.name=kubernetes-admin ka.target.subresource=exec ka.uri.param[command]=sh',
    );
    const v040 = normalise(parseOne(fixture('k8saudit_attach_exec_pod_v040.json')));
    expect(v040.resource).toEqual({ cluster: 'prod', namespace: 'hello-app', kind: 'Pod', name: 'nginx-676b6c5bbc-4xc6t' });
    expect(v040.hostname).toBeNull();
  });

  it('k8saudit_disallowed_user_resp403.json (namespace recovered from ka.uri)', () => {
    const n = normalise(parseOne(fixture('k8saudit_disallowed_user_resp403.json')));
    expect(n.severity).toBe('MEDIUM');
    expect(n.resource).toEqual({ cluster: 'prod', namespace: 'default', kind: 'Event', name: 'my-pool-1.18051c0a88716868' });
    expect(n.title).toBe('K8s Operation performed by user not in allowed list of users');
    expect(n.dedupKey).toContain('ka.user.name=yacht ka.verb=patch');
  });

  it('metrics_snapshot.json parses (the route ignores it: not a security event)', () => {
    const event = parseOne(fixture('metrics_snapshot.json'));
    expect(event.rule).toBe(FALCO_METRICS_RULE);
    expect(event.source).toBe('internal');
    expect(event.output_fields?.['falco.evts_rate_sec']).toBe(1846.4);
  });

  it('testing_open_from_cat.jsonl: newline-delimited, ISO-8601 output prefix, repeats share a key', () => {
    const result = parseFalcoBody(fixture('testing_open_from_cat.jsonl'), 'application/x-ndjson');
    if (!result.ok) throw new Error(result.reason);
    expect(result.events).toHaveLength(2);
    const [a, b] = result.events.map(normalise);
    expect(a?.title).toBe('An open was seen');
    expect(a?.hostname).toBe('test-falco-hostname');
    expect(a?.occurredAt).toBe('2016-08-04T16:17:57.881Z');
    expect(b?.occurredAt).toBe('2016-08-04T16:17:57.881Z');
    expect(a?.details.time).not.toBe(b?.details.time);
    expect(a?.dedupKey).toBe(b?.dedupKey);
  });

  it('falco_stdout_k8saudit_eks.log is rejected: Falco log lines are not alerts', () => {
    expect(parseFalcoBody(fixture('falco_stdout_k8saudit_eks.log'), 'application/json')).toEqual({
      ok: false,
      reason: 'line 1 is not JSON',
    });
  });

  it('http_output_request_json.http and _compress_uploads.http: the captured bodies with their headers', () => {
    for (const name of ['http_output_request_json.http', 'http_output_request_json_compress_uploads.http']) {
      const { headers, body } = httpFixture(name);
      expect(headers.get('content-type')).toBe('application/json');
      const event = parseOne(body, headers.get('content-type'));
      expect(normalise(event).dedupKey).toBe(normalise(parseOne(fixture('terminal_shell_in_container.json'))).dedupKey);
    }
  });

  it('http_output_request_text.http is rejected with a reason that says what to change', () => {
    const { headers, body } = httpFixture('http_output_request_text.http');
    expect(parseFalcoBody(body, headers.get('content-type'))).toEqual({ ok: false, reason: TEXT_OUTPUT_REASON });
    expect(TEXT_OUTPUT_REASON).toBe('text output is not supported: enable json_output in falco.yaml');
    // Same answer when a proxy dropped the Content-Type.
    expect(parseFalcoBody(body, undefined)).toEqual({ ok: false, reason: TEXT_OUTPUT_REASON });
  });

  it('falcosidekick_client_test_input.json (falcosidekick FalcoPayload: "syscalls", no fraction in time)', () => {
    const n = normalise(parseOne(fixture('falcosidekick_client_test_input.json'), 'application/json; charset=utf-8'));
    expect(n.severity).toBe('INFO');
    expect(n.category).toBe('RUNTIME');
    expect(n.details.source).toBe('syscalls');
    expect(n.hostname).toBe('test-host');
    expect(n.occurredAt).toBe('2001-01-01T01:10:00.000Z');
    expect(n.title).toBe('This is a test from falcosidekick');
  });

  it("falcosidekick's forwarded shape of a Falco alert dedups with the alert received directly", () => {
    // Derived, not captured: FalcoPayload field order from types/types.go, uuid added, Go RFC 3339
    // time with trailing zeros dropped (fixtures/falco/falcosidekick.md).
    const direct = parseOne(fixture('k8saudit_attach_exec_pod_v040.json'));
    const forwarded = JSON.stringify({
      uuid: '0f4ad6d9-8bc4-4d3e-9df3-6c1c4b7d2a11',
      output: direct.output,
      priority: direct.priority,
      rule: direct.rule,
      time: '2025-02-10T09:29:46.302906Z',
      output_fields: JSON.parse(fixture('k8saudit_attach_exec_pod_v040.json')).output_fields,
      source: direct.source,
      tags: direct.tags,
      hostname: direct.hostname,
    });
    const n = normalise(parseOne(forwarded, 'application/json; charset=utf-8'));
    expect(n.details.uuid).toBe('0f4ad6d9-8bc4-4d3e-9df3-6c1c4b7d2a11');
    expect(n.occurredAt).toBe('2025-02-10T09:29:46.302Z');
    expect(n.dedupKey).toBe(normalise(direct).dedupKey);
  });
});

describe('parseFalcoBody: bad input is rejected with a reason naming the problem', () => {
  const valid = JSON.parse(fixture('terminal_shell_in_container.json')) as Record<string, unknown>;
  const line = (patch: Record<string, unknown>) => JSON.stringify({ ...valid, ...patch });

  it.each([
    ['', 'application/json', 'body is empty'],
    ['{"rule":', 'application/json', 'body is not JSON'],
    ['42', 'application/json', 'expected a Falco alert object, got a number'],
    ['[]', 'application/json', 'body contains no events'],
    [line({}), 'application/x-www-form-urlencoded', 'unsupported Content-Type "application/x-www-form-urlencoded": send application/json'],
    [line({}), 'text/plain', 'Content-Type text/plain is not supported: send application/json'],
    [`${line({})}\n${line({ priority: 'info' })}`, 'application/json', `line 2: "priority" must be one of ${PRIORITY_LIST}`],
    [`${line({})}\n{oops`, 'application/json', 'line 2 is not JSON'],
    [JSON.stringify([valid, { ...valid, rule: undefined }]), 'application/json', 'item 2: "rule" is required'],
    [JSON.stringify([valid, 'x']), 'application/json', 'item 2: expected a Falco alert object, got a string'],
    [line({ rule: '  ' }), 'application/json', '"rule" must not be empty'],
    [line({ time: 1685022245 }), 'application/json', '"time" must be a string, got a number'],
    [line({ time: '13:44:05.478445995' }), 'application/json', '"time" must be an ISO 8601 UTC timestamp such as 2023-05-25T13:44:05.478445995Z'],
    [line({ output_fields: 'x' }), 'application/json', '"output_fields" must be an object, got a string'],
    [line({ output_fields: { 'proc.name': { nested: true } } }), 'application/json', '"output_fields"["proc.name"] must be a string, number, boolean, null or a list of those, got an object'],
    [line({ tags: 'container' }), 'application/json', '"tags" must be an array, got a string'],
    [JSON.stringify({ output: 'x' }), 'application/json', '"time" is required (and 2 more problems)'],
  ])('%j (%s) → %s', (body, contentType, reason) => {
    expect(parseFalcoBody(body, contentType)).toEqual({ ok: false, reason });
  });

  it('accepts what Falco really varies in: missing output/output_fields/source/tags/hostname, unknown keys, arrays', () => {
    const minimal = parseOne(JSON.stringify({ time: '2024-01-02T03:04:05Z', rule: 'r', priority: 'Debug' }));
    const n = normalise(minimal);
    expect(n.title).toBe('r');
    expect(n.details.output).toBeNull();
    expect(n.details.outputFields).toEqual({});
    const withMessage = parseOne(line({ message: 'A shell was spawned', output_fields: { 'ka.req.pod.containers.image': ['nginx', null] } }));
    // Unknown keys survive into raw (lineage), and list-valued fields are kept.
    expect((normalise(withMessage).raw as Record<string, unknown>)['message']).toBe('A shell was spawned');
    expect(withMessage.output_fields?.['ka.req.pod.containers.image']).toEqual(['nginx', null]);
  });

  it('accepts a batch as a JSON array and strips a UTF-8 BOM', () => {
    const result = parseFalcoBody(`\uFEFF[${line({})},${line({ rule: 'Other' })}]`, 'application/json');
    expect(result.ok && result.events.map((e) => e.rule)).toEqual(['Terminal shell in container', 'Other']);
  });
});

describe('normaliseFalcoEvent: severity table and dedup key', () => {
  it('maps every Falco priority (one table, most severe first)', () => {
    expect(FALCO_PRIORITIES.map((p) => FALCO_SEVERITY[p])).toEqual(['CRITICAL', 'CRITICAL', 'CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO', 'INFO']);
  });

  it('falcoPriorityAtLeast follows Falco order', () => {
    expect(falcoPriorityAtLeast('Critical', 'Error')).toBe(true);
    expect(falcoPriorityAtLeast('Error', 'Error')).toBe(true);
    expect(falcoPriorityAtLeast('Warning', 'Error')).toBe(false);
    expect(falcoPriorityAtLeast('Debug', 'Debug')).toBe(true);
    expect(falcoPriorityAtLeast('Informational', 'Notice')).toBe(false);
  });

  const base = JSON.parse(fixture('terminal_shell_in_container.json')) as FalcoEvent;
  const keyOf = (patch: Partial<FalcoEvent>, fields: Record<string, string | number> = {}) =>
    normalise({ ...base, ...patch, output_fields: { ...base.output_fields, ...fields } }).dedupKey;

  it('is stable: the same event twice gives the same key', () => {
    expect(keyOf({})).toBe(keyOf({}));
    expect(normalise(parseOne(fixture('terminal_shell_in_container.json'))).dedupKey).toBe(keyOf({}));
  });

  it('collapses repeats that differ only in time, tty, container id or the Falco pod', () => {
    const repeat = keyOf(
      {
        time: '2023-05-26T08:00:00.000000001Z',
        hostname: 'falco-abcde',
        output: (base.output ?? '').replace('13:44:05.478445995', '08:00:00.000000001').replace('terminal=34816', 'terminal=34817'),
      },
      { 'evt.time': 1685088000000000000, 'proc.tty': 34817, 'container.id': 'aaaaaaaaaaaa' },
    );
    expect(repeat).toBe(keyOf({}));
  });

  it('separates a different pod, namespace, rule, command or cluster', () => {
    const key = keyOf({});
    expect(keyOf({}, { 'k8s.pod.name': 'other' })).not.toBe(key);
    expect(keyOf({}, { 'k8s.ns.name': 'other' })).not.toBe(key);
    expect(keyOf({ rule: 'Other rule' })).not.toBe(key);
    expect(keyOf({}, { 'proc.cmdline': 'sh -c id' })).not.toBe(key);
    expect(normaliseFalcoEvent(base, { cluster: 'staging' }).dedupKey).not.toBe(key);
  });

  it('escapes "/" so segments cannot run into each other', () => {
    const a = keyOf({ rule: 'a/b' }, { 'k8s.ns.name': 'c' });
    const b = keyOf({ rule: 'a' }, { 'k8s.ns.name': 'b/c' });
    expect(a).not.toBe(b);
  });

  it('keeps clock values out of the message part of the key', () => {
    expect(outputMessage('13:44:05.478445995: Critical Shell at 2024-01-01T00:00:00Z pid 1234567 (user=root)', 'Critical')).toBe(
      'Shell at 2024-01-01T00:00:00Z pid 1234567',
    );
    const key = keyOf({ output: '13:44:05.478445995: Critical Shell at 2024-01-01T00:00:00Z pid 1234567 (user=root)' });
    expect(key).toContain('/Shell at # pid #/');
  });
});
