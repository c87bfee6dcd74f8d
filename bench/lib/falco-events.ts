/**
 * Falco http_output events (json_output: true, one JSON object per request, as Falco sends them)
 * for the intake benchmarks: the real event in gateway/test/fixtures/terminal_shell_in_container.json
 * as the template, re-timed to now, with the rule, pod and command varied across a few of Falco's
 * default rules (their real output texts), so that deduplication sees realistic keys.
 *
 * The intake's dedup key is cluster/rule/namespace/pod/output prefix/command (see
 * subgraphs/cluster/src/sources/falco/normalise.ts): two events with the same rule, pod and command
 * are one SecurityEvent with a count, whatever their time, pid or container id.
 */
import { readFileSync } from 'node:fs';

const FALCO_FIXTURE = new URL('../../gateway/test/fixtures/terminal_shell_in_container.json', import.meta.url);

export type FalcoPriorityName = 'Emergency' | 'Alert' | 'Critical' | 'Error' | 'Warning' | 'Notice' | 'Informational' | 'Debug';

interface FixtureEvent {
  hostname: string;
  source: string;
  output_fields: Record<string, string | number>;
}

/** What varies between events; the rest comes from the fixture and the rule. */
export interface FalcoEventSpec {
  rule: number;
  namespace: string;
  pod: string;
  /** proc.cmdline: part of the dedup key. */
  cmdline: string;
  priority: FalcoPriorityName;
  /** Falco's node (its DaemonSet pod name), reported as `hostname`. */
  node: string;
}

interface RuleTemplate {
  rule: string;
  tags: string[];
  procName: string;
  parent: string;
  image: string;
  /** The output after `<time>: <Priority> `, as the rule's `output:` renders it. */
  output(spec: FalcoEventSpec, containerId: string): string;
  /** Commands seen often under this rule (the repeats draw from them). */
  commands: string[];
  /** A command no one has run before, for new events. */
  fresh(unique: string): string;
}

