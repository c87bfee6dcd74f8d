import { Command, CommanderError } from 'commander';
import { CliError } from './cli-error.js';
import { alertsCommand, type CommandContext } from './commands/alerts.js';
import { controlsCommand } from './commands/controls.js';
import { controlsExportCommand } from './commands/controls-export.js';
import { hostCommand } from './commands/host.js';
import { hostsCommand } from './commands/hosts.js';
import { probeCommand } from './commands/probe.js';
import { processOutput } from './output.js';
import { resolveSettings } from './settings.js';

/** The `vigil` program. `env` is read when a command runs, so `--help` works without any set-up. */
export function vigilProgram(env: NodeJS.ProcessEnv, signal: AbortSignal): Command {
  const program = new Command('vigil')
    .description("Vigil's command line: alerts, hosts, probes and compliance from the gateway's GraphQL API.")
    .option('--url <url>', "the gateway's GraphQL endpoint (env VIGIL_URL, or url in the config file)")
    .option('--json', 'print results as JSON lines (one object per line) instead of text')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Credentials (never as arguments: other users can read those in ps):
  VIGIL_TOKEN       a JWT, sent as Authorization: Bearer
  VIGIL_API_KEY     an API key, sent as x-api-key
  or a config file: $VIGIL_CLI_CONFIG, else $XDG_CONFIG_HOME/vigil/cli.json (~/.config/vigil/cli.json),
  mode 600, {"url": "https://vigil.example.com/graphql", "token": "…"} or {"apiKey": "…"}.
Default URL: http://localhost:4000/graphql (a development stack, where no credential is needed).`,
    );

  const context: CommandContext = {
    settings: () => resolveSettings({ url: program.opts<{ url?: string }>().url }, env),
    output: () => processOutput(Boolean(program.opts<{ json?: boolean }>().json)),
    signal,
  };
  program.addCommand(alertsCommand(context));
  program.addCommand(hostsCommand(context));
  program.addCommand(hostCommand(context));
  program.addCommand(probeCommand(context));
  program.addCommand(controlsCommand(context).addCommand(controlsExportCommand(context)));
  return program;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const program = vigilProgram(env, abort.signal).exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode; // commander has printed the message or the help
    if (error instanceof CliError) {
      process.stderr.write(`vigil: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`vigil: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 2;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
