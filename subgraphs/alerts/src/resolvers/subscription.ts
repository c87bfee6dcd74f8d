import { badInput } from '@vigil/lib/errors';
import { isAlertId, type Alert } from '@vigil/lib/alerts/alert';
import type { SubscriptionResolvers } from '../__generated__/resolvers-types.js';
import { matchesAlertFilter } from '../alert-filter.js';

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
};

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
