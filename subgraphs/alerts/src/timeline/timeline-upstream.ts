import type { Logger } from '@vigil/lib/logger';
import { SignedSubgraphClient, type UpstreamName } from './signed-subgraph-client.js';

/** The subgraphs a timeline reads besides the alert log, and where their failures are logged. */
export interface TimelineUpstream {
  hosts: SignedSubgraphClient;
  cluster: SignedSubgraphClient;
  audit: SignedSubgraphClient;
  logger: Logger;
}

export function createTimelineUpstream(options: { urls: () => Record<UpstreamName, string>; signingSecret: string; timeoutMs: number; logger: Logger }): TimelineUpstream {
  const client = (name: UpstreamName) => new SignedSubgraphClient({ name, url: () => options.urls()[name], signingSecret: options.signingSecret, timeoutMs: options.timeoutMs });
  return { hosts: client('hosts'), cluster: client('cluster'), audit: client('audit'), logger: options.logger };
}
