import { CollectorFailure } from '../collector.js';
import type { CommandSource } from '../transport.js';
import type { OsInfo } from '../types.js';

export type OsRelease = Omit<OsInfo, 'kernel' | 'arch' | 'machineId' | 'systemUuid' | 'hostname'>;

/**
 * Parses os-release(5): `KEY=value` lines, values optionally in double quotes (where `\"`, `\\`, `\$`
 * and `` \` `` are escapes) or single quotes (literal); `#` comments and blank lines ignored.
 * Missing ID / NAME / PRETTY_NAME take the defaults the man page gives ("linux", "Linux", "Linux").
 */
export function parseOsRelease(text: string): OsRelease {
  const fields = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match?.[1] === undefined || match[2] === undefined) continue;
    fields.set(match[1], unquote(match[2]));
  }
  const get = (key: string) => {
    const value = fields.get(key);
    return value === undefined || value === '' ? null : value;
  };
  return {
    id: get('ID') ?? 'linux',
    idLike: (get('ID_LIKE') ?? '').split(/\s+/).filter((id) => id !== ''),
    name: get('NAME') ?? 'Linux',
    prettyName: get('PRETTY_NAME') ?? 'Linux',
    version: get('VERSION'),
    versionId: get('VERSION_ID'),
  };
}

function unquote(value: string): string {
  const first = value[0];
  if (first === "'") {
    const end = value.indexOf("'", 1);
    return end === -1 ? value.slice(1) : value.slice(1, end);
  }
  const quoted = first === '"';
  let result = '';
  for (let i = quoted ? 1 : 0; i < value.length; i++) {
    const c = value[i];
    if (quoted && c === '"') break;
    if (c === '\\' && i + 1 < value.length) {
      result += value[++i];
      continue;
    }
    // Unquoted, as in the shell, whitespace ends the value.
    if (!quoted && /\s/.test(c ?? '')) break;
    result += c;
  }
  return result;
}

/**
 * os-release, kernel release, machine architecture, and the identifiers that tell which Kubernetes
 * Node a host is (machine ID, system UUID, host name); throws CollectorFailure when os-release is
 * unreadable. An identifier that cannot be read or is not well-formed is null: it is evidence, and a
 * wrong one would match the wrong node.
 */
export async function collectOs(runner: CommandSource): Promise<OsInfo> {
  const [release, kernel, arch, machineId, systemUuid, hostname] = await Promise.all([
    readOsRelease(runner),
    firstLineOf(runner, 'kernelRelease'),
    firstLineOf(runner, 'machineArch'),
    firstLineOf(runner, 'machineId'),
    firstLineOf(runner, 'systemUuid'),
    firstLineOf(runner, 'hostName'),
  ]);
  return { ...release, kernel, arch, machineId: parseMachineId(machineId), systemUuid: parseSystemUuid(systemUuid), hostname };
}

/**
 * machine-id(5): 32 lowercase hexadecimal characters. `uninitialized` (first boot) and an all-zero
 * ID (images that blank it) identify nothing.
 */
export function parseMachineId(line: string | null): string | null {
  const id = line?.trim().toLowerCase() ?? '';
  return /^[0-9a-f]{32}$/.test(id) && !/^0+$/.test(id) ? id : null;
}

/**
 * The SMBIOS UUID as the kernel prints it (8-4-4-4-12 hex). Placeholder values firmware ships
 * (all zeros, all F) are not identities. Lowercased: the kubelet reports it in either case.
 */
export function parseSystemUuid(line: string | null): string | null {
  const id = line?.trim().toLowerCase() ?? '';
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) return null;
  const digits = id.replaceAll('-', '');
  return /^0+$/.test(digits) || /^f+$/.test(digits) ? null : id;
}

async function readOsRelease(runner: CommandSource): Promise<OsRelease> {
  const primary = await runner.run('osRelease');
  if (primary.exitCode === 0) return parseOsRelease(primary.stdout);
  const fallback = await runner.run('osReleaseFallback');
  if (fallback.exitCode === 0) return parseOsRelease(fallback.stdout);
  throw new CollectorFailure('FAILED', 'neither /etc/os-release nor /usr/lib/os-release could be read');
}

async function firstLineOf(runner: CommandSource, name: 'kernelRelease' | 'machineArch' | 'machineId' | 'systemUuid' | 'hostName'): Promise<string | null> {
  const output = await runner.run(name);
  const line = output.stdout.split('\n')[0]?.trim() ?? '';
  return output.exitCode === 0 && line !== '' ? line : null;
}
