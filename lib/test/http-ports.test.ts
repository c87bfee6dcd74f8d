import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../src/config.js';
import { basePortDefaults, httpPort, httpUrl } from '../src/http-ports.js';
import { listen, StartupError } from '../src/listen.js';
import { wantsPrettyLogs } from '../src/logger.js';

describe('ports fetch can reach', () => {
  it('refuses the Fetch standard bad ports by number and in URLs, and accepts the rest', () => {
    expect(httpPort.safeParse(4000).success).toBe(true);
    expect(httpPort.safeParse(0).success).toBe(true);
    const blocked = httpPort.safeParse(6000);
    expect(blocked.success).toBe(false);
    expect(blocked.error?.issues[0]?.message).toBe("port 6000 is blocked by the Fetch standard (Node's fetch and browsers refuse it); choose another");
    expect(httpUrl.safeParse('http://gateway:6665/graphql').error?.issues[0]?.message).toMatch(/port 6665 is blocked/);
    expect(httpUrl.safeParse('http://gateway:4000/graphql').success).toBe(true);
    expect(httpUrl.safeParse('https://logs.example.org').success).toBe(true);
  });
});

describe('VIGIL_BASE_PORT', () => {
  const schema = z.object({
    gateway: z.object({ port: httpPort.default(4000), subgraphs: z.record(z.string(), z.string()).default({}) }).prefault({}),
    hosts: z.object({ port: httpPort.default(4001) }).prefault({}),
    alerts: z.object({ port: httpPort.default(4005) }).prefault({}),
    cluster: z.unknown().optional(),
    audit: z.unknown().optional(),
    compliance: z.object({ port: httpPort.default(4004), gatewayUrl: z.string().default('http://localhost:4000/graphql') }).prefault({}),
  });
  const load = (env: Record<string, string>) => loadConfig({ schema, env, overrides: [{ env: 'VIGIL_GATEWAY_PORT', path: ['gateway', 'port'] }], file: '' });

  it('moves every service and the URLs between them; a specific setting still wins', () => {
    const config = load({ VIGIL_BASE_PORT: '5100' });
    expect(config.gateway.port).toBe(5100);
    expect(config.hosts.port).toBe(5101);
    expect(config.alerts.port).toBe(5105);
    expect(config.gateway.subgraphs['audit']).toBe('http://localhost:5103/graphql');
    expect(config.compliance).toEqual({ port: 5104, gatewayUrl: 'http://localhost:5100/graphql' });
    expect(load({ VIGIL_BASE_PORT: '5100', VIGIL_GATEWAY_PORT: '7000' }).gateway.port).toBe(7000);
  });

  it('refuses values that are not ports, run past 65535, or land on a blocked port', () => {
    expect(() => load({ VIGIL_BASE_PORT: 'abc' })).toThrow(ConfigError);
    expect(basePortDefaults('65531')).toEqual({ problem: 'VIGIL_BASE_PORT: expected a port from 1 to 65530 (it and the next 5 are used), got "65531"' });
    expect(basePortDefaults('5997')).toEqual({ problem: 'VIGIL_BASE_PORT: 5997 would put a service on 6000, blocked by the Fetch standard; choose another' });
  });
});

describe('listen', () => {
  it('a port in use is a StartupError naming the setting', async () => {
    const holder = createServer();
    const port = await listen(holder, 0, '127.0.0.1', 'holder');
    try {
      const error = await listen(createServer(), port, '127.0.0.1', 'hosts.port (or env VIGIL_PORT)').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StartupError);
      expect((error as Error).message).toBe(`hosts.port (or env VIGIL_PORT): 127.0.0.1:${port} is already in use by another process; stop it or choose another port`);
    } finally {
      holder.close();
    }
  });
});

describe('log format', () => {
  it.each([
    [{ format: 'auto' as const }, 'development', true, true],
    [{ format: 'auto' as const }, 'development', false, false],
    [{ format: 'auto' as const }, 'production', true, false],
    [{ format: 'json' as const }, 'development', true, false],
    [{ format: 'pretty' as const }, 'production', false, true],
  ])('%o in %s on a TTY=%s: pretty=%s', (log, env, tty, expected) => {
    expect(wantsPrettyLogs(log, env, tty)).toBe(expected);
  });
});
