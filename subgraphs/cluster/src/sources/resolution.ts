/**
 * Resolution for report-based sources. A finding that leaves its report is resolved (with a time, by
 * the store), never deleted. Report sources replace their report on every scan, so the caller keeps,
 * per report object (a VulnerabilityReport, a PolicyReport, a node's kube-bench ConfigMap, ...), the
 * keys that were open after the previous version and compares them with the new version's.
 *
 * Both arguments are keys of *open* (failing) findings: `previousKeys` those of the previous version
 * of the report, `currentKeys` the new version's `events.map((e) => e.dedupKey)`. A finding is
 * resolved whether it now passes or vanished from the report. Do not pass a normaliser's `keys`
 * as `currentKeys`: they include passing findings, and a check that went from fail to pass is
 * still "present" there, so it would never resolve. Use {@link resolvedFindings} to also learn why.
 */
export function resolvedKeys(previousKeys: Iterable<string>, currentKeys: Iterable<string>): string[] {
  const current = new Set(currentKeys);
  const resolved = new Set<string>();
  for (const key of previousKeys) if (!current.has(key)) resolved.add(key);
  return [...resolved];
}

export type ResolutionReason =
  /** The report still evaluates it and it no longer fails (pass, skip, success: true). */
  | 'PASSED'
  /** The report no longer mentions it: fixed package, deleted resource, removed check or policy. */
  | 'REMOVED';

export interface ResolvedFinding {
  key: string;
  reason: ResolutionReason;
}

/**
 * {@link resolvedKeys} with the reason, from a normaliser's whole result: `events` are the findings
 * open now, `keys` everything the report evaluated.
 */
export function resolvedFindings(
  previousKeys: Iterable<string>,
  current: { events: readonly { dedupKey: string }[]; keys: readonly string[] },
): ResolvedFinding[] {
  const evaluated = new Set(current.keys);
  return resolvedKeys(
    previousKeys,
    current.events.map((e) => e.dedupKey),
  ).map((key) => ({ key, reason: evaluated.has(key) ? 'PASSED' : 'REMOVED' }));
}
