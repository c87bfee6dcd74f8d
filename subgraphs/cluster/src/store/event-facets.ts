import type { SecurityEvent } from './security-event-store.js';

/**
 * What the `rule`, `image` and `tag` filters look at, per source: pure functions of a stored event,
 * used by both stores (these conditions have no index; they filter the walk of the index chosen).
 */

/**
 * The rule or check that fired, in each source's own words: Falco's rule; Kyverno's policy, its rule,
 * and `policy/rule`; the kube-bench test number; the Trivy config-audit or Checkov check id; the
 * Trivy compliance control id. A Trivy vulnerability or an audit-webhook event has none (filter those
 * by `vulnerabilityId` or `eventType`).
 */
export function rulesOf(event: Pick<SecurityEvent, 'source' | 'details'>): string[] {
  const { details } = event;
  if (!('kind' in details)) return event.source === 'FALCO' && 'rule' in details ? [details.rule] : [];
  switch (details.kind) {
    case 'KYVERNO_POLICY':
      return details.rule === null ? [details.policy] : [details.policy, details.rule, `${details.policy}/${details.rule}`];
    case 'KUBE_BENCH':
      return [details.testNumber];
    case 'TRIVY_CONFIG_AUDIT':
    case 'CHECKOV':
      return [details.checkId];
    case 'TRIVY_COMPLIANCE':
      return [details.controlId];
    case 'TRIVY_VULNERABILITY':
      return [];
  }
}

/** An image as events name it: Trivy's report image, or Falco's container.image.* output fields. */
export interface EventImage {
  /** The repository with its registry when known, normalised (see normaliseRepository). */
  repository: string;
  tag: string | null;
  /** The manifest digest (sha256:…), lowercased, when the source gives it. */
  digest: string | null;
}

export function imageOf(event: Pick<SecurityEvent, 'source' | 'details'>): EventImage | null {
  const { details } = event;
  if ('kind' in details) {
    if (details.kind !== 'TRIVY_VULNERABILITY') return null;
    const { registry, repository, tag, digest } = details.image;
    return { repository: normaliseRepository(registry === null ? repository : `${registry}/${repository}`), tag, digest: digest?.toLowerCase() ?? null };
  }
  if (event.source !== 'FALCO' || !('outputFields' in details)) return null;
  const fields = details.outputFields;
  const repository = typeof fields['container.image.repository'] === 'string' ? fields['container.image.repository'] : null;
  if (repository === null || repository === '' || repository === '<NA>') return null;
  const text = (name: string) => {
    const value = fields[name];
    return typeof value === 'string' && value !== '' && value !== '<NA>' ? value : null;
  };
  return { repository: normaliseRepository(repository), tag: text('container.image.tag'), digest: text('container.image.digest')?.toLowerCase() ?? null };
}

const DOCKER_HUB = /^(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\//;

/**
 * One spelling per Docker Hub image: Trivy names Hub images `index.docker.io` + `library/alpine`,
 * Falco `docker.io/library/alpine`, people `alpine`; all become `alpine`. Other registries are kept
 * (`ghcr.io/org/app` is not `org/app`).
 */
export function normaliseRepository(reference: string): string {
  const lower = reference.toLowerCase();
  if (!DOCKER_HUB.test(lower) && lower.split('/').length > 1 && isRegistry(lower.split('/')[0] ?? '')) return lower;
  return lower.replace(DOCKER_HUB, '').replace(/^library\//, '');
}

/** distribution/reference: the first component is a registry when it has a dot or a port, or is localhost. */
function isRegistry(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}

/** An image name without tag or digest: `[registry[:port]/]path`, path components as distribution/reference allows. */
const IMAGE_NAME = /^(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*(?::\d{1,5})?\/)?[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;

export function isImageName(value: string): boolean {
  return value.length <= 255 && IMAGE_NAME.test(value);
}

export function isTag(value: string): boolean {
  return TAG.test(value);
}
