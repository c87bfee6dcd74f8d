import { createHash } from 'node:crypto';
import type { Firewall, FirewallPolicy } from '../../../facts/types.js';
import { CollectorFailure, OutputFormatError, attempt, isRecord, parseJson, parseOutput, stringField, type CollectorContext } from '../collector.js';

/**
 * Keys whose values change with traffic or with a reload of the same ruleset, so they are left out of
 * the digest: counter and quota state (`packets`, `bytes`, `used`), element expiry, and `handle`s,
 * which nft renumbers whenever a ruleset is flushed and loaded again.
 */
const VOLATILE_KEYS = new Set(['handle', 'packets', 'bytes', 'used', 'expires']);

/** Sets whose elements the packet path adds (meters, `add @set` / `update @set` rules): traffic, not configuration. */
const TRAFFIC_FILLED_SET_FLAGS = new Set(['dynamic', 'timeout']);

/** Deterministic JSON: object keys sorted, volatile keys dropped, array order (rule order) kept. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isRecord(value)) return value;
  const flags = value['flags'];
  const trafficFilled = Array.isArray(flags) && flags.some((flag) => typeof flag === 'string' && TRAFFIC_FILLED_SET_FLAGS.has(flag));
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    if (VOLATILE_KEYS.has(key) || (trafficFilled && key === 'elem')) continue;
    result[key] = canonical(value[key]);
  }
  return result;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Summarises `nft -j list ruleset` (libnftables-json(5)): `{"nftables": [{"metainfo": …}, {"table": …},
 * {"chain": …}, {"rule": …}, {"set": …}, …]}`. A base chain is one with a `hook`; its policy defaults to
 * accept when absent. The digest covers every object but `metainfo` (the nft version), without the
 * volatile keys above, so traffic and reloads of an unchanged ruleset leave it as it is.
 */
export function summariseNftRuleset(text: string): Firewall {
  const document = parseJson(text);
  const objects = isRecord(document) ? document['nftables'] : undefined;
  if (!Array.isArray(objects)) throw new OutputFormatError('expected an object with an "nftables" array');
  let ruleCount = 0;
  let chainCount = 0;
  const policies: FirewallPolicy[] = [];
  const normalised: unknown[] = [];
  for (const object of objects) {
    if (!isRecord(object) || 'metainfo' in object) continue;
    normalised.push(canonical(object));
    const chain = object['chain'];
    if (isRecord(chain)) {
      chainCount++;
      const hook = stringField(chain, 'hook');
      const [family, table, name] = [stringField(chain, 'family'), stringField(chain, 'table'), stringField(chain, 'name')];
      if (hook !== null && family !== null && table !== null && name !== null) {
        policies.push({ family, table, chain: name, hook, policy: stringField(chain, 'policy') ?? 'accept' });
      }
    }
    if (isRecord(object['rule'])) ruleCount++;
  }
  return { backend: 'nftables', ruleCount, chainCount, policies, digest: sha256(JSON.stringify(normalised)) };
}

export interface IptablesSave {
  /** nft's family names, so policies read the same whichever backend they came from. */
  family: 'ip' | 'ip6';
  text: string;
}

/**
 * Summarises iptables-save / ip6tables-save output: `*table`, `:CHAIN POLICY [packets:bytes]` (`-` for
 * user-defined chains), `-A CHAIN …` rules, `COMMIT`, and `#` comments. Built-in chains are the base
 * chains; their hook is implied by the chain name, so it is null. Policies are lower-cased to nft's
 * words (drop, accept). The digest leaves out comments (they carry the time of the dump) and
 * counters (`[0:0]` on chain lines, and the `[packets:bytes]` rule prefix of `-c` output).
 */
export function summariseIptablesSave(dumps: readonly IptablesSave[]): Firewall {
  let ruleCount = 0;
  let chainCount = 0;
  const policies: FirewallPolicy[] = [];
  const normalised: string[] = [];
  for (const { family, text } of dumps) {
    normalised.push(`family ${family}`);
    let table: string | null = null;
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      if (line.startsWith('*')) {
        table = line.slice(1);
        normalised.push(line);
        continue;
      }
      if (line === 'COMMIT') {
        table = null;
        normalised.push(line);
        continue;
      }
      if (table === null) throw new OutputFormatError('a chain or rule outside a *table section');
      const chain = /^:(\S+)\s+(\S+)(?:\s+\[\d+:\d+\])?$/.exec(line);
      if (chain?.[1] !== undefined && chain[2] !== undefined) {
        chainCount++;
        if (chain[2] !== '-') policies.push({ family, table, chain: chain[1], hook: null, policy: chain[2].toLowerCase() });
        normalised.push(`:${chain[1]} ${chain[2]}`);
        continue;
      }
      const rule = line.replace(/^\[\d+:\d+\]\s+/, '');
      if (rule.startsWith('-A ')) {
        ruleCount++;
        normalised.push(rule);
        continue;
      }
      throw new OutputFormatError('a line that is neither a table, chain, rule nor COMMIT');
    }
  }
  return { backend: 'iptables', ruleCount, chainCount, policies, digest: sha256(normalised.join('\n')) };
}

/** nft built without JSON support (some distributions' nft < 0.9.x) cannot be read; iptables-save may be. */
const NFT_NO_JSON = /JSON support not compiled/i;

/**
 * nft first: it sees every table, including iptables-nft's. When nft is missing, denied or has no JSON
 * support, iptables-save and ip6tables-save (legacy or nft backend) are read instead. When nft works
 * but lists no table at all, the host may still filter through legacy iptables (kernel xtables, which
 * nft cannot see), so iptables-save is asked too and wins if it has any chain.
 */
export async function collectFirewall(context: CollectorContext): Promise<Firewall> {
  const nft = await attempt(context, 'nftRuleset');
  if (nft.ok) {
    const summary = parseOutput(context, 'nftRuleset', summariseNftRuleset, nft.output.stdout);
    if (summary.chainCount > 0) return summary;
    const legacy = await readIptables(context).catch(() => null);
    return legacy !== null && legacy.chainCount > 0 ? legacy : summary;
  }
  const noJson = NFT_NO_JSON.test(nft.output.stderr);
  if (nft.failure.status !== 'UNSUPPORTED' && nft.failure.status !== 'DENIED' && !noJson) throw nft.failure;
  try {
    return await readIptables(context);
  } catch (error) {
    if (!(error instanceof CollectorFailure) || error.status !== 'UNSUPPORTED') throw error;
    // iptables-save is missing too: nft's reason is the one to report.
    if (noJson) throw new CollectorFailure('UNSUPPORTED', 'nft has no JSON support and iptables-save is not installed on the host');
    if (nft.failure.status === 'UNSUPPORTED') throw new CollectorFailure('UNSUPPORTED', 'neither nft nor iptables-save is installed on the host');
    throw nft.failure;
  }
}

async function readIptables(context: CollectorContext): Promise<Firewall> {
  const [v4, v6] = await Promise.all([attempt(context, 'iptablesRules'), attempt(context, 'ip6tablesRules')]);
  if (!v4.ok) throw v4.failure;
  const dumps: IptablesSave[] = [{ family: 'ip', text: v4.output.stdout }];
  // ip6tables-save ships with iptables; a build without IPv6 is a host without an IPv6 firewall.
  if (v6.ok) dumps.push({ family: 'ip6', text: v6.output.stdout });
  else if (v6.failure.status !== 'UNSUPPORTED') throw v6.failure;
  return parseOutput(context, 'iptablesRules', summariseIptablesSave, dumps);
}
