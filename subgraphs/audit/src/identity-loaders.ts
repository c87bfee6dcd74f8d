import DataLoader from 'dataloader';
import type { AuditLogSource, IdentitySummary, ResourceCount, VerbCount } from './sources/victorialogs/audit-log-source.js';
import { MAX_FILTER_VALUE_LENGTH, MAX_FILTER_VALUES } from './sources/victorialogs/logsql.js';

/** A time range an identity's activity is counted in: [from, to). */
export type ActivityRange = { from: Date; to: Date };

/**
 * Identity.activity for a page of identities costs one stats query per aspect asked (summary, verbs,
 * resources) and range, not one per identity: each loader batches the usernames asked in one tick
 * (up to 100, the filter's list bound) into `users:in(...)`.
 */
export interface IdentityLoaders {
  summary(username: string, range: ActivityRange): Promise<IdentitySummary | null>;
  verbs(username: string, range: ActivityRange): Promise<VerbCount[]>;
  resources(username: string, range: ActivityRange, top: number): Promise<ResourceCount[]>;
}

/** Per request: `source` is the caller's tenant's store (AuditContext.source), asked only when a batch runs. */
export function createIdentityLoaders(source: () => AuditLogSource): IdentityLoaders {
  const summaries = new Map<string, DataLoader<string, IdentitySummary | null>>();
  const verbs = new Map<string, DataLoader<string, VerbCount[]>>();
  const resources = new Map<string, DataLoader<string, ResourceCount[]>>();
  return {
    summary: (username, range) => loaderIn(summaries, rangeKey(range), (users) => source().identitySummaries({ users, ...range }), null).load(username),
    verbs: (username, range) => loaderIn(verbs, rangeKey(range), (users) => source().identityVerbs({ users, ...range }), []).load(username),
    resources: (username, range, top) =>
      loaderIn(resources, `${String(top)} ${rangeKey(range)}`, (users) => source().identityResources({ users, ...range }, top), []).load(username),
  };
}

function rangeKey({ from, to }: ActivityRange): string {
  return `${from.toISOString()}/${to.toISOString()}`;
}

/** The loader of `key` in `loaders`, made on first use: one per range (and top) in this request. */
function loaderIn<T>(loaders: Map<string, DataLoader<string, T>>, key: string, batch: (users: readonly string[]) => Promise<Map<string, T>>, missing: T): DataLoader<string, T> {
  let loader = loaders.get(key);
  if (!loader) {
    loader = new DataLoader<string, T>(
      async (users) => {
        // A reference can name anyone, '' included (the user of a 401): what no record can hold is not asked for.
        const asked = users.filter(queryable);
        const found = asked.length > 0 ? await batch(asked) : new Map<string, T>();
        return users.map((user) => found.get(user) ?? missing);
      },
      { maxBatchSize: MAX_FILTER_VALUES },
    );
    loaders.set(key, loader);
  }
  return loader;
}

function queryable(username: string): boolean {
  return username.length > 0 && username.length <= MAX_FILTER_VALUE_LENGTH && !/[\uD800-\uDFFF]/u.test(username);
}
