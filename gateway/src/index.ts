import { resolveSigningSecret, runService } from '@vigil/lib/service-main';
import { startTracing } from '@vigil/lib/telemetry/tracing';
import { createAuthenticator } from './auth/authenticator.js';
import { startGateway } from './gateway.js';
import { gatewayProcessConfig, loadVigilConfig } from './stack-config.js';

// The gateway as its own process, in front of subgraphs running elsewhere (docker-compose).
await runService('gateway', () => loadVigilConfig(process.env, [{ env: 'VIGIL_PORT', path: ['gateway', 'port'] }], gatewayProcessConfig), async (config, logger) => {
  const tracing = await startTracing(config.tracing, { serviceName: 'vigil-gateway', logger });
  const gateway = await startGateway({
    port: config.gateway.port,
    host: config.gateway.host,
    subgraphUrls: config.gateway.subgraphs,
    signingSecret: resolveSigningSecret(config, logger),
    development: config.env === 'development',
    logger,
    authenticator: createAuthenticator(config.gateway.auth, config.tenants, { development: config.env === 'development' }),
    metricsToken: config.gateway.auth.metricsToken,
    protection: config.gateway,
    subscriptions: config.gateway.subscriptions,
    queryPlanner: config.gateway.queryPlanner,
    tracing: tracing.on,
  });
  return {
    stop: async () => {
      await gateway.stop();
      await tracing.stop();
    },
  };
});
