import { Command, Option } from 'commander';
import { AcknowledgeAlertDocument, ResolveAlertDocument, SilenceAlertsDocument, type AlertSource, type LabelInput, type Severity, type SilenceInput } from '@vigil/sdk/index';
import { CliError } from '../cli-error.js';
import { connect, explainFailure } from '../gateway.js';
import { parseDuration } from '../time-arguments.js';
import type { CommandContext } from './alerts.js';

const SEVERITIES: Severity[] = ['INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
const SOURCES: AlertSource[] = ['HOSTS', 'CLUSTER', 'AUDIT', 'COMPLIANCE', 'CORRELATION'];

/** `vigil alerts ack <id>` and `vigil alerts resolve <id>`: recorded with who you are and when. */
export function alertActionCommand(context: CommandContext, action: 'ack' | 'resolve'): Command {
  const verb = action === 'ack' ? 'Acknowledge' : 'Resolve';
  return new Command(action)
    .description(`${verb} an alert (analyst or admin). Recorded with your identity and the time, and streamed to every console.`)
    .argument('<id>', 'the alert id (the last column of `vigil alerts`)')
    .option('-m, --comment <text>', 'why, for whoever looks later')
    .addHelpText('after', `\nExample:\n  vigil alerts ${action} 1733400000000-0 -m "${action === 'ack' ? 'looking into it' : 'patched, redeployed'}"`)
    .action(async (id: string, options: { comment?: string }) => {
      const settings = context.settings();
      const out = context.output();
      const client = connect(settings);
      try {
        if (action === 'ack') {
          const { acknowledgeAlert: alert } = await client.query(AcknowledgeAlertDocument, { id, comment: options.comment ?? null });
          out.result(`acknowledged ${alert.id} (${alert.title}) as ${alert.acknowledged?.by ?? '?'} at ${alert.acknowledged?.at ?? '?'}`, alert);
        } else {
          const { resolveAlert: alert } = await client.query(ResolveAlertDocument, { id, comment: options.comment ?? null });
          out.result(`resolved ${alert.id} (${alert.title}) as ${alert.resolved?.by ?? '?'} at ${alert.resolved?.at ?? '?'}`, alert);
        }
      } catch (error) {
        throw explainFailure(error, settings);
      } finally {
        await client.dispose();
      }
    });
}

interface SilenceOptions {
  source?: AlertSource[];
  rule?: string[];
  severity?: Severity[];
  subject?: string[];
  label?: string[];
  for: number;
  comment: string;
}

/** `vigil alerts silence …`: at least one matcher, an expiry, a comment. */
export function silenceCommand(context: CommandContext): Command {
  return new Command('silence')
    .description('Silence the alerts the matchers cover (analyst or admin): kept and listed, but not routed, until the silence expires.')
    .addOption(new Option('--source <source...>', 'alerts from these sources').choices(SOURCES))
    .option('--rule <rule...>', 'alerts of these rules (exact names)')
    .addOption(new Option('--severity <level...>', 'alerts of these severities').choices(SEVERITIES))
    .option('--subject <subject...>', 'alerts about these host ids or display names')
    .option('--label <key=value...>', 'alerts carrying all of these labels')
    .requiredOption('--for <duration>', 'how long (e.g. 2h, 1d)', parseDuration)
    .requiredOption('-m, --comment <text>', 'why: shown to everyone who sees the silence')
    .addHelpText('after', `\nExample:\n  vigil alerts silence --rule "Terminal shell in container" --subject shop/web --for 2h -m "pen test, ticket SEC-42"`)
    .action(async (options: SilenceOptions) => {
      const input: SilenceInput = { expiresAt: new Date(Date.now() + options.for).toISOString(), comment: options.comment };
      if (options.source) input.sources = options.source;
      if (options.rule) input.rules = options.rule;
      if (options.severity) input.severities = options.severity;
      if (options.subject) input.subjects = options.subject;
      if (options.label) input.labels = options.label.map(parseLabel);
      if (!options.source && !options.rule && !options.severity && !options.subject && !options.label) {
        throw new CliError('a silence needs at least one matcher: --source, --rule, --severity, --subject or --label');
      }
      const settings = context.settings();
      const out = context.output();
      const client = connect(settings);
      try {
        const { silenceAlerts: silence } = await client.query(SilenceAlertsDocument, { input });
        out.result(`silence ${silence.id} by ${silence.createdBy} until ${silence.expiresAt}: ${silence.comment}`, silence);
      } catch (error) {
        throw explainFailure(error, settings);
      } finally {
        await client.dispose();
      }
    });
}

function parseLabel(text: string): LabelInput {
  const at = text.indexOf('=');
  if (at <= 0) throw new CliError(`--label ${JSON.stringify(text)}: write key=value`);
  return { key: text.slice(0, at), value: text.slice(at + 1) };
}
