import type { Registry } from 'prom-client';
import { counter, histogram } from '@vigil/lib/metrics';
import type { ReportProbe } from './probe-pipeline.js';
import type { ProbeStatusCode } from './sources/probe/types.js';

const STATUSES: readonly ProbeStatusCode[] = ['OK', 'AUTH_FAILED', 'HOST_KEY_MISMATCH', 'HOST_KEY_UNKNOWN', 'TIMEOUT', 'UNREACHABLE', 'ERROR'];
const KINDS = ['facts', 'metrics'] as const;

/**
 * The probe, timed and counted: vigil_host_probe_duration_seconds{kind, status} and
 * vigil_host_probes_total{kind, status}. Both labels are closed sets (the report's status code; a
 * probe that throws instead of reporting counts as ERROR); never the host, so the series stay few
 * however large the fleet (per-host state is in the API: Host.probeStatus).
 */
export function measuredProbe(probe: ReportProbe, registry: Registry, now: () => number = () => performance.now()): ReportProbe {
  const duration = histogram(registry, {
    name: 'vigil_host_probe_duration_seconds',
    help: 'Time one host probe took (connect, commands, parse), by kind and status.',
    labelNames: ['kind', 'status'] as const,
    // SSH probes take tens of milliseconds to tens of seconds (connect + command timeouts).
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  });
  const probes = counter(registry, {
    name: 'vigil_host_probes_total',
    help: 'Host probes finished, by kind and status (OK or the failure code).',
    labelNames: ['kind', 'status'] as const,
  });
  for (const kind of KINDS) for (const status of STATUSES) probes.inc({ kind, status }, 0);

  return async (target, options) => {
    const started = now();
    let status: ProbeStatusCode = 'ERROR';
    try {
      const report = await probe(target, options);
      status = STATUSES.includes(report.status) ? report.status : 'ERROR';
      return report;
    } finally {
      duration.observe({ kind: options.kind, status }, (now() - started) / 1000);
      probes.inc({ kind: options.kind, status });
    }
  };
}
