/**
 * Readiness: every subgraph answers its /healthz. Hive's own readiness endpoint only checks that
 * the supergraph loaded, which stays true while a subgraph is down.
 */
export async function checkSubgraphs(
  subgraphUrls: Readonly<Record<string, string>>,
  timeoutMs = 2000,
): Promise<{ ready: boolean; subgraphs: Record<string, 'up' | 'down'> }> {
  const entries = await Promise.all(
    Object.entries(subgraphUrls).map(async ([name, url]) => {
      try {
        const response = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(timeoutMs) });
        await response.body?.cancel();
        return [name, response.ok ? 'up' : 'down'] as const;
      } catch {
        return [name, 'down'] as const;
      }
    }),
  );
  const subgraphs = Object.fromEntries(entries);
  return { ready: entries.every(([, state]) => state === 'up'), subgraphs };
}
