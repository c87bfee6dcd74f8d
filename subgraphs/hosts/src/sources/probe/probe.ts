import type { CollectorOutcome } from '../../facts/types.js';
import { DEFAULT_LOCAL_COMMAND_TIMEOUT_MS, describeTarget, runProbe, type ProbeReportOptions } from './probe-report.js';
import type { HostTarget, ProbeResult, ProbeStatusCode } from './types.js';

export { DEFAULT_LOCAL_COMMAND_TIMEOUT_MS };

export type ProbeOptions = Pick<ProbeReportOptions, 'now' | 'connect'>;

/**
 * The OS and package inventory of one host, in the shape the host store keeps: the os and packages
 * collectors of probeHostReport, over one connection. Never throws. A collector's failure becomes the
 * status (TIMEOUT, otherwise ERROR; the first failing collector decides) with its message, and does
 * not discard what the other found. A host without a supported package manager is OK, with a note.
 */
export async function probeHost(target: HostTarget, options: ProbeOptions = {}): Promise<ProbeResult> {
  const report = await runProbe(target, ['os', 'packages'], options);
  const base = { hostId: report.hostId, startedAt: report.startedAt, finishedAt: report.finishedAt };
  if (report.status !== 'OK') return { ...base, status: report.status, message: report.message, os: null, packageManager: null, packages: null };

  const label = describeTarget(target);
  const outcomes = [report.collectors.os, report.collectors.packages].filter((outcome): outcome is CollectorOutcome => outcome !== undefined);
  const failed = outcomes.find((outcome) => outcome.status !== 'OK' && outcome.status !== 'UNSUPPORTED');
  const notes = outcomes.flatMap((outcome) => (outcome.message === null ? [] : [`${label}: ${outcome.message}`]));
  const status: ProbeStatusCode = failed === undefined ? 'OK' : failed.status === 'TIMEOUT' ? 'TIMEOUT' : 'ERROR';
  return {
    ...base,
    status,
    message: notes.length === 0 ? null : notes.join('; '),
    os: report.facts.os?.[0] ?? null,
    packageManager: report.packageManager,
    packages: report.facts.packages ?? null,
  };
}
