import type { NormalisedSecurityEvent } from '../store/security-event-store.js';

/**
 * The Kubernetes identity (the audit subgraph's Identity: a `user.username`) a security event is
 * attributed to, or null. Only exact names count:
 * - K8S_AUDIT (the API server's audit webhook): the user who made the request (`user.username`; not the
 *   user impersonated), null when authentication failed (no username);
 * - FALCO events of its Kubernetes audit source (`k8s_audit`: the k8saudit, k8saudit-eks, -gke, -ovh
 *   plugins all emit it): `ka.user.name`, which those plugins read from the same `user.username`.
 * Falco's syscall events name a Unix account (`user.name`: root, www-data, a uid inside a container or
 * on a node), which is no Kubernetes identity and is never mapped to one; its other audit sources
 * (aws_cloudtrail, okta, github...) name accounts of other systems.
 */
export function kubernetesUserOf(event: Pick<NormalisedSecurityEvent, 'source' | 'details'>): string | null {
  const { details } = event;
  switch (event.source) {
    case 'K8S_AUDIT':
      return 'auditId' in details && details.user !== '' ? details.user : null;
    case 'FALCO': {
      if (!('outputFields' in details) || details.source !== FALCO_K8S_AUDIT_SOURCE) return null;
      const user = details.outputFields[FALCO_K8S_USER_FIELD];
      // Falco prints a field it could not read as <NA> (or null).
      return typeof user === 'string' && user !== '' && user !== '<NA>' ? user : null;
    }
    case 'TRIVY':
    case 'KYVERNO':
    case 'KUBE_BENCH':
    case 'CHECKOV':
      return null;
  }
}

/** Falco's event source name for Kubernetes audit records. */
export const FALCO_K8S_AUDIT_SOURCE = 'k8s_audit';
/** The k8saudit plugins' field for the requesting user (`user.username` of the audit event). */
export const FALCO_K8S_USER_FIELD = 'ka.user.name';
