import { readFileSync } from 'node:fs';
import type { AllowedCommandName } from '../src/sources/probe/allowlist.js';
import { outcomeOfError, type CollectorContext } from '../src/sources/probe/collector.js';
import type { CommandOutput } from '../src/sources/probe/transport.js';

/** A capture from `fixtures/debian-12-captured/` (provenance in fixtures/README.md). */
export function captured(name: string): string {
  return readFileSync(new URL(`./fixtures/debian-12-captured/${name}`, import.meta.url), 'utf8');
}

export function fixtureText(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
}

export const ok = (stdout: string): CommandOutput => ({ stdout, stderr: '', exitCode: 0 });
export const exited = (exitCode: number | null, stderr: string, stdout = ''): CommandOutput => ({ stdout, stderr, exitCode });
/** What bash prints for a program that is not on PATH (sshd runs commands through the login shell). */
export const notFound = (program: string): CommandOutput => exited(127, `bash: line 1: ${program}: command not found\n`);

export type Script = Partial<Record<AllowedCommandName, CommandOutput | Error>>;

/**
 * A collector context that answers from a script and records what was asked. An unscripted command
 * rejects, so a collector that runs something unexpected cannot pass a test by accident.
 */
export function scripted(script: Script, sudo = false): { context: CollectorContext; ran: AllowedCommandName[] } {
  const ran: AllowedCommandName[] = [];
  const context: CollectorContext = {
    sudo,
    run: async (name) => {
      ran.push(name);
      const answer = script[name];
      if (answer === undefined) throw new Error(`unscripted command ${name}`);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return { context, ran };
}

/** The outcome a probe would record for a collector call. */
export async function outcome(collecting: Promise<unknown>): Promise<{ status: string; message: string | null }> {
  try {
    await collecting;
    return { status: 'OK', message: null };
  } catch (error) {
    return outcomeOfError(error);
  }
}
