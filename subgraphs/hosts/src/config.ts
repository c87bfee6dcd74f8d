import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ALWAYS_CHECK, port } from '@vigil/lib/base-config';
import { isRecord, type EnvOverride } from '@vigil/lib/config';
import { COLLECTOR_NAMES } from './facts/types.js';

const hostId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, dot, dash and underscore; at most 128');
const labels = z.record(z.string().regex(/^[A-Za-z0-9._/-]{1,63}$/, 'label keys: letters, digits, . _ / -'), z.string().max(256)).default({});

/** One SSH-probed host. Passwords are deliberately not accepted: keys or an agent only. */
const inventoryEntry = z
  .object({
    id: hostId,
    address: z.string().min(1),
    port: port.default(22),
    user: z.string().min(1),
    privateKeyPath: z.string().min(1).optional(),
    useAgent: z.boolean().default(false),
    /** @default ~/.ssh/known_hosts */
    knownHostsPath: z.string().min(1).default(join(homedir(), '.ssh', 'known_hosts')),
    labels,
  })
  .strict()
  .superRefine((entry: unknown, ctx) => {
    if (isRecord(entry) && entry['privateKeyPath'] === undefined && entry['useAgent'] !== true) {
      ctx.addIssue({ code: 'custom', message: 'set privateKeyPath or useAgent: true (passwords are not supported)' });
    }
  }, ALWAYS_CHECK);

/** The `hosts:` section of the Vigil config. */
export const hostsConfig = z
  .object({
    port: port.default(4001),
    /** The machine Vigil runs on, probed without SSH. */
    local: z
      .object({
        enabled: z.boolean().default(true),
        /** @default the machine's host name */
        id: hostId.optional(),
        labels,
      })
      .strict()
      .prefault({}),
    inventory: z.array(inventoryEntry).default([]),
    /** Ansible inventory (INI or YAML) whose hosts join the inline ones; groups become labels. */
    ansibleInventory: z
      .object({
        path: z.string().min(1),
        /** Used for hosts whose inventory sets no ansible_user. */
        user: z.string().min(1).optional(),
        /** Used for hosts whose inventory sets no ansible_ssh_private_key_file. */
        privateKeyPath: z.string().min(1).optional(),
        useAgent: z.boolean().default(false),
        /** @default ~/.ssh/known_hosts */
        knownHostsPath: z.string().min(1).default(join(homedir(), '.ssh', 'known_hosts')),
      })
      .strict()
      .optional(),
    probe: z
      .object({
        /** How often each host's facts are probed. @default 3600 */
        factsIntervalSeconds: z.coerce.number().int().min(10).default(3600),
        /** How often each host's metrics are sampled. @default 300 */
        metricsIntervalSeconds: z.coerce.number().int().min(5).default(300),
        /** Hosts probed at once (per replica). @default 8 */
        concurrency: z.coerce.number().int().min(1).max(256).default(8),
        /** Each next run is spread by ±this fraction, so a fleet does not probe in lockstep. @default 0.1 */
        jitterRatio: z.coerce.number().min(0).max(0.5).default(0.1),
        connectTimeoutMs: z.coerce.number().int().min(100).default(10_000),
        commandTimeoutMs: z.coerce.number().int().min(100).default(30_000),
        /** Collectors whose commands run as `sudo -n <command>` (needs passwordless sudo for exactly those). @default none */
        sudo: z.array(z.enum(COLLECTOR_NAMES)).default([]),
        /** Alert when a host was unreachable for this many probes in a row. @default 3 */
        unreachableAfter: z.coerce.number().int().min(1).default(3),
      })
      .strict()
      .prefault({}),
    retention: z
      .object({
        /** Days metric snapshots are kept. @default 7 */
        metricsDays: z.coerce.number().int().min(1).max(3650).default(7),
        /** Days the change history is kept (asOf and changes reach back this far). @default 90 */
        historyDays: z.coerce.number().int().min(1).max(3650).default(90),
      })
      .strict()
      .prefault({}),
    /** ssh-agent socket for entries with useAgent (env SSH_AUTH_SOCK). */
    sshAgentSocket: z.string().optional(),
  })
  .strict()
  .superRefine((config: unknown, ctx) => {
    const inventory = isRecord(config) && Array.isArray(config['inventory']) ? config['inventory'] : [];
    const agentSocket = isRecord(config) ? config['sshAgentSocket'] : undefined;
    const seen = new Set<unknown>();
    inventory.forEach((entry: unknown, index) => {
      if (!isRecord(entry)) return;
      if (typeof entry['id'] === 'string' && seen.has(entry['id'])) {
        ctx.addIssue({ code: 'custom', path: ['inventory', index, 'id'], message: `duplicate host id ${entry['id']}` });
      }
      seen.add(entry['id']);
      if (entry['useAgent'] === true && !agentSocket) {
        ctx.addIssue({ code: 'custom', path: ['inventory', index, 'useAgent'], message: 'needs an ssh-agent: set hosts.sshAgentSocket or env SSH_AUTH_SOCK' });
      }
    });
  }, ALWAYS_CHECK);
export type HostsConfig = z.infer<typeof hostsConfig>;

export const hostsOverrides: EnvOverride[] = [{ env: 'SSH_AUTH_SOCK', path: ['hosts', 'sshAgentSocket'] }];
