import type { Service } from '../../../facts/types.js';
import { CollectorFailure, attempt, firstLine, lines, parseOutput, type CollectorContext } from '../collector.js';

type UnitRow = Omit<Service, 'unitFileState'>;

/**
 * `systemctl list-units --type=service --all --plain --no-legend`: `UNIT LOAD ACTIVE SUB DESCRIPTION`,
 * whitespace-aligned, the description being the rest of the line (possibly empty). Also reads the
 * decorated form, for a systemctl that ignores --plain or --no-legend: a leading `●` (or `*` in a
 * non-UTF-8 locale) marks not-found or failed units, and the legend (a `UNIT LOAD …` header, then a
 * blank line and a footer) is skipped. Unit names never contain whitespace (systemd escapes it).
 */
export function parseSystemctlUnits(text: string): UnitRow[] {
  const units: UnitRow[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    // The footer follows the first blank line of the legend form; in the plain form there is none.
    if (line.trim() === '') {
      if (units.length > 0) break;
      continue;
    }
    const match = /^\s*(?:[●*]\s+)?(\S+)\s+(\S+)\s+(\S+)\s+(\S+)(?:\s+(.*))?$/u.exec(line);
    if (match === null) continue;
    const [, name, loadState, activeState, subState, description] = match;
    if (name === undefined || loadState === undefined || activeState === undefined || subState === undefined) continue;
    if (name === 'UNIT' && loadState === 'LOAD') continue;
    units.push({ name, description: (description ?? '').trim(), loadState, activeState, subState });
  }
  return units;
}

/**
 * `systemctl list-unit-files --type=service --no-legend`: `UNIT-FILE STATE [PRESET]` (PRESET since
 * systemd 245). Returns unit file name → state.
 */
export function parseSystemctlUnitFiles(text: string): Map<string, string> {
  const states = new Map<string, string>();
  for (const line of lines(text)) {
    const [name, state] = line.trim().split(/\s+/);
    if (name === undefined || state === undefined || (name === 'UNIT' && state === 'FILE')) continue;
    states.set(name, state);
  }
  return states;
}

/**
 * Joins the two lists. An instance (`getty@tty1.service`) has no file of its own: its file is the
 * template's (`getty@.service`), so it takes the template's state, as list-unit-files reports it. A
 * not-found unit has no file at all: null. Unit files that systemd never loaded (disabled and wanted by
 * nothing) are not services of this host's running configuration and are not listed.
 */
export function mergeServices(units: readonly UnitRow[], unitFileStates: ReadonlyMap<string, string>): Service[] {
  return units.map((unit) => ({ ...unit, unitFileState: unitFileStates.get(unit.name) ?? unitFileStates.get(templateOf(unit.name) ?? '') ?? null }));
}

function templateOf(unit: string): string | null {
  const match = /^([^@]+)@[^@]+(\.[a-z]+)$/.exec(unit);
  return match === null ? null : `${match[1]}@${match[2]}`;
}

/**
 * What systemctl prints when systemd is not PID 1 (containers, WSL1, sysvinit or OpenRC hosts): the
 * host has no service manager we can read, which is UNSUPPORTED rather than a failure.
 */
const NO_SYSTEMD = /System has not been booted with systemd|Failed to connect to bus|systemd is not running/i;

export async function collectServices(context: CollectorContext): Promise<Service[]> {
  // Both start at once to keep wall time down; the unit files only matter if systemd is running.
  const [units, files] = await Promise.all([attempt(context, 'systemdUnits'), attempt(context, 'systemdUnitFiles')]);
  if (!units.ok) {
    if (units.failure.status !== 'UNSUPPORTED' && NO_SYSTEMD.test(units.output.stderr)) {
      throw new CollectorFailure('UNSUPPORTED', `systemd is not running on the host: ${firstLine(units.output.stderr)}`);
    }
    throw units.failure;
  }
  // list-units succeeded, so a failing list-unit-files is a real failure: reporting every unit without
  // its file state would record a change for each of them.
  if (!files.ok) throw files.failure;
  return mergeServices(
    parseOutput(context, 'systemdUnits', parseSystemctlUnits, units.output.stdout),
    parseOutput(context, 'systemdUnitFiles', parseSystemctlUnitFiles, files.output.stdout),
  );
}
