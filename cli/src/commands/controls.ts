import { Command, Option } from 'commander';
import { FrameworkControlsDocument, type ControlStatus, type Framework } from '@vigil/sdk/index';
import { CliError } from '../cli-error.js';
import { connect, explainFailure } from '../gateway.js';
import { columns } from '../output.js';
import { parseSince } from '../time-arguments.js';
import type { CommandContext } from './alerts.js';

/** What people type for each framework; the API's own names work too, in any case. */
const FRAMEWORK_NAMES: Record<string, Framework> = {
  CIS: 'CIS_KUBERNETES',
  NIST: 'NIST_800_53',
  ISO: 'ISO_27001',
  FEDRAMP: 'FEDRAMP_MODERATE',
  CMMC: 'CMMC_L2',
  KYVERNO: 'KUBERNETES_POLICY',
  TRIVY: 'TRIVY_COMPLIANCE',
  OWASP: 'OWASP_LLM',
};
const FRAMEWORKS = new Set<string>(Object.values(FRAMEWORK_NAMES));
const STATUSES: ControlStatus[] = ['PASS', 'FAIL', 'NOT_APPLICABLE', 'ERROR', 'WAIVED'];

export function parseFramework(text: string): Framework {
  const upper = text.trim().toUpperCase().replace(/[-\s]/g, '_');
  const framework = FRAMEWORK_NAMES[upper] ?? (FRAMEWORKS.has(upper) ? (upper as Framework) : undefined);
  if (!framework) throw new CliError(`--framework ${JSON.stringify(text)} is not a framework: one of ${[...Object.keys(FRAMEWORK_NAMES), ...FRAMEWORKS].join(', ')}`);
  return framework;
}

interface ControlsOptions {
  framework?: string;
  status?: ControlStatus;
  asOf?: Date;
}

export function controlsCommand(context: CommandContext): Command {
  return new Command('controls')
    .description('Compliance controls with their status and score, as last evaluated or as they were at a moment.')
    .option('--framework <name>', `one framework: ${Object.keys(FRAMEWORK_NAMES).join(', ')} (or the API names, e.g. NIST_800_53)`)
    .addOption(new Option('--status <status>', 'only controls with this status').choices(STATUSES))
    .option('--as-of <when>', 'as they were then: a duration ago (30d) or an ISO date-time (2026-11-15T00:00:00Z)', (text: string) => parseSince(text, new Date()))
    .addHelpText(
      'after',
      `
Output: framework, control id, status, score (passed/(passed+failed); waived, error and
not-applicable results count in neither), title. --json prints each control as a JSON object.

Examples:
  vigil controls --framework CIS --status FAIL
  vigil controls --framework NIST --as-of 2026-11-15T00:00:00Z`,
    )
    .action(async (options: ControlsOptions) => {
      const framework = options.framework === undefined ? null : parseFramework(options.framework);
      const settings = context.settings();
      const out = context.output();
      const client = connect(settings);
      try {
        const data = await client.query(FrameworkControlsDocument, { framework, asOf: options.asOf?.toISOString() ?? null });
        const controls = data.controls.filter((c) => options.status === undefined || c.status === options.status);
        if (out.json) for (const control of controls) out.result('', control);
        else if (controls.length > 0) {
          const rows = controls.map((c) => [c.framework, c.id, c.status, c.score.score === null ? '-' : `${Math.round(c.score.score * 100)}%`, c.title]);
          for (const line of columns([['FRAMEWORK', 'ID', 'STATUS', 'SCORE', 'TITLE'], ...rows])) out.result(line.trimEnd(), null);
        }
        if (controls.length === 0) out.note('no controls match');
      } catch (error) {
        throw explainFailure(error, settings);
      } finally {
        await client.dispose();
      }
    });
}
