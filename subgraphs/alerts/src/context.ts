import DataLoader from 'dataloader';
import type { AlertLog } from '@vigil/lib/alerts/alert-log';
import type { Alert } from '@vigil/lib/alerts/alert';

export interface AlertsDeps {
  log: AlertLog;
  maxBufferedPerSubscriber: number;
}

export interface AlertsContext {
  deps: AlertsDeps;
  alertById: DataLoader<string, Alert | null>;
}

export function createAlertsContext(deps: AlertsDeps): AlertsContext {
  return { deps, alertById: new DataLoader((ids) => deps.log.get(ids)) };
}
