import type { InterfaceAddress, NetworkInterface, Route } from '../../../facts/types.js';
import type { AllowedCommandName } from '../allowlist.js';
import {
  CollectorFailure,
  OutputFormatError,
  attempt,
  isRecord,
  numberField,
  parseJson,
  parseOutput,
  stringField,
  type CollectorContext,
} from '../collector.js';

function jsonArray(text: string): Record<string, unknown>[] {
  // `ip -j` prints nothing at all (not `[]`) when there is nothing to list, e.g. no IPv6 routes.
  if (text.trim() === '') return [];
  const value = parseJson(text);
  if (!Array.isArray(value)) throw new OutputFormatError('expected a JSON array');
  return value.filter(isRecord);
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/**
 * `ip -j addr` (iproute2 >= 4.14): one object per link. `address` is the link-layer address, absent
 * for links without one (tun, wireguard). `addr_info` entries without a family and local address (older
 * iproute2 emits empty `{}` placeholders) and families other than inet/inet6 are skipped; lifetimes
 * are dropped because they count down and would make every probe a change.
 */
export function parseIpAddr(text: string): NetworkInterface[] {
  return jsonArray(text).flatMap((link) => {
    const name = stringField(link, 'ifname');
    if (name === null) return [];
    const addresses: InterfaceAddress[] = [];
    const info = link['addr_info'];
    for (const entry of Array.isArray(info) ? info.filter(isRecord) : []) {
      const family = stringField(entry, 'family');
      const address = stringField(entry, 'local');
      const prefixLength = numberField(entry, 'prefixlen');
      if ((family !== 'inet' && family !== 'inet6') || address === null || prefixLength === null) continue;
      addresses.push({ family, address, prefixLength, scope: stringField(entry, 'scope') });
    }
    return [
      {
        name,
        mac: stringField(link, 'address'),
        mtu: numberField(link, 'mtu'),
        state: stringField(link, 'operstate') ?? 'UNKNOWN',
        flags: stringArray(link['flags']),
        addresses,
      },
    ];
  });
}

/**
 * `ip -j route` / `ip -j -6 route` (main table). A multipath route has no top-level gateway or device
 * but a `nexthops` list; its gateways and devices are joined with commas so the route stays one item.
 */
export function parseIpRoute(text: string, family: Route['family']): Route[] {
  return jsonArray(text).flatMap((route) => {
    const destination = stringField(route, 'dst');
    if (destination === null) return [];
    const hops = Array.isArray(route['nexthops']) ? route['nexthops'].filter(isRecord) : [];
    const joined = (key: string) => {
      const values = hops.map((hop) => stringField(hop, key)).filter((value): value is string => value !== null);
      return values.length === 0 ? null : values.join(',');
    };
    return [
      {
        family,
        destination,
        gateway: stringField(route, 'gateway') ?? joined('gateway'),
        device: stringField(route, 'dev') ?? joined('dev'),
        protocol: stringField(route, 'protocol'),
        scope: stringField(route, 'scope'),
        metric: numberField(route, 'metric'),
      },
    ];
  });
}

/** iproute2 before 4.14 (CentOS 7, Ubuntu 16.04) has no JSON output: nothing we can read. */
const NO_JSON = /Option "-j" is unknown/;

/** A kernel booted with ipv6.disable=1 refuses IPv6 netlink requests: it has no IPv6 routes. */
const NO_IPV6 = /Address family not supported/i;

async function readIpJson(context: CollectorContext, name: AllowedCommandName): Promise<string> {
  const result = await attempt(context, name);
  if (result.ok) return result.output.stdout;
  if (NO_JSON.test(result.output.stderr)) throw new CollectorFailure('UNSUPPORTED', 'ip does not support JSON output (-j needs iproute2 4.14 or later)');
  if (name === 'ip6Routes' && NO_IPV6.test(result.output.stderr)) return '';
  throw result.failure;
}

export async function collectInterfaces(context: CollectorContext): Promise<NetworkInterface[]> {
  return parseOutput(context, 'ipAddresses', parseIpAddr, await readIpJson(context, 'ipAddresses'));
}

export async function collectRoutes(context: CollectorContext): Promise<Route[]> {
  const [v4, v6] = await Promise.all([readIpJson(context, 'ipRoutes'), readIpJson(context, 'ip6Routes')]);
  return [
    ...parseOutput(context, 'ipRoutes', (text) => parseIpRoute(text, 'inet'), v4),
    ...parseOutput(context, 'ip6Routes', (text) => parseIpRoute(text, 'inet6'), v6),
  ];
}
