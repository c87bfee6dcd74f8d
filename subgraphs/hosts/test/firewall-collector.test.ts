import { describe, expect, it } from 'vitest';
import { collectFirewall, summariseIptablesSave, summariseNftRuleset } from '../src/sources/probe/collectors/firewall.js';
import { captured, exited, notFound, ok, outcome, scripted } from './collector-harness.js';

const nftJson = captured('nft_-j_list_ruleset.json');
const iptablesNftJson = captured('nft_-j_list_ruleset_iptables-nft.json');
const iptablesSave = captured('iptables-save.txt');
const ip6tablesSave = captured('ip6tables-save.txt');

/** The nft document with `edit` applied to it, re-serialised. */
function editedNft(edit: (objects: Record<string, Record<string, unknown>>[]) => void, text = nftJson): string {
  const document = JSON.parse(text) as { nftables: Record<string, Record<string, unknown>>[] };
  edit(document.nftables);
  return JSON.stringify(document);
}

describe('summariseNftRuleset', () => {
  it('counts chains and rules and lists the base chains with their policies', () => {
    const summary = summariseNftRuleset(nftJson);
    // Counted with Python's json module over the same file.
    expect(summary).toMatchObject({ backend: 'nftables', ruleCount: 10, chainCount: 4 });
    expect(summary.policies).toEqual([
      { family: 'inet', table: 'filter', chain: 'input', hook: 'input', policy: 'drop' },
      { family: 'inet', table: 'filter', chain: 'forward', hook: 'forward', policy: 'drop' },
      { family: 'inet', table: 'filter', chain: 'output', hook: 'output', policy: 'accept' },
      { family: 'ip', table: 'nat', chain: 'postrouting', hook: 'postrouting', policy: 'accept' },
    ]);
    expect(summary.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads the iptables-nft rules as nft shows them (xt expressions, user chains without a hook)', () => {
    const summary = summariseNftRuleset(iptablesNftJson);
    expect(summary).toMatchObject({ backend: 'nftables', ruleCount: 13, chainCount: 6 });
    expect(summary.policies.map((p) => `${p.family} ${p.table} ${p.chain} ${p.policy}`)).toEqual([
      'ip filter INPUT drop',
      'ip filter FORWARD drop',
      'ip nat POSTROUTING accept',
      'ip nat PREROUTING accept',
      'ip6 filter INPUT drop',
    ]);
  });

  it('keeps its digest when only traffic counters, handles or the nft version change', () => {
    const { digest } = summariseNftRuleset(nftJson);
    const busier = editedNft((objects) => {
      for (const object of objects) {
        const expr = object['rule']?.['expr'];
        if (!Array.isArray(expr)) continue;
        for (const e of expr as Record<string, unknown>[]) if (e['counter'] !== undefined) e['counter'] = { packets: 98_765, bytes: 12_345_678 };
      }
    });
    expect(busier).toContain('98765');
    expect(summariseNftRuleset(busier).digest).toBe(digest);
    const reloaded = editedNft((objects) => {
      for (const object of objects) for (const inner of Object.values(object)) if (typeof inner['handle'] === 'number') inner['handle'] += 100;
    });
    expect(summariseNftRuleset(reloaded).digest).toBe(digest);
    const upgraded = editedNft((objects) => {
      const meta = objects[0]?.['metainfo'];
      if (meta !== undefined) meta['version'] = '1.1.1';
    });
    expect(summariseNftRuleset(upgraded).digest).toBe(digest);
  });

  it('changes its digest when a rule or a policy changes', () => {
    const { digest } = summariseNftRuleset(nftJson);
    const ssh2222 = nftJson.replace('"right": 22', '"right": 2222');
    expect(ssh2222).not.toBe(nftJson);
    expect(summariseNftRuleset(ssh2222).digest).not.toBe(digest);
    const open = nftJson.replace('"policy": "drop"', '"policy": "accept"');
    expect(summariseNftRuleset(open).digest).not.toBe(digest);
    expect(summariseNftRuleset(open).policies[0]?.policy).toBe('accept');
  });

  it('ignores the elements of sets the packet path fills, which are traffic', () => {
    const withMeter = (elements: string[]) =>
      editedNft((objects) =>
        objects.push({ set: { family: 'inet', name: 'ssh_meter', table: 'filter', type: 'ipv4_addr', handle: 99, flags: ['dynamic', 'timeout'], timeout: 60, elem: elements } }),
      );
    expect(summariseNftRuleset(withMeter(['192.0.2.7'])).digest).toBe(summariseNftRuleset(withMeter(['192.0.2.7', '198.51.100.9'])).digest);
  });

  it('refuses a document that is not an nft ruleset', () => {
    expect(() => summariseNftRuleset('{"tables": []}')).toThrow(/"nftables" array/);
  });
});

describe('summariseIptablesSave', () => {
  it('counts both families and lower-cases built-in chain policies', () => {
    const summary = summariseIptablesSave([
      { family: 'ip', text: iptablesSave },
      { family: 'ip6', text: ip6tablesSave },
    ]);
    // grep -c '^-A' / '^:' over the two files: 11 + 2 rules, 8 + 3 chains.
    expect(summary).toMatchObject({ backend: 'iptables', ruleCount: 13, chainCount: 11 });
    expect(summary.policies).toEqual([
      { family: 'ip', table: 'filter', chain: 'INPUT', hook: null, policy: 'drop' },
      { family: 'ip', table: 'filter', chain: 'FORWARD', hook: null, policy: 'drop' },
      { family: 'ip', table: 'filter', chain: 'OUTPUT', hook: null, policy: 'accept' },
      { family: 'ip', table: 'nat', chain: 'PREROUTING', hook: null, policy: 'accept' },
      { family: 'ip', table: 'nat', chain: 'INPUT', hook: null, policy: 'accept' },
      { family: 'ip', table: 'nat', chain: 'OUTPUT', hook: null, policy: 'accept' },
      { family: 'ip', table: 'nat', chain: 'POSTROUTING', hook: null, policy: 'accept' },
      { family: 'ip6', table: 'filter', chain: 'INPUT', hook: null, policy: 'drop' },
      { family: 'ip6', table: 'filter', chain: 'FORWARD', hook: null, policy: 'accept' },
      { family: 'ip6', table: 'filter', chain: 'OUTPUT', hook: null, policy: 'accept' },
    ]);
  });

  it('keeps its digest across dump times and counters (-c), and changes it with a rule', () => {
    const digest = (v4: string) => summariseIptablesSave([{ family: 'ip', text: v4 }]).digest;
    const base = digest(iptablesSave);
    const later = iptablesSave.replaceAll('Sun Nov 22 08:54:29 2026', 'Mon Nov 23 09:00:00 2026').replace(':INPUT DROP [0:0]', ':INPUT DROP [1234:567890]');
    const withCounters = iptablesSave.replace('-A INPUT -i lo -j ACCEPT', '[42:4200] -A INPUT -i lo -j ACCEPT');
    expect(digest(later)).toBe(base);
    expect(digest(withCounters)).toBe(base);
    expect(digest(iptablesSave.replace('--dport 22 ', '--dport 2222 '))).not.toBe(base);
    expect(digest(iptablesSave.replace(':FORWARD DROP', ':FORWARD ACCEPT'))).not.toBe(base);
    // The same rules as IPv6 are a different firewall.
    expect(summariseIptablesSave([{ family: 'ip6', text: iptablesSave }]).digest).not.toBe(base);
  });

  it('refuses lines it does not understand rather than miscounting', () => {
    expect(() => summariseIptablesSave([{ family: 'ip', text: '-A INPUT -j ACCEPT\n' }])).toThrow(/outside a \*table/);
    expect(() => summariseIptablesSave([{ family: 'ip', text: '*filter\nsomething else\nCOMMIT\n' }])).toThrow(/neither/);
  });
});

/** iptables 1.8 (nf_tables) as an ordinary user. */
const iptablesDenied = exited(1, 'iptables-save v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\n');
/** nft as an ordinary user: netlink refuses the ruleset dump with EPERM. */
const nftDenied = exited(1, 'Error: cache initialization failed: Operation not permitted\n');

describe('collectFirewall: nft first, iptables-save when nft is missing or denied', () => {
  it('uses nft when it works, and asks nothing else', async () => {
    const { context, ran } = scripted({ nftRuleset: ok(nftJson) });
    expect((await collectFirewall(context)).backend).toBe('nftables');
    expect(ran).toEqual(['nftRuleset']);
  });

  it('falls back to iptables-save and ip6tables-save when nft is missing', async () => {
    const { context, ran } = scripted({ nftRuleset: notFound('nft'), iptablesRules: ok(iptablesSave), ip6tablesRules: ok(ip6tablesSave) });
    expect(await collectFirewall(context)).toMatchObject({ backend: 'iptables', ruleCount: 13, chainCount: 11 });
    expect(ran).toEqual(['nftRuleset', 'iptablesRules', 'ip6tablesRules']);
  });

  it('falls back when nft is denied, and reports DENIED when iptables-save is denied too', async () => {
    const { context } = scripted({ nftRuleset: nftDenied, iptablesRules: iptablesDenied, ip6tablesRules: iptablesDenied });
    expect(await outcome(collectFirewall(context))).toEqual({
      status: 'DENIED',
      message: 'iptables-save was denied: iptables-save v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)',
    });
  });

  it("reports nft's DENIED when iptables-save is not installed, UNSUPPORTED when neither is", async () => {
    const denied = scripted({ nftRuleset: nftDenied, iptablesRules: notFound('iptables-save'), ip6tablesRules: notFound('ip6tables-save') });
    expect(await outcome(collectFirewall(denied.context))).toEqual({
      status: 'DENIED',
      message: 'nft -j list ruleset was denied: Error: cache initialization failed: Operation not permitted',
    });
    const none = scripted({ nftRuleset: notFound('nft'), iptablesRules: notFound('iptables-save'), ip6tablesRules: notFound('ip6tables-save') });
    expect(await outcome(collectFirewall(none.context))).toEqual({ status: 'UNSUPPORTED', message: 'neither nft nor iptables-save is installed on the host' });
  });

  it('reads IPv4 alone when ip6tables-save is missing, and falls back from an nft without JSON', async () => {
    const { context } = scripted({
      nftRuleset: exited(1, 'Error: JSON support not compiled-in\n'),
      iptablesRules: ok(iptablesSave),
      ip6tablesRules: notFound('ip6tables-save'),
    });
    expect(await collectFirewall(context)).toMatchObject({ backend: 'iptables', ruleCount: 11, chainCount: 8 });
  });

  it('prefers legacy iptables rules over an empty nft ruleset, and keeps the empty nft result otherwise', async () => {
    const empty = JSON.stringify({ nftables: [{ metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } }] });
    const legacy = scripted({ nftRuleset: ok(empty), iptablesRules: ok(iptablesSave), ip6tablesRules: ok(ip6tablesSave) });
    expect((await collectFirewall(legacy.context)).backend).toBe('iptables');
    const nothing = scripted({ nftRuleset: ok(empty), iptablesRules: notFound('iptables-save'), ip6tablesRules: notFound('ip6tables-save') });
    expect(await collectFirewall(nothing.context)).toMatchObject({ backend: 'nftables', ruleCount: 0, chainCount: 0, policies: [] });
  });

  it('does not fall back on other nft errors', async () => {
    const { context, ran } = scripted({ nftRuleset: exited(1, 'Error: Could not process rule: No buffer space available\n') });
    expect(await outcome(collectFirewall(context))).toEqual({
      status: 'FAILED',
      message: 'nft -j list ruleset exited with 1: Error: Could not process rule: No buffer space available',
    });
    expect(ran).toEqual(['nftRuleset']);
  });
});
