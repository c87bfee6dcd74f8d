import { describeError } from '@vigil/lib/errors';
import { CommandNotAllowedError } from './allowlist.js';
import { collectOs } from './collectors/os.js';
import { collectPackages, type PackageInventory } from './collectors/packages.js';
import { createLocalRunner } from './local-transport.js';
import { ProbeFailure } from './probe-failure.js';
import { connectSsh } from './ssh-transport.js';
import type { CommandRunner } from './transport.js';
import type { HostTarget, OsInfo, ProbeResult } from './types.js';

export interface ProbeOptions {
  now?: () => Date;
}

/** @default used when a local target sets no commandTimeoutMs */
export const DEFAULT_LOCAL_COMMAND_TIMEOUT_MS = 30_000;

/**
 * Probes one host over one connection and reports what it found. Never throws: every failure becomes
 * a status and a short message; the connection is closed on every path. Collectors run side by side,
 * so a failed one (say, a package query that timed out) does not discard what the others returned.
 */
export async function probeHost(target: HostTarget, options: ProbeOptions = {}): Promise<ProbeResult> {
  const now = options.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const label = describeTarget(target);
  let runner: CommandRunner | null = null;
  let outcome: Omit<ProbeResult, 'hostId' | 'startedAt' | 'finishedAt'>;

  try {
    runner = await openRunner(target);
    const [os, inventory] = await Promise.allSettled([collectOs(runner), collectPackages(runner)]);
    outcome = summarise(label, os, inventory);
  } catch (error) {
    outcome = { ...asFailure(error, label), os: null, packageManager: null, packages: null };
  } finally {
    await runner?.close().catch(() => undefined);
  }
  return { hostId: target.id, ...outcome, startedAt, finishedAt: now().toISOString() };
}

function openRunner(target: HostTarget): Promise<CommandRunner> {
  switch (target.transport) {
    case 'local':
      return Promise.resolve(createLocalRunner({ commandTimeoutMs: target.commandTimeoutMs ?? DEFAULT_LOCAL_COMMAND_TIMEOUT_MS }));
    case 'ssh':
      return connectSsh(target);
  }
}

function describeTarget(target: HostTarget): string {
  return target.transport === 'local' ? 'local machine' : `${target.address}:${target.port}`;
}

function summarise(
  label: string,
  os: PromiseSettledResult<OsInfo>,
  inventory: PromiseSettledResult<PackageInventory | null>,
): Omit<ProbeResult, 'hostId' | 'startedAt' | 'finishedAt'> {
  const failures = [os, inventory].flatMap((settled) => (settled.status === 'rejected' ? [asFailure(settled.reason, label, true)] : []));
  const found = inventory.status === 'fulfilled' ? inventory.value : null;
  const notes = failures.map((failure) => failure.message);
  if (inventory.status === 'fulfilled' && found === null) notes.push(`${label}: none of dpkg-query, rpm or apk is installed`);
  return {
    // The first failure decides the status; a host without a supported package manager is still OK.
    status: failures[0]?.status ?? 'OK',
    message: notes.length === 0 ? null : notes.join('; '),
    os: os.status === 'fulfilled' ? os.value : null,
    packageManager: found?.manager ?? null,
    packages: found?.packages ?? null,
  };
}

function asFailure(error: unknown, label: string, duringCollection = false): Pick<ProbeResult, 'status' | 'message'> {
  // Connection failures already name the host; failures while collecting are prefixed with it.
  const prefix = duringCollection ? `${label}: ` : '';
  if (error instanceof ProbeFailure) return { status: error.status, message: prefix + error.message };
  if (error instanceof CommandNotAllowedError) return { status: 'ERROR', message: prefix + error.message };
  return { status: 'ERROR', message: `${label}: unexpected probe failure: ${describeError(error)}` };
}