/** Output texts of Falco's default rules (falco_rules.yaml, Falco 0.37), abridged to the fields the intake reads. */
const RULES: readonly RuleTemplate[] = [
  {
    rule: 'Terminal shell in container',
    tags: ['container', 'mitre_execution', 'shell'],
    procName: 'sh',
    parent: 'runc',
    image: 'docker.io/library/alpine',
    output: (s, c) =>
      `A shell was spawned in a container with an attached terminal (user=root user_loginuid=-1 k8s.ns=${s.namespace} k8s.pod=${s.pod} container=${c} shell=sh parent=runc cmdline=${s.cmdline} terminal=34816 container_id=${c} image=docker.io/library/alpine)`,
    commands: ['sh -c clear; (bash || ash || sh)', 'sh', 'sh -i', 'sh -c ls -la /'],
    fresh: (u) => `sh -c cat /proc/${u}/environ`,
  },
  {
    rule: 'Read sensitive file untrusted',
    tags: ['filesystem', 'host', 'container', 'mitre_credential_access', 'T1555'],
    procName: 'cat',
    parent: 'sh',
    image: 'docker.io/library/debian',
    output: (s, c) =>
      `Sensitive file opened for reading by non-trusted program (file=/etc/shadow gparent=containerd-shim ggparent=systemd evt_type=openat user=root user_uid=0 user_loginuid=-1 process=cat proc_exepath=/usr/bin/cat parent=sh command=${s.cmdline} terminal=0 container_id=${c} container_name=app k8s.ns=${s.namespace} k8s.pod=${s.pod})`,
    commands: ['cat /etc/shadow', 'cat /etc/sudoers', 'head -n 5 /etc/shadow', 'grep root /etc/shadow'],
    fresh: (u) => `cat /etc/shadow.${u}`,
  },
  {
    rule: 'Contact K8S API Server From Container',
    tags: ['network', 'k8s', 'container', 'mitre_discovery', 'T1565'],
    procName: 'curl',
    parent: 'sh',
    image: 'docker.io/curlimages/curl',
    output: (s, c) =>
      `Unexpected connection to K8s API Server from container (connection=10.244.1.17:43210->10.96.0.1:443 lport=443 rport=43210 fd_type=ipv4 fd_proto=tcp evt_type=connect user=root user_uid=0 user_loginuid=-1 process=curl proc_exepath=/usr/bin/curl parent=sh command=${s.cmdline} terminal=0 container_id=${c} k8s.ns=${s.namespace} k8s.pod=${s.pod})`,
    commands: ['curl -sk https://10.96.0.1/api', 'curl -sk https://kubernetes.default/api/v1/secrets', 'curl -sk https://10.96.0.1/version', 'wget -qO- https://10.96.0.1/api'],
    fresh: (u) => `curl -sk https://10.96.0.1/api/v1/namespaces/${u}/secrets`,
  },
  {
    rule: 'Launch Package Management Process in Container',
    tags: ['container', 'process', 'software_mgmt', 'mitre_persistence', 'T1505'],
    procName: 'apt-get',
    parent: 'sh',
    image: 'docker.io/library/ubuntu',
    output: (s, c) =>
      `Package management process launched in container (user=root user_loginuid=-1 command=${s.cmdline} pid=4123 container_id=${c} container_name=app image=docker.io/library/ubuntu:22.04 k8s.ns=${s.namespace} k8s.pod=${s.pod})`,
    commands: ['apt-get update', 'apt-get install -y netcat-openbsd', 'apt-get install -y nmap', 'apk add --no-cache socat'],
    fresh: (u) => `apt-get install -y pkg-${u}`,
  },
  {
    rule: 'Drop and execute new binary in container',
    tags: ['container', 'mitre_persistence', 'TA0003', 'PCI_DSS_11.5.1'],
    procName: 'xmrig',
    parent: 'sh',
    image: 'docker.io/library/alpine',
    output: (s, c) =>
      `Executing binary not part of base image (proc_exe=/tmp/xmrig user_loginuid=-1 evt_type=execve user=root user_uid=0 process=xmrig proc_exepath=/tmp/xmrig parent=sh command=${s.cmdline} terminal=0 exe_flags=EXE_WRITABLE container_id=${c} k8s.ns=${s.namespace} k8s.pod=${s.pod})`,
    commands: ['/tmp/xmrig --donate-level 1', '/dev/shm/.x -o pool:3333', '/tmp/kdevtmpfsi', '/var/tmp/.ICE-unix/x'],
    fresh: (u) => `/tmp/.cache/${u}`,
  },
  {
    rule: 'Clear Log Activities',
    tags: ['host', 'container', 'filesystem', 'mitre_defense_evasion', 'T1070'],
    procName: 'truncate',
    parent: 'sh',
    image: 'docker.io/library/nginx',
    output: (s, c) =>
      `Log files were tampered (file=/var/log/nginx/access.log evt_type=openat user=root user_uid=0 user_loginuid=-1 process=truncate proc_exepath=/usr/bin/truncate parent=sh command=${s.cmdline} terminal=0 container_id=${c} k8s.ns=${s.namespace} k8s.pod=${s.pod})`,
    commands: ['truncate -s 0 /var/log/nginx/access.log', 'truncate -s 0 /var/log/nginx/error.log', 'shred -u /var/log/auth.log', 'rm -f /var/log/syslog'],
    fresh: (u) => `truncate -s 0 /var/log/app-${u}.log`,
  },
];

const NAMESPACES = ['default', 'payments', 'web', 'batch', 'monitoring'];
const NODES = ['falco-xczjd', 'falco-7mq2p', 'falco-k9d4t', 'falco-zr5wn'];

let fixture: FixtureEvent | null = null;

function template(): FixtureEvent {
  fixture ??= JSON.parse(readFileSync(FALCO_FIXTURE, 'utf8')) as FixtureEvent;
  return fixture;
}

/** Falco's `time` (ISO 8601, ns) and the `HH:MM:SS.nnnnnnnnn` of its text prefix, from epoch ns. */
function falcoTimes(epochNs: bigint): { iso: string; clock: string } {
  const ms = Number(epochNs / 1_000_000n);
  const fraction = String(epochNs % 1_000_000_000n).padStart(9, '0');
  const iso = new Date(ms).toISOString();
  return { iso: `${iso.slice(0, 19)}.${fraction}Z`, clock: `${iso.slice(11, 19)}.${fraction}` };
}

/** Wall-clock ns (Date.now() with a counter below the ms, so times within a ms differ like Falco's). */
let lastMs = 0;
let subMs = 0;
function nowNs(): bigint {
  const ms = Date.now();
  subMs = ms === lastMs ? subMs + 1 : 0;
  lastMs = ms;
  return BigInt(ms) * 1_000_000n + BigInt(subMs % 1_000_000);
}

