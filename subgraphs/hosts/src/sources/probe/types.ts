export type ProbeStatusCode =
  | 'OK'
  | 'AUTH_FAILED'
  | 'HOST_KEY_MISMATCH'
  | 'HOST_KEY_UNKNOWN'
  | 'TIMEOUT'
  | 'UNREACHABLE'
  | 'ERROR';

export type PackageManager = 'dpkg' | 'rpm' | 'apk';

export interface OsInfo {
  id: string;
  idLike: string[];
  name: string;
  prettyName: string;
  version: string | null;
  versionId: string | null;
  kernel: string | null;
  arch: string | null;
  /** /etc/machine-id (32 lowercase hex digits); absent in facts stored before it was collected. */
  machineId?: string | null;
  /** SMBIOS system UUID, lowercase; null when unreadable (root only). */
  systemUuid?: string | null;
  /** The kernel's host name (uname -n). */
  hostname?: string | null;
}

export interface InstalledPackage {
  name: string;
  version: string;
  arch: string | null;
}

export interface ProbeResult {
  hostId: string;
  status: ProbeStatusCode;
  message: string | null;
  startedAt: string;
  finishedAt: string;
  os: OsInfo | null;
  packageManager: PackageManager | null;
  packages: InstalledPackage[] | null;
}

export type HostTarget =
  | {
      id: string;
      transport: 'local';
      /** Per-command limit on the machine Vigil runs on. @default 30000 */
      commandTimeoutMs?: number;
    }
  | {
      id: string;
      transport: 'ssh';
      address: string;
      port: number;
      user: string;
      privateKeyPath?: string;
      useAgent?: boolean;
      /**
       * The agent's UNIX socket, filled by the config layer from SSH_AUTH_SOCK: the probe never reads
       * the environment itself (DESIGN §7). Required when `useAgent` is set.
       */
      agentSocket?: string;
      knownHostsPath: string;
      connectTimeoutMs: number;
      commandTimeoutMs: number;
    };

export type SshHostTarget = Extract<HostTarget, { transport: 'ssh' }>;
export type LocalHostTarget = Extract<HostTarget, { transport: 'local' }>;
