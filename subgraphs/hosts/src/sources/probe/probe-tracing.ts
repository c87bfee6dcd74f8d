import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import type { CollectorName } from '../../facts/types.js';
import type { CommandRunner } from './transport.js';
import type { HostTarget } from './types.js';

/**
 * OpenTelemetry spans of a host probe (no SSH instrumentation exists): the probe, its connection and
 * each round trip of commands. Attributes are what the operator configured (host id, address) and the
 * allow-listed command names; never command output, which holds accounts, packages and addresses of
 * the probed host. With tracing off the API's no-op tracer makes these free.
 */
const tracer = () => trace.getTracer('vigil-hosts-probe');

function targetAttributes(target: HostTarget): Attributes {
  return target.transport === 'ssh'
    ? { 'vigil.host.id': target.id, 'vigil.probe.transport': 'ssh', 'server.address': target.address, 'server.port': target.port }
    : { 'vigil.host.id': target.id, 'vigil.probe.transport': 'local' };
}

async function inSpan<T>(name: string, kind: SpanKind, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      // The failure's kind only: messages can quote the host's answer.
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The whole probe of one host; its status (OK, TIMEOUT, UNREACHABLE, …) on the span. */
export function traceProbe<T extends { status: string }>(target: HostTarget, collectors: readonly CollectorName[], probe: () => Promise<T>): Promise<T> {
  return inSpan('host.probe', SpanKind.INTERNAL, { ...targetAttributes(target), 'vigil.probe.collectors': [...collectors] }, async (span) => {
    const report = await probe();
    span.setAttribute('vigil.probe.status', report.status);
    if (report.status !== 'OK') span.setStatus({ code: SpanStatusCode.ERROR, message: report.status });
    return report;
  });
}

/** Opening the probe's connection (SSH handshake and authentication, or nothing for local). */
export function traceConnect(target: HostTarget, connect: () => Promise<CommandRunner>): Promise<CommandRunner> {
  return inSpan(target.transport === 'ssh' ? 'ssh.connect' : 'local.connect', SpanKind.CLIENT, targetAttributes(target), async () => tracedRunner(await connect(), target));
}

/** Each command, or batch of commands in one exec, as a CLIENT span naming the allow-listed commands. */
function tracedRunner(runner: CommandRunner, target: HostTarget): CommandRunner {
  const name = target.transport === 'ssh' ? 'ssh.exec' : 'local.exec';
  const traced: CommandRunner = {
    run: (command, options) =>
      inSpan(name, SpanKind.CLIENT, { ...targetAttributes(target), 'vigil.probe.commands': [command], 'vigil.probe.sudo': options?.sudo === true }, async (span) => {
        const output = await runner.run(command, options);
        if (output.exitCode !== null) span.setAttribute('process.exit.code', output.exitCode);
        return output;
      }),
    close: () => runner.close(),
  };
  const runBatch = runner.runBatch?.bind(runner);
  if (runBatch) {
    traced.runBatch = (commands) =>
      inSpan(name, SpanKind.CLIENT, { ...targetAttributes(target), 'vigil.probe.commands': commands.map((c) => `${c.options?.sudo ? 'sudo ' : ''}${c.name}`) }, async (span) => {
        const outcomes = await runBatch(commands);
        span.setAttribute('vigil.probe.failed_commands', outcomes.filter((o) => !o.ok).length);
        return outcomes;
      });
  }
  return traced;
}
