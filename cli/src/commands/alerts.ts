import { Command, Option } from 'commander';
import { AlertRaisedDocument, RecentAlertsDocument, type AlertFilter, type AlertSource, type Severity } from '@vigil/sdk/index';
import { alertLine, isAfter, type AlertSummary } from '../alert-line.js';
import { CliError } from '../cli-error.js';
import { connect, explainFailure, isCloseEvent } from '../gateway.js';
import type { Output } from '../output.js';
import type { Settings } from '../settings.js';
import { parsePositiveInt } from '../time-arguments.js';
import { alertActionCommand, silenceCommand } from './alert-actions.js';

const SEVERITIES: Severity[] = ['INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
const SOURCES: AlertSource[] = ['HOSTS', 'CLUSTER', 'AUDIT', 'COMPLIANCE', 'CORRELATION'];

export interface CommandContext {
  settings(): Settings;
  output(): Output;
  /** Aborted on SIGINT/SIGTERM: long-running commands stop cleanly. */
  signal: AbortSignal;
}

interface AlertsOptions {
  severity?: Severity;
  source?: AlertSource[];
  host?: string;
  limit: number;
  follow?: boolean;
  after?: string;
}

export function alertsCommand(context: CommandContext): Command {
  const command = new Command('alerts')
    .description('List recent alerts, newest first; with --follow, stream new ones as they are raised.')
    .addOption(new Option('--severity <level>', 'only alerts at least this severe').choices(SEVERITIES))
    .addOption(new Option('--source <source...>', 'only alerts from these sources').choices(SOURCES))
    .option('--host <id>', 'only alerts about this host (node-level alerts included where the node is matched)')
    .option('--limit <n>', 'how many alerts to list (1-500)', parsePositiveInt(500), 20)
    .option('-f, --follow', 'stream alerts as they are raised; reconnects and resumes after the last one shown')
    .option('--after <id>', 'with --follow: first replay every alert after this id (e.g. the last one you saw)')
    .addHelpText(
      'after',
      `
Output: one line per alert (time, severity, source, subject, title, id), or one JSON object per
line with --json. --follow runs until interrupted; when the connection drops (gateway restart,
network, "too slow" close) it resubscribes after the last alert shown, so nothing is missed or
shown twice.

Examples:
  vigil alerts --severity HIGH
  vigil alerts --follow --source CLUSTER --json | jq .title`,
    )
    .action(async (options: AlertsOptions) => {
      const filter = alertFilter(options);
      if (options.follow) await followAlerts(context, filter, options.after);
      else {
        if (options.after) throw new CliError('--after applies to --follow; to page a listing, raise --limit');
        await listAlerts(context, filter, options.limit);
      }
    });
  command.addCommand(alertActionCommand(context, 'ack'));
  command.addCommand(alertActionCommand(context, 'resolve'));
  command.addCommand(silenceCommand(context));
  return command;
}

function alertFilter(options: AlertsOptions): AlertFilter {
  const filter: AlertFilter = {};
  if (options.severity) filter.minSeverity = options.severity;
  if (options.source) filter.sources = options.source;
  if (options.host) filter.hostId = options.host;
  return filter;
}

async function listAlerts(context: CommandContext, filter: AlertFilter, limit: number): Promise<void> {
  const settings = context.settings();
  const out = context.output();
  const client = connect(settings);
  try {
    const data = await client.query(RecentAlertsDocument, { filter, first: limit });
    for (const { node } of data.alerts.edges) out.result(alertLine(node), node);
    if (data.alerts.edges.length === 0) out.note('no alerts match');
  } catch (error) {
    throw explainFailure(error, settings);
  } finally {
    await client.dispose();
  }
}

/** graphql-ws close codes after which resubscribing cannot help: the credential or the request is wrong. */
const FATAL_CLOSE_CODES = new Set([4400, 4401, 4403, 4406, 4409, 4429]);
const FATAL_ERROR_CODES = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED', 'PERSISTED_QUERY_NOT_FOUND']);

async function followAlerts(context: CommandContext, filter: AlertFilter, after: string | undefined): Promise<void> {
  const settings = context.settings();
  const out = context.output();
  let last = after;
  let failures = 0;
  while (!context.signal.aborted) {
    // No reconnects inside the SDK: they would resubscribe with the `after` of the first attempt.
    const client = connect(settings, { retryAttempts: 0 });
    const stop = () => void client.dispose();
    context.signal.addEventListener('abort', stop, { once: true });
    let reason: string;
    try {
      for await (const data of client.subscribe(AlertRaisedDocument, { filter, after: last ?? null })) {
        const alert: AlertSummary = data.alertRaised;
        failures = 0;
        if (!isAfter(alert.id, last)) continue;
        out.result(alertLine(alert), alert);
        last = alert.id;
      }
      reason = 'the gateway ended the stream';
    } catch (error) {
      if (context.signal.aborted) break;
      if (isFatal(error)) throw explainFailure(error, settings);
      reason = explainFailure(error, settings).message;
    } finally {
      context.signal.removeEventListener('abort', stop);
      await client.dispose();
    }
    if (context.signal.aborted) break;
    failures += 1;
    const delayMs = Math.min(30_000, 500 * 2 ** Math.min(failures - 1, 6));
    out.note(`${reason}; resubscribing ${last ? `after ${last}` : 'for new alerts'} in ${(delayMs / 1000).toFixed(1)} s`);
    await sleep(delayMs, context.signal);
  }
}

function isFatal(error: unknown): boolean {
  if (isCloseEvent(error)) return FATAL_CLOSE_CODES.has(error.code);
  const errors = (error as { errors?: { extensions?: Record<string, unknown> }[] }).errors;
  return Array.isArray(errors) && errors.some((e) => FATAL_ERROR_CODES.has(String(e.extensions?.['code'])));
}

/** As @vigil/lib/abortable-sleep (the CLI depends only on the SDK): the listener is removed each time. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
