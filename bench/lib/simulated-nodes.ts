/**
 * The hosts and Kubernetes Nodes the cross-source benchmarks (compliance, correlation) share: host i
 * (`host-0000`…) is a Debian machine whose machine ID is also Node i's (`ip-10-…`, in cluster
 * clusterOf(i)), so Vigil matches them by machine ID although their names differ. The Nodes are
 * served by Kubernetes API doubles (test/support/kube-api-double.ts) and read by the real informers.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OsInfo } from '@vigil/subgraph-hosts/sources/probe/types';
import { kubeconfigFor, startKubeApiDouble, type KubeApiDouble } from '../../test/support/kube-api-double.js';
import { serverResource, type Register } from './resources.js';

export const CLUSTER_NAMES: readonly string[] = ['eu', 'us', 'ap'];

export const machineIdOf = (i: number): string => i.toString(16).padStart(8, '0').repeat(4);
export const nodeNameOf = (i: number): string => `ip-10-${Math.floor(i / 250)}-${i % 250}-1`;
export const hostIdOf = (i: number): string => `host-${String(i).padStart(4, '0')}`;
export const clusterOf = (i: number): string => CLUSTER_NAMES[i % CLUSTER_NAMES.length] ?? 'eu';

/** The os fact of host i's stub probe report: what makes Vigil match it to Node i. */
export function debianOsFact(i: number, hostname: string): OsInfo {
  return { id: 'debian', idLike: [], name: 'Debian GNU/Linux', prettyName: 'Debian GNU/Linux 12 (bookworm)', version: '12', versionId: '12', kernel: '6.1.0', arch: 'x86_64', machineId: machineIdOf(i), hostname };
}

export interface NodeClusters {
  /** Double c is cluster clusterOf(c) and holds the Nodes of the hosts i with i % clusters === c. */
  doubles: KubeApiDouble[];
  /** Vigil's `cluster.kubernetes` config for the doubles: the kubeconfig written to the folder, a context per cluster. */
  kubernetes: { kubeconfigPath: string; contexts: { context: string; name: string }[] };
}

/** Starts `clusters` API doubles (registered with the runner), upserts every host's Node into its cluster's, and writes their kubeconfig into `dir`. */
export async function startNodeClusters(options: { clusters: number; hosts: number; dir: string }, register: Register): Promise<NodeClusters> {
  const doubles: KubeApiDouble[] = [];
  for (let c = 0; c < options.clusters; c++) {
    const double = await startKubeApiDouble();
    register(serverResource({ stop: () => double.close() }));
    doubles.push(double);
  }
  for (let i = 0; i < options.hosts; i++) {
    doubles[i % options.clusters]?.upsert({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: nodeNameOf(i) },
      status: {
        addresses: [{ type: 'InternalIP', address: `10.${Math.floor(i / 250)}.${i % 250}.1` }],
        nodeInfo: { machineID: machineIdOf(i), systemUUID: '', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0-27-amd64', kubeletVersion: 'v1.31.2', containerRuntimeVersion: 'containerd://1.7.22', architecture: 'amd64' },
      },
    });
  }
  const kubeconfigPath = join(options.dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfigFor(doubles.map((double, c) => ({ double, context: clusterOf(c) }))));
  return { doubles, kubernetes: { kubeconfigPath, contexts: doubles.map((_, c) => ({ context: clusterOf(c), name: clusterOf(c) })) } };
}
