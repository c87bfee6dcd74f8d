import { badInput } from '@vigil/lib/errors';
import type { AlertOutputResolvers, DeadLetterResolvers } from '../__generated__/resolvers-types.js';
import { groupOf } from '../routing/alert-router.js';

export const AlertOutput: AlertOutputResolvers = {
  type: (output) => (output.type === 'alertmanager' ? 'ALERTMANAGER' : output.type === 'slack' ? 'SLACK' : 'WEBHOOK'),
  pending: async (output, _args, { deps }) => (output.routed ? deps.log.groups.pendingCount(groupOf(output.name)) : 0),
  deadLetterCount: async (output, _args, { deps }) => (deps.routing ? deps.routing.deadLetters.length(output.name) : 0),
  deadLetters: async (output, { first }, { deps, alertById, unrestricted }) => {
    const size = first ?? 50;
    if (!Number.isInteger(size) || size < 1 || size > 500) throw badInput('first must be between 1 and 500', { field: 'first' });
    if (!deps.routing) return [];
    const letters = await deps.routing.deadLetters.list(output.name, size);
    // Tenancy: an alert the caller cannot read (alertById answers null) hides its dead letter; one
    // trimmed from the log is shown to unrestricted callers only.
    const alerts = await Promise.all(letters.map((letter) => alertById.load(letter.alertId)));
    const exists = await deps.log.get(letters.map((letter) => letter.alertId));
    return letters.filter((_letter, index) => alerts[index] !== null || (exists[index] === null && unrestricted));
  },
};

export const DeadLetter: DeadLetterResolvers = {
  entryId: (letter) => letter.entryId,
  alert: (letter, _args, { alertById }) => alertById.load(letter.alertId),
};
