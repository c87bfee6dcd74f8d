import type { MetricsSnapshot } from '../../../facts/types.js';
import { OutputFormatError, parseOutput, read, type CollectorContext } from '../collector.js';
import { readDf, toDiskUsage } from './disks.js';
import { parseMeminfo } from './hardware.js';

const decimal = (text: string | undefined): number | null => (text !== undefined && /^\d+(?:\.\d+)?$/.test(text) ? Number(text) : null);

/** `/proc/loadavg`: `1.01 0.75 0.42 1/124 32684`: the 1, 5 and 15 minute load averages come first. */
export function parseLoadavg(text: string): { load1: number; load5: number; load15: number } {
  const [load1, load5, load15] = text.trim().split(/\s+/).map(decimal);
  if (load1 == null || load5 == null || load15 == null) throw new OutputFormatError('expected three load averages');
  return { load1, load5, load15 };
}

/** `/proc/uptime`: seconds since boot, then idle seconds summed over CPUs. */
export function parseUptime(text: string): number {
  const uptime = decimal(text.trim().split(/\s+/)[0]);
  if (uptime === null) throw new OutputFormatError('expected seconds since boot');
  return uptime;
}

/**
 * Load, memory, swap, uptime and disk use. `at` is given by the probe (when it started), so a snapshot's
 * time does not depend on how long the commands took to run.
 */
export async function collectMetrics(context: CollectorContext, at: string): Promise<MetricsSnapshot> {
  const [loadText, memText, uptimeText, df] = await Promise.all([
    read(context, 'loadAverage'),
    read(context, 'memInfo'),
    read(context, 'uptime'),
    readDf(context),
  ]);
  const load = parseOutput(context, 'loadAverage', parseLoadavg, loadText);
  const memory = parseOutput(context, 'memInfo', parseMeminfo, memText);
  return {
    at,
    ...load,
    memTotalKb: memory.get('MemTotal') ?? null,
    // MemAvailable exists since Linux 3.14; older kernels leave it null rather than a guess.
    memAvailableKb: memory.get('MemAvailable') ?? null,
    swapTotalKb: memory.get('SwapTotal') ?? null,
    swapFreeKb: memory.get('SwapFree') ?? null,
    uptimeSeconds: parseOutput(context, 'uptime', parseUptime, uptimeText),
    disks: toDiskUsage(df),
  };
}
