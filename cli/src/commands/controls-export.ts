import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { ComplianceExportDocument, type ComplianceScopeInput, type ExportFormat } from '@vigil/sdk/index';
import { CliError } from '../cli-error.js';
import { connect, explainFailure } from '../gateway.js';
import { parseSince } from '../time-arguments.js';
import type { CommandContext } from './alerts.js';
import { parseFramework } from './controls.js';

const FORMATS: Record<string, ExportFormat> = { 'oscal-json': 'OSCAL_JSON', csv: 'CSV' };

interface ExportOptions {
  framework?: string;
  format: string;
  cluster?: string;
  namespace?: string;
  host?: string;
  asOf?: Date;
  output?: string;
}

/**
 * `vigil controls export`: the document goes to stdout byte for byte (or to --output), so it can be
 * redirected into a file an auditor's tool reads; what was exported is a note on stderr.
 */
export function controlsExportCommand(context: CommandContext): Command {
  return new Command('export')
    .description("A framework's results as a file for auditors' tools: OSCAL Assessment Results JSON or CSV.")
    .option('--framework <name>', 'the framework: CIS, NIST, ISO, FEDRAMP, CMMC, KYVERNO, TRIVY, OWASP (or the API names)')
    .addOption(new Option('--format <format>', 'the file format').choices(Object.keys(FORMATS)).makeOptionMandatory())
    .option('--cluster <name>', 'only the results of this cluster (its nodes, namespaces and workloads)')
    .option('--namespace <name>', 'with --cluster: only this namespace and its workloads')
    .option('--host <id>', 'only the results of this host (its host and node results)')
    .option('--as-of <when>', 'as they were then: a duration ago (30d) or an ISO date-time', (text: string) => parseSince(text, new Date()))
    .option('-o, --output <file>', 'write the document to this file instead of stdout')
    .addHelpText(
      'after',
      `
Examples:
  vigil controls export --framework NIST --format oscal-json > nist-ar.json
  vigil controls export --framework CIS --format csv --cluster prod -o cis-prod.csv`,
    )
    .action(async (_options: ExportOptions, command: Command) => {
      // `controls` has --framework and --as-of too, and commander gives them to it wherever they
      // stand: read them with the parent's.
      const options = command.optsWithGlobals<ExportOptions>();
      if (options.framework === undefined) throw new CliError('--framework is required: CIS, NIST, ISO, FEDRAMP, CMMC, KYVERNO, TRIVY or OWASP');
      const framework = parseFramework(options.framework);
      const format = FORMATS[options.format];
      if (!format) throw new CliError(`--format ${JSON.stringify(options.format)}: one of ${Object.keys(FORMATS).join(', ')}`);
      const scope: ComplianceScopeInput | null = options.cluster || options.host || options.namespace ? { cluster: options.cluster ?? null, namespace: options.namespace ?? null, host: options.host ?? null } : null;
      const settings = context.settings();
      const out = context.output();
      const client = connect(settings);
      try {
        const data = await client.query(ComplianceExportDocument, { framework, format, scope, asOf: options.asOf?.toISOString() ?? null });
        const exported = data.complianceExport;
        if (options.output) writeFileSync(options.output, exported.content);
        else process.stdout.write(exported.content);
        out.note(`${exported.results} results of ${exported.controls} controls${exported.evaluatedAt ? `, evaluated at ${exported.evaluatedAt}` : ', not evaluated yet'}${options.output ? ` written to ${options.output}` : ''} (suggested file name ${exported.filename})`);
      } catch (error) {
        throw explainFailure(error, settings);
      } finally {
        await client.dispose();
      }
    });
}
