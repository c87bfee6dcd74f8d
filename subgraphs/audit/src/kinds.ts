import { knownKindOfResource } from '@vigil/lib/kube-kinds';

/**
 * Audit events name resources (objectRef.resource), the graph's KubeObject names kinds; the table
 * is lib/kube-kinds.ts, shared with the cluster subgraph.
 */
export { resourceOfKind } from '@vigil/lib/kube-kinds';

/** The kind for a resource name, or null when the table does not know it (no guessing backwards). */
export function kindOfResource(resource: string): string | null {
  return knownKindOfResource(resource) ?? null;
}
