import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './cli-error.js';

/** Where the CLI talks to and how it says who it is. */
export interface Settings {
  url: string;
  /** Sent on every HTTP request and in the graphql-ws connection_init payload. */
  headers: Record<string, string>;
  /** For messages: which of env or file the credential came from (never the credential). */
  credentialFrom: string | null;
}

export const DEFAULT_URL = 'http://localhost:4000/graphql';

interface FileSettings {
  url?: string;
  token?: string;
  apiKey?: string;
}

/** `$VIGIL_CLI_CONFIG`, else `$XDG_CONFIG_HOME/vigil/cli.json`, else `~/.config/vigil/cli.json`. */
export function configFilePath(env: NodeJS.ProcessEnv): string {
  if (env['VIGIL_CLI_CONFIG']) return env['VIGIL_CLI_CONFIG'];
  const base = env['XDG_CONFIG_HOME'] || join(env['HOME'] || homedir(), '.config');
  return join(base, 'vigil', 'cli.json');
}

/**
 * Credentials come from the environment (`VIGIL_TOKEN` or `VIGIL_API_KEY`) or the config file,
 * never from a flag: arguments are visible to every user of the machine in `ps`. The file must not
 * be readable by group or others (as ssh insists for keys); it is refused otherwise.
 */
export function resolveSettings(options: { url?: string | undefined }, env: NodeJS.ProcessEnv): Settings {
  const path = configFilePath(env);
  const file = readConfigFile(path, env['VIGIL_CLI_CONFIG'] !== undefined);
  const url = options.url ?? env['VIGIL_URL'] ?? file?.url ?? DEFAULT_URL;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new CliError(`--url / VIGIL_URL: ${JSON.stringify(url)} is not an http(s) URL of the gateway's GraphQL endpoint (e.g. ${DEFAULT_URL})`);
  }

  const fromEnv = credential(env['VIGIL_TOKEN'], env['VIGIL_API_KEY'], 'VIGIL_TOKEN', 'VIGIL_API_KEY');
  const fromFile = file ? credential(file.token, file.apiKey, `${path}: token`, `${path}: apiKey`) : null;
  const chosen = fromEnv ?? fromFile;
  return {
    url,
    headers: chosen?.headers ?? {},
    credentialFrom: chosen?.from ?? null,
  };
}

function credential(token: string | undefined, apiKey: string | undefined, tokenName: string, keyName: string): { headers: Record<string, string>; from: string } | null {
  if (token && apiKey) throw new CliError(`both ${tokenName} and ${keyName} are set: set one`);
  if (token) return { headers: { authorization: `Bearer ${token}` }, from: tokenName };
  if (apiKey) return { headers: { 'x-api-key': apiKey }, from: keyName };
  return null;
}

function readConfigFile(path: string, named: boolean): FileSettings | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (!named && (error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CliError(`cannot read the config file ${path}: ${(error as Error).message}`);
  }
  if ((statSync(path).mode & 0o077) !== 0) {
    throw new CliError(`${path} is readable by other users and may hold a credential: chmod 600 ${path}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${path} is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CliError(`${path} must hold a JSON object: { "url": …, "token": … }`);
  const record = parsed as Record<string, unknown>;
  const known = ['url', 'token', 'apiKey'];
  for (const key of Object.keys(record)) {
    if (!known.includes(key)) throw new CliError(`${path}: unknown key ${JSON.stringify(key)} (known: ${known.join(', ')})`);
    if (typeof record[key] !== 'string') throw new CliError(`${path}: ${key} must be a string`);
  }
  return record as FileSettings;
}
