import { randomBytes } from 'node:crypto';
import { ConfigError } from './config.js';
import { StartupError } from './listen.js';
import { createLogger, wantsPrettyLogs, type Logger } from './logger.js';

/**
 * Process entry shared by every service: load config (exit 1 listing every problem), start,
 * and on SIGTERM/SIGINT drain and close everything before exiting.
 */
export async function runService<TConfig extends { env?: string; log: { level: Parameters<typeof createLogger>[1]['level']; format?: 'auto' | 'json' | 'pretty' } }>(
  name: string,
  loadConfig: () => TConfig,
  start: (config: TConfig, logger: Logger) => Promise<{ stop: () => Promise<void> }>,
): Promise<void> {
  let config: TConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${name === 'vigil' ? 'vigil' : `vigil ${name}`}: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(name, { level: config.log.level, pretty: wantsPrettyLogs(config.log, config.env, process.stdout.isTTY === true) });
  let running: { stop: () => Promise<void> };
  try {
    running = await start(config, logger);
  } catch (error) {
    if (error instanceof StartupError) {
      // Something to change in config: one line, no stack trace (the JSON log would bury it).
      logger.fatal(error.message);
      process.stderr.write(`${name === 'vigil' ? 'vigil' : `vigil ${name}`}: ${error.message}\n`);
    } else {
      logger.fatal({ err: error }, 'failed to start');
    }
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    const force = setTimeout(() => {
      logger.error('drain took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'error while draining');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** The configured secret, or in development a random one (only valid within one process). */
export function resolveSigningSecret(config: { env: string; signing: { secret?: string | undefined } }, logger: Logger): string {
  if (config.signing.secret) return config.signing.secret;
  logger.warn('no signing.secret configured: using a random per-process secret (fine for `npm start`, not for separate processes)');
  return randomBytes(32).toString('hex');
}
