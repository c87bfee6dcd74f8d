import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ALWAYS_CHECK, port } from '@vigil/lib/base-config';
import { isRecord, type EnvOverride } from '@vigil/lib/config';

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
    probe: z
      .object({
        /** How often every host is probed. @default 3600 */
        intervalSeconds: z.coerce.number().int().min(10).default(3600),
        /** Hosts probed at once. @default 8 */
        concurrency: z.coerce.number().int().min(1).max(256).default(8),
        connectTimeoutMs: z.coerce.number().int().min(100).default(10_000),
        commandTimeoutMs: z.coerce.number().int().min(100).default(30_000),
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
