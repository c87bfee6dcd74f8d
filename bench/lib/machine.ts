import { execFileSync } from 'node:child_process';
import os from 'node:os';

export interface MachineFacts {
  node: string;
  v8: string;
  platform: string;
  kernel: string;
  cpuModel: string;
  cores: number;
  availableParallelism: number;
  memoryGiB: number;
  loadAverage1m: number;
  gitCommit: string | null;
  gitDirty: boolean | null;
}

/** What a reader needs to judge the figures: the runtime, the CPU and how busy the machine was. */
export function machineFacts(): MachineFacts {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    availableParallelism: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
    gitCommit: git(['rev-parse', '--short', 'HEAD']),
    gitDirty: ((status) => (status === null ? null : status !== ''))(git(['status', '--porcelain', '--untracked-files=no'])),
  };
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}
