import { KubeConfig } from '@kubernetes/client-node';

/** One cluster Vigil reads: a kubeconfig context, under the name recorded on its events. */
export interface KubeCluster {
  /** The name Vigil records (KubeObject.cluster); the context name unless mapped. */
  name: string;
  context: string;
  /** A KubeConfig whose current context is `context`: one per cluster, created once at start. */
  kubeConfig: KubeConfig;
}

export interface KubeClusterSelection {
  context: string;
  /** @default the context name */
  name?: string;
}

export interface LoadKubeClustersOptions {
  /** Kubeconfig file. Unset: client-node's default discovery (KUBECONFIG, ~/.kube/config, in-cluster). */
  kubeconfigPath?: string;
  /** Contexts to read, one per cluster. Empty: the kubeconfig's current context. */
  contexts: readonly (string | KubeClusterSelection)[];
}

export function loadKubeClusters(options: LoadKubeClustersOptions): KubeCluster[] {
  const base = new KubeConfig();
  if (options.kubeconfigPath !== undefined) base.loadFromFile(options.kubeconfigPath);
  else base.loadFromDefault();
  return kubeClustersFrom(base, options.contexts);
}

/**
 * Splits one loaded kubeconfig into one KubeConfig per selected context. Each gets its own object
 * (client-node keys its HTTP agents and the current cluster/user on it), sharing the parsed entries.
 */
export function kubeClustersFrom(base: KubeConfig, contexts: readonly (string | KubeClusterSelection)[]): KubeCluster[] {
  const selections = contexts.length > 0 ? contexts.map((c) => (typeof c === 'string' ? { context: c } : c)) : [{ context: base.getCurrentContext() }];
  const available = base.getContexts().map((c) => c.name);
  const names = new Set<string>();
  return selections.map(({ context, name = context }) => {
    if (!available.includes(context)) {
      throw new Error(`kubeconfig has no context "${context}" (contexts: ${available.join(', ') || 'none'})`);
    }
    if (names.has(name)) throw new Error(`two clusters are named "${name}": give each context a distinct name`);
    names.add(name);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({ clusters: base.getClusters(), users: base.getUsers(), contexts: base.getContexts(), currentContext: context });
    if (!kubeConfig.getCurrentCluster()) throw new Error(`kubeconfig context "${context}" names no cluster that exists`);
    return { name, context, kubeConfig };
  });
}
