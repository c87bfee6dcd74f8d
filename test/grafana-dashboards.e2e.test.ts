import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startObservedStack, type ObservedStack } from './support/observed-stack.js';
import { startPrometheus, type PrometheusServer } from './support/prometheus.js';

// The Grafana dashboards in deploy/grafana: typed against @grafana/schema (compiled with tsc),
// checked for structure, and every panel's query executed — PromQL through a real Prometheus
// scraping a running stack, GraphQL (Infinity data source) against the same stack.

const repo = new URL('..', import.meta.url).pathname;
const dashboardsDir = join(repo, 'deploy/grafana/dashboards');
const files = readdirSync(dashboardsDir).filter((f) => f.endsWith('.json'));
const dashboards = files.map((file) => ({ file, json: JSON.parse(readFileSync(join(dashboardsDir, file), 'utf8')) as DashboardJson }));

interface Target {
  refId: string;
  datasource?: { type: string; uid: string };
  expr?: string;
  type?: string;
  root_selector?: string;
  url_options?: { method?: string; body_type?: string; body_graphql_query?: string };
  columns?: { selector: string }[];
}
interface PanelJson {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets: Target[];
}
interface DashboardJson {
  uid: string;
  title: string;
  panels: PanelJson[];
}

const provisioned = parseYaml(readFileSync(join(repo, 'deploy/grafana/provisioning/datasources/vigil.yaml'), 'utf8')) as { datasources: { uid: string; type: string }[] };
const promTargets = dashboards.flatMap(({ json }) => json.panels.flatMap((panel) => panel.targets.filter((t) => t.datasource?.type === 'prometheus').map((t) => ({ panel: panel.title, expr: t.expr ?? '' }))));
const graphqlTargets = dashboards.flatMap(({ json }) => json.panels.flatMap((panel) => panel.targets.filter((t) => t.datasource?.type === 'yesoreyeram-infinity-datasource').map((t) => ({ panel: panel.title, target: t }))));
/** Panels over metrics only some deployments have: alert routes (none configured here), slow subscribers (none ended). */
const MAY_BE_EMPTY = /vigil_alert_route_|slow_subscribers/;

