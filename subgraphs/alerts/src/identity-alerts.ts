import DataLoader from 'dataloader';
import { KUBERNETES_USER_LABEL, KUBERNETES_USER_SOURCES, type Alert } from '@vigil/lib/alerts/alert';
import type { AlertLog } from '@vigil/lib/alerts/alert-log';
import { scanAlertLogNewestFirst } from './alert-log-scan.js';

/** The Kubernetes identity an alert is attributed to: its `user` label on AUDIT and CLUSTER alerts (see lib/alerts/alert.ts), else null. */
export function kubernetesUserOfAlert(alert: Alert): string | null {
  if (!KUBERNETES_USER_SOURCES.includes(alert.source)) return null;
  const user = alert.labels?.[KUBERNETES_USER_LABEL];
  return user === undefined || user === '' ? null : user;
}

export type IdentityAlertPage = { alerts: Alert[]; hasNextPage: boolean };

/**
 * Identity.alerts for every identity of a response in one walk of the log, newest first: a DataLoader
 * per (first, after), whose batch reads the log once for all its usernames and stops when each has
 * one alert more than a page (or the scan limit is reached, which leaves hasNextPage true).
 */
export function createIdentityAlertLoaders(log: AlertLog, visible: (alert: Alert) => boolean) {
  const loaders = new Map<string, DataLoader<string, IdentityAlertPage>>();
  return (username: string, first: number, after: string | null): Promise<IdentityAlertPage> => {
    const key = `${String(first)} ${after ?? ''}`;
    let loader = loaders.get(key);
    if (!loader) {
      loader = new DataLoader(async (usernames) => {
        const wanted = new Map(usernames.map((name) => [name, [] as Alert[]]));
        const scan = await scanAlertLogNewestFirst(log, {
          before: after,
          visit: (alert) => {
            const user = kubernetesUserOfAlert(alert);
            const found = user === null ? undefined : wanted.get(user);
            if (found && found.length <= first && visible(alert)) found.push(alert);
          },
          enough: () => [...wanted.values()].every((found) => found.length > first),
        });
        return usernames.map((name) => {
          const found = wanted.get(name) ?? [];
          return { alerts: found.slice(0, first), hasNextPage: found.length > first || scan.ended === 'scan-limit' };
        });
      });
      loaders.set(key, loader);
    }
    return loader.load(username);
  };
}
