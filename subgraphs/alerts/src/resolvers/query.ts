import { badInput } from '@vigil/lib/errors';
import { isAlertId, type Alert } from '@vigil/lib/alerts/alert';
import type { QueryResolvers } from '../__generated__/resolvers-types.js';
import { matchesAlertFilter } from '../alert-filter.js';
import { silenceActive } from '@vigil/lib/alerts/silence-match';
import { scanAlertLogNewestFirst } from '../alert-log-scan.js';

export const Query: QueryResolvers = {
  async alerts(_parent, { filter, first, after }, { deps, visible }) {
    const size = first ?? 50;
    if (size < 1 || size > 500) throw badInput('first must be between 1 and 500');
    if (after != null && !isAlertId(after)) throw badInput('after must be an alert id such as 1732270309000-0');
    const matched: Alert[] = [];
    const scan = await scanAlertLogNewestFirst(deps.log, {
      before: after,
      visit: (alert) => {
        if (visible(alert) && matchesAlertFilter(alert, filter)) matched.push(alert);
      },
      // One match past the page says whether a next page exists.
      enough: () => matched.length > size,
    });
    const page = matched.slice(0, size);
    return {
      edges: page.map((node) => ({ cursor: node.id, node })),
      pageInfo: { hasNextPage: matched.length > size || scan.ended === 'scan-limit', endCursor: page.at(-1)?.id ?? null },
    };
  },
  async alert(_parent, { id }, { alertById }) {
    if (!isAlertId(id)) throw badInput('id must be an alert id such as 1732270309000-0', { field: 'id' });
    return alertById.load(id);
  },
  alertOutputs(_parent, _args, { deps }) {
    if (!deps.routing) return [];
    const routed = new Set(deps.routing.router.outputNames);
    return deps.routing.outputs.map((output) => ({ ...output, routed: routed.has(output.name) }));
  },
  async silences(_parent, { includeExpired }, { deps, silenceVisible, silences }) {
    const now = deps.clock();
    return (await silences()).filter((silence) => silenceVisible(silence) && (includeExpired === true || silenceActive(silence, now)));
  },
};
