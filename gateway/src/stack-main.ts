import { resolveSigningSecret, runService } from '@vigil/lib/service-main';
import { startStack } from './stack.js';
import { loadVigilConfig } from './stack-config.js';

// `npm start`: the whole stack in one process with embedded defaults (memory store unless
// REDIS_URL is set, the local machine as the one probed host, no VictoriaLogs unless configured).
await runService('vigil', () => loadVigilConfig(process.env), async (config, logger) => {
  const stack = await startStack({ config, logger, signingSecret: resolveSigningSecret(config, logger), ports: 'configured' });
  logger.info(
    { graphql: `http://localhost:${stack.gateway.port}/graphql`, store: config.redis.url ? 'redis' : 'memory' },
    'Vigil is up: GraphQL (queries over HTTP, subscriptions over graphql-ws and SSE) at the graphql URL',
  );
  return stack;
});
