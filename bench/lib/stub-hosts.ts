/**
 * Hosts that answer through a stub probe (startStack's `probe`) instead of SSH, for the benchmarks
 * whose subject is what Vigil does with facts, not how it gathers them.
 */
import type { CollectorName, CollectorOutcome, HostFacts, ProbeReport } from '@vigil/subgraph-hosts/facts/types';

const DAY_SECONDS = 86_400;

/**
 * The `hosts` config section for them: no local host, one SSH host per id (its address and key are
 * never used), and nothing due for a day after the first round, so no probe runs while a benchmark
 * measures.
 */
export function stubHostsConfig(hostIds: readonly string[], labelsOf?: (index: number) => Record<string, string>): Record<string, unknown> {
  return {
    local: { enabled: false },
    inventory: hostIds.map((id, i) => ({
      id,
      address: '127.0.0.1',
      port: 22,
      user: 'bench',
      privateKeyPath: '/nonexistent/bench-key',
      knownHostsPath: '/dev/null',
      ...(labelsOf === undefined ? {} : { labels: labelsOf(i) }),
    })),
    probe: { factsIntervalSeconds: DAY_SECONDS, metricsIntervalSeconds: DAY_SECONDS, concurrency: 64, jitterRatio: 0 },
  };
}

/** A clean facts probe of a Debian host: the collector of every fact given OK, no metrics. */
export function okFactsReport(hostId: string, facts: Partial<HostFacts>, startedAt: string, finishedAt = startedAt): ProbeReport {
  const ok: CollectorOutcome = { status: 'OK', message: null };
  const collectors: Partial<Record<CollectorName, CollectorOutcome>> = Object.fromEntries(Object.keys(facts).map((name) => [name, ok]));
  return { hostId, status: 'OK', message: null, startedAt, finishedAt, packageManager: 'dpkg', collectors, facts, metrics: null };
}
