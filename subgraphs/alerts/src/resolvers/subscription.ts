import { badInput } from '@vigil/lib/errors';
import { isAlertId, type Alert, type AlertLogEvent } from '@vigil/lib/alerts/alert';
import { applyChange } from '@vigil/lib/alerts/alert-lifecycle';
import type { SubscriptionResolvers } from '../__generated__/resolvers-types.js';
import { matchesAlertFilter } from '../alert-filter.js';
import type { AlertsDeps } from '../context.js';
import type { AlertChangeModel } from '../models.js';

export const Subscription: SubscriptionResolvers = {
  alertRaised: {
    subscribe: async (_parent, { filter, after }, { deps, visible }) => {
      if (after != null && !isAlertId(after)) throw badInput('after must be an alert id such as 1732270309000-0');
      // Without a cursor the client wants what happens from now on: start after the newest alert.
      const from = after ?? (await deps.log.lastId());
      return streamAlerts(deps.log.tail.bind(deps.log), from, (alert) => visible(alert) && matchesAlertFilter(alert, filter), deps.maxBufferedPerSubscriber);
    },
    resolve: (payload: { alertRaised: Alert }) => payload.alertRaised,
  },
  alertChanged: {
    subscribe: async (_parent, { filter, after }, { deps, visible }) => {
      if (after != null && !isAlertId(after)) throw badInput('after must be an alert or change id such as 1732270309000-0', { field: 'after' });
      const from = after ?? (await deps.log.lastId());
      return streamChanges(deps, from, (alert) => visible(alert) && matchesAlertFilter(alert, filter));
    },
    resolve: (payload: { alertChanged: AlertChangeModel }) => payload.alertChanged,
  },
};

async function* streamChanges(deps: AlertsDeps, from: string | null, accept: (alert: Alert) => boolean): AsyncGenerator<{ alertChanged: AlertChangeModel }> {
  const controller = new AbortController();
  try {
    const events: AsyncIterable<AlertLogEvent> = deps.log.tailEvents(from, { signal: controller.signal, maxBuffered: deps.maxBufferedPerSubscriber });
    for await (const event of events) {
      if (event.type !== 'changed') continue;
      const [alert] = await deps.log.get([event.change.alertId]);
      if (!alert || !accept(alert)) continue;
      // Read now, not from a per-subscription cache; the change itself is applied in case the store lags it.
      const [state] = await deps.lifecycle.store.states([alert.id]);
      if (!state) continue;
      yield { alertChanged: { change: event.change, alert: { ...alert, state: applyChange(state, event.change) } } };
    }
  } finally {
    controller.abort();
  }
}

async function* streamAlerts(
  tail: (after: string | null, options: { signal: AbortSignal; maxBuffered?: number }) => AsyncIterable<Alert>,
  from: string | null,
  /** The caller's tenant scope and its filter, applied to every event. */
  accept: (alert: Alert) => boolean,
  maxBuffered: number,
): AsyncGenerator<{ alertRaised: Alert }> {
  const controller = new AbortController();
  try {
    for await (const alert of tail(from, { signal: controller.signal, maxBuffered })) {
      if (accept(alert)) yield { alertRaised: alert };
    }
  } finally {
    // The client unsubscribed or disconnected: release the reader.
    controller.abort();
  }
}
