import type { ControlResolvers, EvidenceResolvers, HostResolvers } from '../__generated__/resolvers-types.js';

export const Control: ControlResolvers = {
  __resolveReference: async (ref, { catalogue, record }) => {
    const control = catalogue.controls.find((c) => c.framework === ref.framework && c.id === ref.id);
    return control ? record(control) : null;
  },
  framework: ({ control }) => control.framework,
  id: ({ control }) => control.id,
  title: ({ control }) => control.title,
  description: ({ control }) => control.description,
  status: ({ evaluation }) => evaluation?.status ?? 'NOT_EVALUATED',
  evaluatedAt: ({ evaluation }) => evaluation?.evaluatedAt ?? null,
  evidence: ({ evaluation }) => evaluation?.evidence ?? [],
  failingHosts: ({ evaluation }) => (evaluation?.failingHostIds ?? []).map((id) => ({ id })),
  relatedControls: ({ control }) => control.related,
};

export const Evidence: EvidenceResolvers = {
  host: (evidence) => (evidence.hostId ? { id: evidence.hostId } : null),
};

export const Host: HostResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  failedControls: async (host, _args, { catalogue, record }) => {
    const records = await Promise.all(catalogue.controls.filter((c) => c.evaluator !== null).map(record));
    return records.filter((r) => r.evaluation?.failingHostIds.includes(host.id));
  },
};