/** The http_output body for one event, timed now. */
export function falcoEventBody(spec: FalcoEventSpec): string {
  const rule = RULES[spec.rule % RULES.length];
  if (!rule) throw new Error('unreachable: no Falco rule templates');
  const base = template();
  const epochNs = nowNs();
  const { iso, clock } = falcoTimes(epochNs);
  const containerId = `${spec.pod.length.toString(16)}${(spec.rule + 10).toString(16)}c9d4186f`.slice(0, 12).padEnd(12, '0');
  const output = rule.output(spec, containerId);
  const body = {
    hostname: spec.node,
    output: `${clock}: ${spec.priority} ${output}`,
    priority: spec.priority,
    rule: rule.rule,
    source: base.source,
    tags: rule.tags,
    time: iso,
    output_fields: {
      ...base.output_fields,
      'container.id': containerId,
      'container.image.repository': rule.image,
      // Falco sends evt.time as a JSON integer (ns): a double prints it without an exponent.
      'evt.time': Number(epochNs),
      'k8s.ns.name': spec.namespace,
      'k8s.pod.name': spec.pod,
      'proc.cmdline': spec.cmdline,
      'proc.name': rule.procName,
      'proc.pname': rule.parent,
    },
  };
  return JSON.stringify(body);
}

/** Small, fast, seedable PRNG (mulberry32): the same seed gives the same event mix. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface MixOptions {
  /** Pods per namespace (the repeats are spread over rules × pods × commands). */
  podsPerNamespace: number;
  /** Share of events that are new (a command not seen before); the rest repeat a known key. */
  newShare: number;
  /** Share of events sent at Critical (alert threshold) priority; the rest are Warning. */
  criticalShare: number;
  seed: number;
}

export interface MixEvent {
  body: string;
  /** The parts of the dedup key that vary here: rule, namespace/pod and command. */
  key: string;
  isNew: boolean;
  critical: boolean;
}

/**
 * The event stream of one benchmark variant: `known()` is the pool of repeat keys (send each once
 * first, so every later pick from it is a repeat); `next()` draws a new event with probability
 * newShare, else a repeat from the pool, with priority Critical with probability criticalShare.
 */
export class FalcoEventMix {
  private readonly random: () => number;
  private readonly pool: FalcoEventSpec[] = [];
  private fresh = 0;

  constructor(private readonly options: MixOptions) {
    this.random = prng(options.seed);
    for (let rule = 0; rule < RULES.length; rule++) {
      for (const namespace of NAMESPACES) {
        for (let p = 0; p < options.podsPerNamespace; p++) {
          const pod = podName(namespace, p);
          const commands = RULES[rule]?.commands ?? [];
          for (const cmdline of commands) this.pool.push({ rule, namespace, pod, cmdline, priority: 'Warning', node: NODES[p % NODES.length] ?? 'falco' });
        }
      }
    }
  }

  /** Every repeat key once, at Warning (warm-up: after it, picks from the pool are repeats). */
  known(): MixEvent[] {
    return this.pool.map((spec) => ({ body: falcoEventBody(spec), key: keyOf(spec), isNew: true, critical: false }));
  }

  get poolSize(): number {
    return this.pool.length;
  }

  next(): MixEvent {
    const critical = this.random() < this.options.criticalShare;
    const priority: FalcoPriorityName = critical ? 'Critical' : 'Warning';
    let spec: FalcoEventSpec;
    const isNew = this.random() < this.options.newShare;
    if (isNew) {
      const rule = Math.floor(this.random() * RULES.length);
      const namespace = NAMESPACES[Math.floor(this.random() * NAMESPACES.length)] ?? 'default';
      const p = Math.floor(this.random() * this.options.podsPerNamespace);
      const unique = `${this.options.seed.toString(36)}${(this.fresh++).toString(36)}`;
      spec = { rule, namespace, pod: podName(namespace, p), cmdline: RULES[rule]?.fresh(unique) ?? unique, priority, node: NODES[p % NODES.length] ?? 'falco' };
    } else {
      const picked = this.pool[Math.floor(this.random() * this.pool.length)];
      if (!picked) throw new Error('unreachable: empty repeat pool');
      spec = { ...picked, priority };
    }
    return { body: falcoEventBody(spec), key: keyOf(spec), isNew, critical };
  }
}

function podName(namespace: string, index: number): string {
  return `${namespace}-app-${(index * 7919).toString(36).padStart(5, '0').slice(-5)}-${index.toString(36)}`;
}

function keyOf(spec: FalcoEventSpec): string {
  return `${RULES[spec.rule]?.rule ?? spec.rule}|${spec.namespace}/${spec.pod}|${spec.cmdline}`;
}

/** A single event of the fixture's rule on a given pod, at a given priority (the delivery benchmark stamps the pod name). */
export function terminalShellEvent(namespace: string, pod: string, priority: FalcoPriorityName): string {
  return falcoEventBody({ rule: 0, namespace, pod, cmdline: 'sh -c clear; (bash || ash || sh)', priority, node: NODES[0] ?? 'falco' });
}
