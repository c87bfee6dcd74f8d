import { severityRank } from '@vigil/lib/alerts/alert';
import { badInput } from '@vigil/lib/errors';
import type { ImageRefResolvers, ImageResolvers, QueryResolvers } from '../__generated__/resolvers-types.js';
import { canonicalReference, parseImageReference, referenceOfTrivyImage, registryOf, type ImageReference } from '../images/image-reference.js';
import type { ImageRecord } from '../models.js';
import type { SecurityEvent } from '../store/security-event-store.js';
import { workloadPage } from './workload-page.js';

function record(parsed: ImageReference): ImageRecord {
  return { reference: canonicalReference(parsed), parsed };
}

function trivyImageOf(event: SecurityEvent) {
  const { details } = event;
  return 'kind' in details && details.kind === 'TRIVY_VULNERABILITY' ? details : null;
}

const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

export const Image: ImageResolvers = {
  // A reference that does not parse names no image.
  __resolveReference: (ref) => {
    const parsed = parseImageReference(ref.reference);
    return parsed ? record(parsed) : null;
  },
  registry: (image) => registryOf(image.parsed.name).registry,
  repository: (image) => registryOf(image.parsed.name).repository,
  digest: async (image, _args, { imageFindings }) => {
    if (image.parsed.digest !== null) return image.parsed.digest;
    // By tag: the digest the reports give, when they agree on one.
    const digests = sorted((await imageFindings(image.parsed)).flatMap((e) => trivyImageOf(e)?.image.digest ?? []));
    return digests.length === 1 ? (digests[0] ?? null) : null;
  },
  tags: async (image, _args, { imageFindings }) => sorted((await imageFindings(image.parsed)).flatMap((e) => trivyImageOf(e)?.image.tag ?? [])),
  vulnerabilities: async (image, _args, { imageFindings, vulnerabilityFindings }) => {
    const worst = new Map<string, number>();
    for (const event of await imageFindings(image.parsed)) {
      const id = trivyImageOf(event)?.vulnerabilityId;
      if (id !== undefined) worst.set(id, Math.max(worst.get(id) ?? 0, severityRank(event.severity)));
    }
    const ids = [...worst.keys()].sort((a, b) => (worst.get(b) ?? 0) - (worst.get(a) ?? 0) || (a < b ? -1 : a > b ? 1 : 0));
    return Promise.all(ids.map(async (id) => ({ id, findings: await vulnerabilityFindings.load(id) })));
  },
  workloads: async (image, { first, after }, { imageFindings }) =>
    workloadPage(
      (await imageFindings(image.parsed)).flatMap((e) => (e.resource ? [e.resource] : [])),
      first,
      after,
    ),
  clusters: async (image, _args, { imageFindings }) => sorted((await imageFindings(image.parsed)).map((e) => e.cluster)).map((name) => ({ name })),
};

export const ImageRef: ImageRefResolvers = {
  image: (ref) => record(referenceOfTrivyImage(ref)),
};

export const imageQueries: Pick<QueryResolvers, 'image'> = {
  image: async (_root, { reference }, { imageFindings }) => {
    const parsed = parseImageReference(reference);
    if (!parsed) throw badInput(`reference: "${reference.slice(0, 80)}" is not an image reference ([registry/]repository[:tag][@digest])`);
    return (await imageFindings(parsed)).length > 0 ? record(parsed) : null;
  },
};
