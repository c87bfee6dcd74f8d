import { silenceActive } from '@vigil/lib/alerts/silence-match';
import type { SilenceMatchersResolvers, SilenceResolvers } from '../__generated__/resolvers-types.js';

export const Silence: SilenceResolvers = {
  active: (silence, _args, { deps }) => silenceActive(silence, deps.clock()),
};

export const SilenceMatchers: SilenceMatchersResolvers = {
  labels: (matchers) => Object.entries(matchers.labels).map(([key, value]) => ({ key, value })),
};
