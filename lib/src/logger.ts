import { pino, type Logger, type LoggerOptions } from 'pino';
import { build as prettyStream } from 'pino-pretty';
import { currentRequestId } from './request-id.js';
import { currentTraceId } from './telemetry/trace-id.js';

export type { Logger };

/**
 * Paths pino replaces with "[redacted]" wherever they appear in a log record. Secrets are kept out
 * of log calls in the first place; this is the net under that rule (headers forwarded by mistake,
 * config objects logged whole).
 */
export const REDACTED_PATHS = [
  'secret',
  '*.secret',
  '*.*.secret',
  'password',
  '*.password',
  'token',
  '*.token',
  '*.*.token',
  'privateKey',
  '*.privateKey',
  'signingSecret',
  '*.signingSecret',
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  '*.headers["x-vigil-signature"]',
  '*.headers.cookie',
  'redisUrl',
  '*.redisUrl',
  '*.url',
];

export interface LoggerSettings {
  level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Human-readable lines for a terminal instead of JSON. */
  pretty?: boolean;
}

export function createLogger(name: string, settings: LoggerSettings, destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    name,
    level: settings.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    // The request being served (lib/src/request-id.ts), on every line logged while serving it, and
    // with tracing on the trace it belongs to (lines of traced background work too: probes).
    mixin: () => {
      const requestId = currentRequestId();
      const traceId = currentTraceId();
      if (traceId === undefined) return requestId === undefined ? {} : { requestId };
      return requestId === undefined ? { traceId } : { requestId, traceId };
    },
  };
  if (destination) return pino(options, destination);
  // Synchronous, in this thread (not a transport worker): a fatal line before exit is never lost.
  if (settings.pretty) return pino(options, prettyStream({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' }));
  return pino(options);
}

/** Whether `log.format` asks for readable lines: `auto` means a terminal in development. */
export function wantsPrettyLogs(log: { format?: 'auto' | 'json' | 'pretty' | undefined }, env: string | undefined, isTTY: boolean): boolean {
  if (log.format === 'pretty') return true;
  if (log.format === 'json') return false;
  return env === 'development' && isTTY;
}

/** Removes user:password from a URL so it can be logged or shown in an error. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = parsed.username ? '***' : '';
      parsed.password = parsed.password ? '***' : '';
    }
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}
