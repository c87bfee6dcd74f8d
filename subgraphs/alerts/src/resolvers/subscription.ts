import { badInput } from '@vigil/lib/errors';
import { isAlertId, type Alert } from '@vigil/lib/alerts/alert';
import type { SubscriptionResolvers } from '../__generated__/resolvers-types.js';
import { matchesAlertFilter } from '../alert-filter.js';

export const Subscription: SubscriptionResolvers = {
  alertRaised: {
    subscribe: async (_parent, { filter, after }, { deps }) => {
      if (after != null && !isAlertId(after)) throw badInput('after must be an alert id such as 1732270309000-0');
      // Without a cursor the client wants what happens from now on: start after the newest alert.
      const from = after ?? (await deps.log.lastId());
      return streamAlerts(deps.log.tail.bind(deps.log), from, filter, deps.maxBufferedPerSubscriber);
    },
    resolve: (payload: { alertRaised: Alert }) => payload.alertRaised,
  },
};

async function* streamAlerts(
  tail: (after: string | null, options: { signal: AbortSignal; maxBuffered?: number }) => AsyncIterable<Alert>,
  from: string | null,
  filter: Parameters<typeof matchesAlertFilter>[1],
  maxBuffered: number,
): AsyncGenerator<{ alertRaised: Alert }> {
  const controller = new AbortController();
  try {
    for await (const alert of tail(from, { signal: controller.signal, maxBuffered })) {
      if (matchesAlertFilter(alert, filter)) yield { alertRaised: alert };
    }
  } finally {
    // The client unsubscribed or disconnected: release the reader.
    controller.abort();
  }
}
