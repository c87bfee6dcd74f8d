import { z } from 'zod';

/**
 * The Fetch standard's "bad ports" (https://fetch.spec.whatwg.org/#port-blocking): Node's fetch
 * (undici), which the gateway and the compliance subgraph use to reach other services, refuses
 * them with a bare "fetch failed", as browsers do. A service listening on one is unreachable, so
 * config rejects them up front, naming the key.
 */
export const FETCH_BLOCKED_PORTS: ReadonlySet<number> = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135,
  137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719,
  1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

const blockedMessage = (port: number) => `port ${port} is blocked by the Fetch standard (Node's fetch and browsers refuse it); choose another`;

/** A TCP port number (0: any free port). */
export const port = z.coerce.number().int().min(0).max(65535);

/** A port that HTTP clients built on fetch can reach. */
export const httpPort = port.refine((value) => !FETCH_BLOCKED_PORTS.has(value), { error: (issue) => blockedMessage(Number(issue.input)) });

/** An http(s) URL that fetch can reach. */
export const httpUrl = z.url({ protocol: /^https?$/ }).refine((value) => !FETCH_BLOCKED_PORTS.has(urlPort(value)), { error: (issue) => blockedMessage(urlPort(String(issue.input))) });

function urlPort(value: string): number {
  try {
    const url = new URL(value);
    return url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  } catch {
    return 80;
  }
}

/**
 * `VIGIL_BASE_PORT=5000`: the gateway on 5000 and the subgraphs on 5001–5005 (their usual order),
 * with the gateway's subgraph URLs and compliance's gateway URL to match, so one variable moves the
 * whole stack. Values from the config file or a more specific variable still win.
 */
export const BASE_PORT_OFFSETS = { gateway: 0, hosts: 1, cluster: 2, audit: 3, compliance: 4, alerts: 5 } as const;

/** Config defaults for a base port, or a problem naming VIGIL_BASE_PORT. */
export function basePortDefaults(raw: string): { defaults: Record<string, unknown> } | { problem: string } {
  const base = Number(raw);
  const last = base + BASE_PORT_OFFSETS.alerts;
  if (!/^\d+$/.test(raw.trim()) || base < 1 || last > 65535) return { problem: `VIGIL_BASE_PORT: expected a port from 1 to ${65535 - BASE_PORT_OFFSETS.alerts} (it and the next 5 are used), got "${raw}"` };
  const blocked = Object.values(BASE_PORT_OFFSETS)
    .map((offset) => base + offset)
    .filter((p) => FETCH_BLOCKED_PORTS.has(p));
  if (blocked.length > 0) return { problem: `VIGIL_BASE_PORT: ${raw} would put a service on ${blocked.join(', ')}, blocked by the Fetch standard; choose another` };
  const url = (offset: number) => `http://localhost:${base + offset}/graphql`;
  const { gateway, ...subgraphs } = BASE_PORT_OFFSETS;
  return {
    defaults: {
      gateway: { port: base + gateway, subgraphs: Object.fromEntries(Object.entries(subgraphs).map(([name, offset]) => [name, url(offset)])) },
      ...Object.fromEntries(Object.entries(subgraphs).map(([name, offset]) => [name, { port: base + offset }])),
      compliance: { port: base + subgraphs.compliance, gatewayUrl: url(gateway) },
    },
  };
}
