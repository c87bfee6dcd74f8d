import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@vigil/lib/config';
import { BASE_PORT_OFFSETS } from '@vigil/lib/http-ports';
import { DEFAULT_PORTS, GATEWAY_DEFAULT_PORT, type SubgraphName } from '@vigil/schema/subgraphs';
import { vigilConfig, vigilOverrides, type VigilConfig } from '../src/stack-config.js';

// lib/src/config.ts `loadConfig` with the whole-stack schema (CONVENTIONS §8): one YAML file plus
// environment overrides, '' as unset, every problem at once, secrets never echoed.

const dir = mkdtempSync(join(tmpdir(), 'vigil-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
function yamlFile(text: string): string {
  const path = join(dir, `vigil-${++counter}.yaml`);
  writeFileSync(path, text);
  return path;
}

function load(env: Record<string, string | undefined>, file?: string): Readonly<VigilConfig> {
  return loadConfig({ schema: vigilConfig, env, overrides: vigilOverrides, ...(file ? { file } : {}) });
}

function problemsOf(env: Record<string, string | undefined>, file?: string): { message: string; problems: string[] } {
  try {
    load(env, file);
  } catch (error) {
    if (error instanceof ConfigError) return { message: error.message, problems: error.problems };
    throw error;
  }
  throw new Error('the configuration was accepted');
}

const SECRET = 'a-signing-secret-that-is-long-enough-0123456789';

describe('loadConfig with the stack schema', () => {
  it('nothing configured: the documented defaults, frozen', () => {
    const config = load({});
    expect(config.env).toBe('development');
    expect(config.log.level).toBe('info');
    expect(config.redis).toEqual({ namespace: 'vigil' });
    expect(config.signing.secret).toBeUndefined();
    expect([config.gateway.port, config.hosts.port, config.cluster.port, config.audit.port, config.compliance.port, config.alerts.port]).toEqual([
      4000, 4001, 4002, 4003, 4004, 4005,
    ]);
    expect(config.gateway.host).toBe('0.0.0.0');
    expect(config.gateway.subgraphs.hosts).toMatch(/^http:\/\/.+:4001\/graphql$/);
    expect(config.hosts.local.enabled).toBe(true);
    expect(config.hosts.inventory).toEqual([]);
    expect(config.hosts.probe).toEqual({
      factsIntervalSeconds: 3600,
      metricsIntervalSeconds: 300,
      concurrency: 8,
      jitterRatio: 0.1,
      connectTimeoutMs: 10_000,
      commandTimeoutMs: 30_000,
      sudo: [],
      unreachableAfter: 3,
    });
    expect(config.hosts.retention).toEqual({ metricsDays: 7, historyDays: 90 });
    expect(config.cluster.name).toBe('default');
    expect(config.cluster.falco.alertMinPriority).toBe('Critical');
    expect(config.audit.victoriaLogs.url).toBeUndefined();
    expect(config.compliance.maxProbeAgeHours).toBe(24);
    expect(config.alerts.maxLength).toBe(100_000);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.hosts.probe)).toBe(true);
  });

  it('a YAML file (from VIGIL_CONFIG) with environment overrides: env wins, blank env is unset, numbers parsed from strings', () => {
    const file = yamlFile(`
log:
  level: debug
redis:
  url: redis://file-redis:6379
  namespace: from-file
gateway:
  port: 5000
cluster:
  name: file-cluster
  falco:
    maxBodyBytes: 2048
audit:
  victoriaLogs:
    url: http://file-victorialogs:9428
`);
    const config = load({
      VIGIL_CONFIG: file,
      VIGIL_GATEWAY_PORT: '6100',
      VIGIL_CLUSTER_NAME: 'env-cluster',
      REDIS_URL: '',
      VIGIL_LOG_LEVEL: '   ',
      VICTORIALOGS_URL: undefined,
      VIGIL_SIGNING_SECRET: '',
    });
    expect(config.gateway.port).toBe(6100);
    expect(config.cluster.name).toBe('env-cluster');
    // '' and whitespace count as unset: the file's values stand.
    expect(config.redis.url).toBe('redis://file-redis:6379');
    expect(config.log.level).toBe('debug');
    expect(config.audit.victoriaLogs.url).toBe('http://file-victorialogs:9428');
    expect(config.signing.secret).toBeUndefined();
    // Untouched by env, and nested defaults kept beside file values.
    expect(config.redis.namespace).toBe('from-file');
    expect(config.cluster.falco).toEqual({ maxBodyBytes: 2048, alertMinPriority: 'Critical', maxInFlight: 32 });
  });

  it('a blank VIGIL_CONFIG reads no file', () => {
    expect(load({ VIGIL_CONFIG: '' }).gateway.port).toBe(4000);
  });

  it('env alone sets nested values, coerced by the schema', () => {
    const config = load({ VIGIL_GATEWAY_PORT: '4100', VIGIL_HOSTS_URL: 'http://hosts.internal:9001/graphql', SSH_AUTH_SOCK: '/run/agent.sock' });
    expect(config.gateway.port).toBe(4100);
    expect(config.gateway.subgraphs.hosts).toBe('http://hosts.internal:9001/graphql');
    expect(config.hosts.sshAgentSocket).toBe('/run/agent.sock');
  });

  it('reports every problem at once, each with its path', () => {
    const file = yamlFile(`
bogus: 1
gateway:
  colour: red
alerts:
  maxLength: lots
hosts:
  port: 70000
  inventory:
    - { id: web-1, address: 10.0.0.1, user: probe, privateKeyPath: /keys/probe }
    - { id: web-1, address: 10.0.0.2, user: probe, privateKeyPath: /keys/probe }
    - { id: db-1, address: 10.0.0.3, user: probe }
audit:
  victoriaLogs:
    url: not a url
`);
    const { message, problems } = problemsOf({}, file);
    const expected: [string, RegExp][] = [
      ['unknown top-level key', /^bogus: unknown key$/],
      ['unknown nested key', /^gateway\.colour: unknown key$/],
      ['wrong type', /^alerts\.maxLength: .*number/],
      ['bad port', /^hosts\.port: .*65535/],
      ['bad URL', /^audit\.victoriaLogs\.url \(or env VICTORIALOGS_URL\): /],
      ['duplicate host id', /^hosts\.inventory\.1\.id: duplicate host id web-1$/],
      ['inventory entry without key or agent', /^hosts\.inventory\.2: .*privateKeyPath or useAgent/],
    ];
    for (const [what, pattern] of expected) {
      expect(problems.some((p) => pattern.test(p)), `${what}: ${pattern} in\n${message}`).toBe(true);
    }
    expect(problems).toHaveLength(expected.length);
    for (const problem of problems) expect(message).toContain(problem);
  });

  it('a misspelt key is named, its value is not', () => {
    const file = yamlFile(`signing:\n  secert: ${SECRET}\n`);
    const { problems, message } = problemsOf({}, file);
    expect(problems).toEqual(['signing.secert: unknown key']);
    expect(message).not.toContain(SECRET);
  });

  it('production fails closed, naming every missing key and its env variable', () => {
    const { problems } = problemsOf({ VIGIL_ENV: 'production' });
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'signing.secret (or env VIGIL_SIGNING_SECRET)',
      'gateway.auth',
      'cluster.falco.token (or env VIGIL_FALCO_TOKEN)',
      'cluster.audit.token (or env VIGIL_AUDIT_WEBHOOK_TOKEN)',
    ]);
    expect(problems[1]).toContain('VIGIL_JWT_SECRET');
    expect(problems[1]).toContain('VIGIL_JWKS_URL');
    // The same settings from the environment satisfy it.
    const production = { VIGIL_ENV: 'production', VIGIL_SIGNING_SECRET: SECRET, VIGIL_JWT_SECRET: SECRET, VIGIL_FALCO_TOKEN: 'f'.repeat(16), VIGIL_AUDIT_WEBHOOK_TOKEN: 'a'.repeat(16) };
    expect(load(production).signing.secret).toBe(SECRET);
    expect(load(production).gateway.auth.jwt.secret).toBe(SECRET);
  });

  it('production with a JWKS needs its issuer and audience; development warns instead of refusing', () => {
    const base = { VIGIL_ENV: 'production', VIGIL_SIGNING_SECRET: SECRET, VIGIL_FALCO_TOKEN: 'f'.repeat(16), VIGIL_AUDIT_WEBHOOK_TOKEN: 'a'.repeat(16) };
    const { problems } = problemsOf({ ...base, VIGIL_JWKS_URL: 'https://idp.example/certs' });
    expect(problems).toEqual([
      'gateway.auth.jwt.issuer (or env VIGIL_JWT_ISSUER): required with a JWKS when env is production',
      'gateway.auth.jwt.audience (or env VIGIL_JWT_AUDIENCE): required with a JWKS when env is production',
    ]);
    expect(load({ ...base, VIGIL_JWKS_URL: 'https://idp.example/certs', VIGIL_JWT_ISSUER: 'https://idp.example', VIGIL_JWT_AUDIENCE: 'vigil' }).gateway.auth.jwt.audience).toBe('vigil');
    // Development with nothing configured is accepted (the gateway warns at start).
    expect(load({}).gateway.auth.apiKeys).toEqual([]);
  });

  it('an unknown role, a tenant without scope and an API key naming an unknown tenant exit 1 naming the key', () => {
    const file = yamlFile(`
gateway:
  auth:
    apiKeys:
      - { name: bot, sha256: ${'0'.repeat(64)}, roles: [superuser] }
      - { name: ci, sha256: ${'1'.repeat(64)}, roles: [viewer], tenants: [team-z] }
tenants:
  team-a: {}
`);
    const { problems } = problemsOf({}, file);
    expect(problems.some((p) => p.startsWith('gateway.auth.apiKeys.0.roles.0:'))).toBe(true);
    expect(problems).toContain('tenants.team-a: a tenant needs a scope: clusters, hostLabels or victoriaLogs');
    expect(problems).toContain('gateway.auth.apiKeys.1.tenants.0: unknown tenant "team-z" (define it under tenants:)');
  });

  // CONVENTIONS §8 "all errors reported together": a type error elsewhere must not hide the checks
  // that span several fields (zod skips refinements once a value has a type error).
  it('a wrong type elsewhere does not hide the missing production secret', () => {
    const { problems, message } = problemsOf({ VIGIL_ENV: 'production' }, yamlFile('alerts:\n  maxLength: lots\n'));
    expect(problems.some((p) => p.startsWith('alerts.maxLength')), message).toBe(true);
    expect(problems.some((p) => p.startsWith('signing.secret')), message).toBe(true);
  });

  it('a wrong type in the hosts section does not hide a duplicate host id or a keyless entry', () => {
    const file = yamlFile(`
hosts:
  probe: { concurrency: lots }
  inventory:
    - { id: web-1, address: 10.0.0.1, user: probe, privateKeyPath: /keys/probe }
    - { id: web-1, address: 10.0.0.2, user: probe, privateKeyPath: /keys/probe }
    - { id: db-1, address: 10.0.0.3, user: probe, port: many }
`);
    const { problems, message } = problemsOf({}, file);
    expect(problems.some((p) => p.startsWith('hosts.probe.concurrency')), message).toBe(true);
    expect(problems.some((p) => p.startsWith('hosts.inventory.2.port')), message).toBe(true);
    expect(problems.some((p) => p.startsWith('hosts.inventory.1.id: duplicate host id')), message).toBe(true);
    expect(problems.some((p) => p.startsWith('hosts.inventory.2:') && p.includes('privateKeyPath or useAgent')), message).toBe(true);
  });

  it('secrets never appear in the error text', () => {
    const shortSecret = 'hunter2-signing';
    const redisPassword = 'r3dis-pa55word';
    const falcoToken = 'tok-s3cret';
    const file = yamlFile(`
signing:
  secret: ${shortSecret}
redis:
  url: http://vigil:${redisPassword}@redis.internal:6379
cluster:
  falco:
    token: ${falcoToken}
hosts:
  inventory:
    - { id: web-1, address: 10.0.0.1, user: probe, password: pw-${redisPassword} }
`);
    const { message, problems } = problemsOf({}, file);
    // Each secret-bearing field is reported...
    for (const path of ['signing.secret', 'redis.url', 'cluster.falco.token', 'hosts.inventory.0']) {
      expect(problems.some((p) => p.startsWith(path)), `${path} in\n${message}`).toBe(true);
    }
    // ...and none of their values.
    for (const secret of [shortSecret, redisPassword, falcoToken]) expect(message).not.toContain(secret);

    // The same through the environment.
    const fromEnv = problemsOf({ VIGIL_SIGNING_SECRET: shortSecret, REDIS_URL: `http://u:${redisPassword}@x`, VIGIL_FALCO_TOKEN: falcoToken }).message;
    expect(fromEnv).toContain('VIGIL_SIGNING_SECRET');
    for (const secret of [shortSecret, redisPassword, falcoToken]) expect(fromEnv).not.toContain(secret);
  });

  it('a YAML syntax error names the file and does not quote the offending line', () => {
    const file = yamlFile(`signing:\n  secret: ${SECRET}\n  - oops: [\n`);
    const { message } = problemsOf({}, file);
    expect(message).toContain(file);
    expect(message).toContain('YAML');
    expect(message).not.toContain(SECRET);
  });

  it('an unreadable file names VIGIL_CONFIG and the path', () => {
    const missing = join(dir, 'absent.yaml');
    const { problems } = problemsOf({ VIGIL_CONFIG: missing });
    expect(problems).toEqual([`VIGIL_CONFIG: cannot read ${missing} (ENOENT)`]);
  });

  it('a top level that is not a mapping is refused', () => {
    const file = yamlFile('- just\n- a list\n');
    expect(problemsOf({}, file).problems).toEqual([`${file}: the top level must be a mapping`]);
  });
});

describe('VIGIL_BASE_PORT with the stack schema', () => {
  it('keeps the registry order: base + 0 is the gateway, then each subgraph at its usual offset from 4000', () => {
    for (const [name, offset] of Object.entries(BASE_PORT_OFFSETS)) {
      expect(name === 'gateway' ? GATEWAY_DEFAULT_PORT : DEFAULT_PORTS[name as SubgraphName], name).toBe(GATEWAY_DEFAULT_PORT + offset);
    }
    const config = loadConfig({ schema: vigilConfig, env: { VIGIL_BASE_PORT: '5000' }, overrides: vigilOverrides, file: '' });
    expect([config.gateway.port, config.hosts.port, config.cluster.port, config.audit.port, config.compliance.port, config.alerts.port]).toEqual([5000, 5001, 5002, 5003, 5004, 5005]);
    expect(config.gateway.subgraphs.alerts).toBe('http://localhost:5005/graphql');
  });
});