describe('Grafana dashboards', () => {
  it('there are the operations and the security overview dashboards', () => {
    expect(files.sort()).toEqual(['vigil-operations.json', 'vigil-security-overview.json']);
  });

  it('each compiles as a @grafana/schema Dashboard (tsc, strict), and a broken one does not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-dashboards-'));
    try {
      const schemaTypes = createRequire(import.meta.url).resolve('@grafana/schema/package.json').replace(/package\.json$/, 'dist/types/index.d.ts');
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'esnext', moduleResolution: 'bundler', skipLibCheck: true, types: [], paths: { '@grafana/schema': [schemaTypes] } }, include: ['*.ts'] }),
      );
      for (const { file, json } of dashboards) {
        // The JSON as an object literal, so `satisfies` checks every property (no widening, excess properties refused).
        writeFileSync(join(dir, `${file}.ts`), `import type { Dashboard } from '@grafana/schema';\nexport const dashboard = ${JSON.stringify(json, null, 2)} satisfies Dashboard;\n`);
      }
      const broken = { ...dashboards[0]!.json, schemaVersion: 'thirty-nine', panels: [{ title: 'no type' }] };
      writeFileSync(join(dir, 'broken.ts'), `import type { Dashboard } from '@grafana/schema';\nexport const dashboard = ${JSON.stringify(broken)} satisfies Dashboard;\n`);
      const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
      const output = await promisify(execFile)(process.execPath, [tsc, '-p', dir]).then(
        () => '',
        (error: { stdout?: string }) => error.stdout ?? String(error),
      );
      const errorFiles = new Set([...output.matchAll(/^([^\s(]+\.ts)\(/gm)].map((m) => basename(m[1] ?? '')));
      expect([...errorFiles], output).toEqual(['broken.ts']);
      // The two faults planted: schemaVersion a string, a panel without its type.
      expect(output).toContain("Type 'string' is not assignable to type 'number'");
      expect(output).toMatch(/'\{ title: string; \}' is not assignable to type 'Panel/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it.each(dashboards)('$file: ids, layout and data sources hold together', ({ json }) => {
    expect(json.uid).toMatch(/^vigil-[a-z-]+$/);
    const ids = json.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const provisionedUids = new Map(provisioned.datasources.map((d) => [d.uid, d.type]));
    for (const panel of json.panels) {
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets) {
        const ds = target.datasource ?? panel.datasource;
        expect(ds && provisionedUids.get(ds.uid), `${panel.title}: data source provisioned with its type`).toBe(ds?.type);
        if (ds?.type === 'prometheus') expect(target.expr, panel.title).toMatch(/vigil_|up\{/);
        else {
          expect(target.type).toBe('graphql');
          expect(target.url_options?.method).toBe('POST');
          expect(target.url_options?.body_graphql_query).toMatch(/^query \w+ \{/);
        }
      }
    }
  });

  it('the dashboard provider and data sources parse', () => {
    const providers = parseYaml(readFileSync(join(repo, 'deploy/grafana/provisioning/dashboards/vigil.yaml'), 'utf8')) as { apiVersion: number; providers: { type: string; options: { path: string } }[] };
    expect(providers.apiVersion).toBe(1);
    expect(providers.providers[0]?.type).toBe('file');
    expect(provisioned.datasources.map((d) => d.type).sort()).toEqual(['prometheus', 'yesoreyeram-infinity-datasource']);
  });

  describe('queries, executed against a running stack', () => {
    let observed: ObservedStack;
    let prometheus: PrometheusServer;

    beforeAll(async () => {
      observed = await startObservedStack();
      await observed.stack.hosts.scheduler.firstRoundDone();
      // One-process layout: the gateway's /metrics carries every subgraph's (README "Metrics").
      prometheus = await startPrometheus({ targets: [new URL(observed.metricsUrl('gateway')).host] });
      const scrapes = async (count: number) => {
        const deadline = Date.now() + 30_000;
        for (;;) {
          const answer = await prometheus.query('count_over_time(up{job="vigil"}[5m])');
          if (Number(answer.data?.result[0]?.value[1] ?? 0) >= count) return;
          if (Date.now() > deadline) throw new Error(`prometheus did not scrape the stack ${count} times within 30 s`);
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      };
      await scrapes(2);
      // Data for every panel while Prometheus watches (rate() needs a change between samples): an
      // accepted and a refused Falco post, an audit batch, an alert, GraphQL queries.
      await fetch(observed.falcoUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: observed.falcoEvent() });
      await fetch(observed.falcoUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
      await fetch(observed.auditUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: observed.auditEventList() });
      await fetch(observed.stack.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ hosts(first: 1) { totalCount } }' }) });
      await scrapes(5);
    }, 120_000);
    afterAll(async () => {
      await prometheus?.stop();
      await observed?.stop();
    });

    it('Prometheus scrapes the stack', async () => {
      const up = await prometheus.query('up{job="vigil"}');
      expect(up.data?.result.map((r) => r.value[1])).toEqual(['1']);
    });

    it.each(promTargets)('PromQL of "$panel" parses and returns series', async ({ expr }) => {
      const answer = await prometheus.query(expr);
      expect(answer.error ?? null).toBeNull();
      expect(answer.status).toBe('success');
      if (!MAY_BE_EMPTY.test(expr)) expect(answer.data?.result.length, expr).toBeGreaterThan(0);
    });

    it('a broken PromQL query is refused (the check above can fail)', async () => {
      const answer = await prometheus.query('sum by (source (rate(vigil_intake_events_total[5m]))');
      expect(answer.status).toBe('error');
      expect(answer.errorType).toBe('bad_data');
    });

    it.each(graphqlTargets)('GraphQL of "$panel" answers with rows at its root selector', async ({ target }) => {
      const response = await fetch(observed.stack.gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: target.url_options?.body_graphql_query, variables: {} }),
      });
      const body = (await response.json()) as { errors?: unknown[] };
      expect(body.errors).toBeUndefined();
      const rows = (target.root_selector ?? '').split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], body);
      expect(Array.isArray(rows)).toBe(true);
      const list = rows as Record<string, unknown>[];
      expect(list.length).toBeGreaterThan(0);
      for (const column of target.columns ?? []) {
        const value = column.selector.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], list[0]);
        expect(value, column.selector).not.toBeUndefined();
      }
    });
  });
});
