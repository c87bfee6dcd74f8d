import { describe, expect, it } from 'vitest';
import { collectInterfaces, collectRoutes, parseIpAddr, parseIpRoute } from '../src/sources/probe/collectors/network.js';
import { captured, exited, ok, outcome, scripted } from './collector-harness.js';

const addr = captured('ip_-j_addr.json');
const route4 = captured('ip_-j_route.json');
const route6 = captured('ip_-j_-6_route.json');

describe('parseIpAddr', () => {
  it('reads each link with its addresses, without lifetimes', () => {
    expect(parseIpAddr(addr)).toEqual([
      {
        name: 'lo',
        mac: '00:00:00:00:00:00',
        mtu: 65536,
        state: 'UNKNOWN',
        flags: ['LOOPBACK', 'UP', 'LOWER_UP'],
        addresses: [
          { family: 'inet', address: '127.0.0.1', prefixLength: 8, scope: 'host' },
          { family: 'inet6', address: '::1', prefixLength: 128, scope: 'host' },
        ],
      },
      { name: 'ifb0', mac: 'd6:be:f0:bc:f5:c0', mtu: 1500, state: 'DOWN', flags: ['BROADCAST', 'NOARP'], addresses: [] },
      { name: 'ifb1', mac: '4a:45:70:f4:da:6e', mtu: 1500, state: 'DOWN', flags: ['BROADCAST', 'NOARP'], addresses: [] },
      {
        name: 'eth0',
        mac: '02:fc:00:00:00:01',
        mtu: 1400,
        state: 'UP',
        flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
        addresses: [
          { family: 'inet', address: '192.0.2.2', prefixLength: 24, scope: 'global' },
          { family: 'inet6', address: 'fd00::2', prefixLength: 64, scope: 'global' },
          { family: 'inet6', address: 'fe80::fc:ff:fe00:1', prefixLength: 64, scope: 'link' },
        ],
      },
    ]);
  });

  it('gives a link without a link-layer address a null mac and skips empty addr_info placeholders', () => {
    // The shape of a wireguard link: no "address"; iproute2 < 5 could print {} inside addr_info.
    const text = '[{"ifindex":5,"ifname":"wg0","flags":["POINTOPOINT","NOARP","UP","LOWER_UP"],"mtu":1420,"operstate":"UNKNOWN","link_type":"none","addr_info":[{},{"family":"inet","local":"10.8.0.1","prefixlen":24,"scope":"global"}]}]';
    expect(parseIpAddr(text)).toEqual([
      { name: 'wg0', mac: null, mtu: 1420, state: 'UNKNOWN', flags: ['POINTOPOINT', 'NOARP', 'UP', 'LOWER_UP'], addresses: [{ family: 'inet', address: '10.8.0.1', prefixLength: 24, scope: 'global' }] },
    ]);
  });
});

describe('parseIpRoute', () => {
  it('reads both families', () => {
    expect(parseIpRoute(route4, 'inet')).toEqual([
      { family: 'inet', destination: 'default', gateway: '192.0.2.1', device: 'eth0', protocol: null, scope: null, metric: null },
      { family: 'inet', destination: '192.0.2.0/24', gateway: null, device: 'eth0', protocol: 'kernel', scope: 'link', metric: null },
    ]);
    expect(parseIpRoute(route6, 'inet6')).toEqual([
      { family: 'inet6', destination: 'fd00::/64', gateway: null, device: 'eth0', protocol: 'kernel', scope: null, metric: 256 },
      { family: 'inet6', destination: 'fe80::/64', gateway: null, device: 'eth0', protocol: 'kernel', scope: null, metric: 256 },
      { family: 'inet6', destination: 'default', gateway: 'fd00::1', device: 'eth0', protocol: null, scope: null, metric: 1024 },
    ]);
  });

  it('joins the hops of a multipath route and reads empty output as no routes', () => {
    // ip-route(8) JSON for `nexthop via … dev … weight …` routes: gateways and devices move into "nexthops".
    const multipath = '[{"dst":"default","protocol":"static","metric":100,"flags":[],"nexthops":[{"gateway":"10.0.0.1","dev":"eth0","weight":1,"flags":[]},{"gateway":"10.0.1.1","dev":"eth1","weight":1,"flags":[]}]}]';
    expect(parseIpRoute(multipath, 'inet')).toEqual([
      { family: 'inet', destination: 'default', gateway: '10.0.0.1,10.0.1.1', device: 'eth0,eth1', protocol: 'static', scope: null, metric: 100 },
    ]);
    expect(parseIpRoute('', 'inet6')).toEqual([]);
  });
});

describe('collectInterfaces / collectRoutes outcomes', () => {
  it('collects routes of both families in one fact', async () => {
    const { context } = scripted({ ipRoutes: ok(route4), ip6Routes: ok(route6) });
    const routes = await collectRoutes(context);
    expect(routes.map((route) => `${route.family} ${route.destination}`)).toEqual([
      'inet default',
      'inet 192.0.2.0/24',
      'inet6 fd00::/64',
      'inet6 fe80::/64',
      'inet6 default',
    ]);
  });

  it('reads a kernel without IPv6 as no IPv6 routes', async () => {
    const { context } = scripted({ ipRoutes: ok(route4), ip6Routes: exited(2, 'RTNETLINK answers: Address family not supported by protocol\n') });
    expect(await collectRoutes(context)).toHaveLength(2);
  });

  it('is UNSUPPORTED with an ip too old for -j, FAILED on output that is not JSON, without quoting it', async () => {
    const old = scripted({ ipAddresses: exited(255, 'Option "-j" is unknown, try "ip -help".\n') });
    expect(await outcome(collectInterfaces(old.context))).toEqual({
      status: 'UNSUPPORTED',
      message: 'ip does not support JSON output (-j needs iproute2 4.14 or later)',
    });
    const garbled = scripted({ ipAddresses: ok('1: lo: <LOOPBACK,UP> secret-looking-output') });
    const result = await outcome(collectInterfaces(garbled.context));
    expect(result).toEqual({ status: 'FAILED', message: 'could not parse the output of ip -j addr: not valid JSON' });
    expect(result.message).not.toContain('secret');
  });
});
