import { readFileSync } from 'node:fs';

/**
 * A deterministic day-and-a-half of API traffic built from the real audit events in ./fixtures: each
 * generated event is a copy of one fixture event (its shape, level, annotations, user agent) with the
 * user, time, object and IDs varied. Nothing is random and nothing depends on today's date: every time
 * is an offset back from `end`, which the test also injects as the subgraph's clock.
 */

export type WorkloadEvent = {
  auditID: string;
  stage: string;
  verb: string;
  level?: string;
  stageTimestamp: string;
  requestReceivedTimestamp?: string;
  user: { username: string; groups?: string[] };
  sourceIPs?: string[];
  userAgent?: string;
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string; apiGroup?: string; apiVersion?: string };
  responseStatus?: { code?: number };
  [key: string]: unknown;
};

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as WorkloadEvent);

const minikube = lines(fixture('audit-log_minikube_k8s-1.29.jsonl'));
const clusterRoleBinding = JSON.parse(fixture('event_clusterrolebinding_create_k8s-1.33.json')) as WorkloadEvent;

function template(index: number): WorkloadEvent {
  const event = minikube[index];
  if (!event) throw new Error(`no minikube fixture line ${String(index + 1)}`);
  // Bodies are not stored anyway; dropping them keeps the batches small.
  const { requestObject: _request, responseObject: _response, ...rest } = event;
  return rest;
}

const T = {
  secretListReceived: template(0),
  secretListForbidden: template(1),
  rolesList: template(2),
  eventsForbidden: template(3),
  podGet: template(4),
  execComplete: template(7),
  secretGet: template(6),
  rbacWrite: clusterRoleBinding,
};

/** 25 callers: every fifth a service account. */
export const USERS = Array.from({ length: 25 }, (_unused, k) =>
  k % 5 === 0 ? `system:serviceaccount:team-${String(k)}:deployer` : `user-${String(k).padStart(2, '0')}`,
);
/** The busiest caller of all (a controller), ahead of every user above. */
export const CONTROLLER = 'system:serviceaccount:kube-system:generic-garbage-collector';

const RBAC_VERBS = ['create', 'update', 'patch', 'delete'] as const;
const RBAC_RESOURCES = ['clusterrolebindings', 'rolebindings', 'clusterroles', 'roles'] as const;

/**
 * `count` requests ending at `end` (exclusive), newest at `end - 37 s`, one every 37 s + 1 µs back.
 * User k makes 4 (k + 1) of the first 1300 requests (all counts distinct, so "top N" has one answer);
 * the controller makes the rest. Request kinds cycle through secret reads, forbidden lists (recorded at
 * RequestReceived and ResponseComplete), pod reads, exec, RBAC writes and reads, forbidden event lists
 * and deployment patches.
 */
export function auditWorkload(options: { end: Date; count: number; idPrefix: string }): WorkloadEvent[] {
  const callers = USERS.flatMap((user, k) => Array.from({ length: 4 * (k + 1) }, () => user));
  // Interleaved: caller i of the list goes to request (i * 7919) mod n, a permutation for n not divisible by 7919.
  const byRequest: string[] = Array.from({ length: options.count }, () => CONTROLLER);
  callers.slice(0, options.count).forEach((user, i) => {
    byRequest[(i * 7919) % options.count] = user;
  });
  const endMicros = BigInt(options.end.getTime()) * 1000n;
  const events: WorkloadEvent[] = [];
  for (let i = 0; i < options.count; i++) {
    const user = byRequest[i] ?? CONTROLLER;
    const person = !user.startsWith('system:');
    const k = USERS.indexOf(user);
    const micros = endMicros - BigInt(i + 1) * 37_000_001n;
    const at = (delta: bigint) => isoMicros(micros + delta);
    const id = `${options.idPrefix}-${String(i).padStart(5, '0')}`;
    const common = {
      auditID: id,
      requestReceivedTimestamp: at(-2000n),
      stageTimestamp: at(0n),
      user: { username: user, groups: person ? ['developers', 'system:authenticated'] : ['system:serviceaccounts', 'system:authenticated'] },
      sourceIPs: i % 4 === 0 ? ['203.0.113.7', `10.0.0.${String(k + 2)}`] : [`10.0.0.${String(k + 2)}`],
      userAgent: person ? (i % 6 === 0 ? 'curl/8.5.0' : 'kubectl/v1.29.3 (linux/amd64) kubernetes/6813625') : 'Go-http-client/2.0',
    };
    const namespace = `team-${String(i % 4)}`;
    switch (i % 10) {
      case 0:
      case 1:
      case 2:
        events.push({ ...T.secretGet, ...common, verb: i % 10 === 2 ? 'list' : 'get', objectRef: { resource: 'secrets', namespace, name: `db-${String(i % 3)}`, apiVersion: 'v1' } });
        break;
      case 3:
        // One request, two records: the policy keeps RequestReceived here.
        events.push({ ...T.secretListReceived, ...common, stageTimestamp: at(-1000n), objectRef: { resource: 'secrets', namespace, apiVersion: 'v1' } });
        events.push({ ...T.secretListForbidden, ...common, objectRef: { resource: 'secrets', namespace, apiVersion: 'v1' } });
        break;
      case 4:
        events.push({ ...T.podGet, ...common, objectRef: { resource: 'pods', namespace, name: `web-${String(i % 5)}`, apiVersion: 'v1' } });
        break;
      case 5:
        events.push({ ...T.execComplete, ...common, objectRef: { resource: 'pods', subresource: 'exec', namespace, name: `web-${String(i % 5)}`, apiVersion: 'v1' } });
        break;
      case 6: {
        const verb = RBAC_VERBS[Math.floor(i / 10) % RBAC_VERBS.length] ?? 'create';
        const resource = RBAC_RESOURCES[Math.floor(i / 40) % RBAC_RESOURCES.length] ?? 'roles';
        const namespaced = resource === 'roles' || resource === 'rolebindings';
        const objectRef = { resource, name: `grant-${String(i)}`, apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1', ...(namespaced ? { namespace } : {}) };
        events.push({ ...T.rbacWrite, ...common, verb, objectRef, responseStatus: { code: verb === 'create' ? 201 : 200 } });
        break;
      }
      case 7:
        events.push({ ...T.rolesList, ...common, objectRef: { resource: 'roles', namespace, apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' } });
        break;
      case 8:
        events.push({ ...T.eventsForbidden, ...common, objectRef: { resource: 'events', namespace, apiVersion: 'v1' } });
        break;
      default:
        events.push({
          ...T.podGet,
          ...common,
          verb: 'patch',
          objectRef: { resource: 'deployments', namespace, name: 'web', apiGroup: 'apps', apiVersion: 'v1' },
          responseStatus: { code: i % 20 === 9 ? 500 : 200 },
        });
    }
  }
  return events;
}

function isoMicros(micros: bigint): string {
  const seconds = micros / 1_000_000n;
  const fraction = micros - seconds * 1_000_000n;
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction.toString().padStart(6, '0')}Z`;
}
