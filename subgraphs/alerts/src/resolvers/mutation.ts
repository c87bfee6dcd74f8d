import { randomUUID } from 'node:crypto';
import { badInput, VigilError } from '@vigil/lib/errors';
import { isAlertId } from '@vigil/lib/alerts/alert';
import type { Silence, SilenceMatchers } from '@vigil/lib/alerts/alert-state';
import { hasAnyMatcher } from '@vigil/lib/alerts/silence-match';
import type { MutationResolvers, SilenceInput } from '../__generated__/resolvers-types.js';
import type { AlertsContext } from '../context.js';
import type { Alert } from '../models.js';

const MAX_COMMENT = 2000;

/** The verified caller's subject: who the lifecycle records. The gateway refuses these mutations without analyst or admin. */
function actor(context: AlertsContext): string {
  if (!context.identity) throw new VigilError('FORBIDDEN', 'This mutation needs a verified caller.');
  return context.identity.subject;
}

function checkComment(comment: string | null | undefined, field: string): string | null {
  if (comment == null || comment.trim() === '') return null;
  if (comment.length > MAX_COMMENT) throw badInput(`${field} is longer than ${MAX_COMMENT} characters`, { field });
  return comment;
}

/** The alert the caller means, if it exists and is within the caller's tenants (else NOT_FOUND: no hint that it exists elsewhere). */
async function alertToActOn(id: string, context: AlertsContext): Promise<Alert> {
  if (!isAlertId(id)) throw badInput('id must be an alert id such as 1732270309000-0', { field: 'id' });
  const alert = await context.alertById.load(id);
  if (!alert) throw new VigilError('NOT_FOUND', `id: no alert ${id}`, { details: { field: 'id' } });
  return alert;
}

function silenceMatchers(input: SilenceInput): SilenceMatchers {
  const labels: Record<string, string> = {};
  for (const [index, label] of (input.labels ?? []).entries()) {
    if (label.key === '') throw badInput(`input.labels[${index}].key must not be empty`, { field: `input.labels[${index}].key` });
    if (Object.hasOwn(labels, label.key)) throw badInput(`input.labels: key ${JSON.stringify(label.key.slice(0, 60))} given twice`, { field: 'input.labels' });
    labels[label.key] = label.value;
  }
  const nonEmpty = (values: readonly string[] | null | undefined, field: string) => {
    for (const [index, value] of (values ?? []).entries()) if (value === '') throw badInput(`input.${field}[${index}] must not be empty`, { field: `input.${field}` });
    return [...new Set(values ?? [])];
  };
  return {
    sources: [...new Set(input.sources ?? [])],
    rules: nonEmpty(input.rules, 'rules'),
    severities: [...new Set(input.severities ?? [])],
    subjects: nonEmpty(input.subjects, 'subjects'),
    labels,
  };
}

export const Mutation: MutationResolvers = {
  acknowledgeAlert: async (_parent, { id, comment }, context) => {
    const by = actor(context);
    const note = checkComment(comment, 'comment');
    const alert = await alertToActOn(id, context);
    const state = await context.deps.lifecycle.acknowledge(alert.id, by, note);
    return { ...alert, state };
  },

  resolveAlert: async (_parent, { id, comment }, context) => {
    const by = actor(context);
    const note = checkComment(comment, 'comment');
    const alert = await alertToActOn(id, context);
    const state = await context.deps.lifecycle.resolve(alert.id, by, note);
    return { ...alert, state };
  },

  silenceAlerts: async (_parent, { input }, context) => {
    const by = actor(context);
    const matchers = silenceMatchers(input);
    if (!hasAnyMatcher(matchers)) throw badInput('input: give at least one matcher (sources, rules, severities, subjects or labels)', { field: 'input' });
    const now = context.deps.clock();
    const expires = new Date(input.expiresAt);
    if (Number.isNaN(expires.getTime())) throw badInput('input.expiresAt is not an ISO-8601 date-time', { field: 'input.expiresAt' });
    if (expires.getTime() <= now.getTime()) throw badInput('input.expiresAt must be in the future', { field: 'input.expiresAt' });
    const comment = checkComment(input.comment, 'input.comment');
    if (comment === null) throw badInput('input.comment must not be empty: say why', { field: 'input.comment' });
    const silence: Silence = {
      id: randomUUID(),
      matchers,
      comment,
      createdBy: by,
      createdAt: now.toISOString(),
      expiresAt: expires.toISOString(),
      expired: null,
      // The creator's tenants bound what it silences (null: every tenant).
      scope: context.identity?.tenants ?? null,
    };
    await context.deps.lifecycle.store.addSilence(silence);
    return silence;
  },

  expireSilence: async (_parent, { id }, context) => {
    const by = actor(context);
    const silence = (await context.deps.lifecycle.store.silences()).find((s) => s.id === id);
    if (!silence || !context.silenceVisible(silence)) throw new VigilError('NOT_FOUND', `id: no silence ${id.slice(0, 60)}`, { details: { field: 'id' } });
    const ended = await context.deps.lifecycle.store.expireSilence(id, { by, at: context.deps.clock().toISOString(), comment: null });
    if (!ended) throw new VigilError('NOT_FOUND', `id: no silence ${id.slice(0, 60)}`, { details: { field: 'id' } });
    return ended;
  },
};
