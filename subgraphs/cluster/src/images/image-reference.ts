import { isImageName, isTag, normaliseRepository } from '../store/event-facets.js';

/**
 * An image reference as distribution/reference reads it: `[registry/]repository[:tag][@digest]`.
 * `name` is normalised (event-facets.ts normaliseRepository: Docker Hub's spellings are one), so two
 * references to one image compare equal.
 */
export interface ImageReference {
  name: string;
  tag: string | null;
  digest: string | null;
}

const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;

/** null when the text is not an image reference (the caller names the argument in its error). */
export function parseImageReference(text: string): ImageReference | null {
  if (text.length === 0 || text.length > 512) return null;
  const at = text.indexOf('@');
  const digest = at === -1 ? null : text.slice(at + 1);
  const rest = at === -1 ? text : text.slice(0, at);
  if (digest !== null && !DIGEST.test(digest)) return null;
  // A tag follows the last colon after the last slash (a colon before it is a registry port).
  const colon = rest.lastIndexOf(':');
  const hasTag = colon > rest.lastIndexOf('/');
  const name = hasTag ? rest.slice(0, colon) : rest;
  const tag = hasTag ? rest.slice(colon + 1) : null;
  if (!isImageName(name) || (tag !== null && !isTag(tag))) return null;
  return { name: normaliseRepository(name), tag, digest: digest === null ? null : digest.toLowerCase() };
}

/** One image's identity: by digest when known (tags move), else by tag, else by name alone. */
export function canonicalReference(ref: ImageReference): string {
  if (ref.digest !== null) return `${ref.name}@${ref.digest}`;
  return ref.tag === null ? ref.name : `${ref.name}:${ref.tag}`;
}

/** The reference of the image a Trivy report names (registry.server + artifact.repository, tag, digest). */
export function referenceOfTrivyImage(image: { registry: string | null; repository: string; tag: string | null; digest: string | null }): ImageReference {
  return {
    name: normaliseRepository(image.registry === null ? image.repository : `${image.registry}/${image.repository}`),
    tag: image.tag,
    digest: image.digest === null ? null : image.digest.toLowerCase(),
  };
}

/** The registry of a normalised name: its first component when that is a host, else Docker Hub. */
export function registryOf(name: string): { registry: string; repository: string } {
  const [first, ...rest] = name.split('/');
  if (first !== undefined && rest.length > 0 && (first.includes('.') || first.includes(':') || first === 'localhost')) return { registry: first, repository: rest.join('/') };
  return { registry: 'docker.io', repository: name.includes('/') ? name : `library/${name}` };
}
