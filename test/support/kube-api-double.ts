import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A protocol-faithful Kubernetes API server double for integration tests (DESIGN §8): the real REST
 * paths, list and watch shapes, resourceVersion semantics, Status errors and bearer-token check, for
 * the resources Vigil's informers read (ConfigMaps, CustomResourceDefinitions and any custom resource
 * whose CRD is installed). Only GET is served: state changes come from the test controls, which
 * behave like writes through the API (every change gets the next cluster-wide resourceVersion and is
 * fanned out to the matching watches).
 *
 * Behaviour follows kube-apiserver (k8s.io/apiserver):
 * - resourceVersion is one counter for the whole cluster (the etcd revision); a list's
 *   `metadata.resourceVersion` is the revision it was read at.
 * - list: `labelSelector` (=, ==, !=, in, notin, exists, !exists), `fieldSelector` (metadata.name,
 *   metadata.namespace), `limit` + `continue` (a consistent snapshot; HTTP 410 Expired once the
 *   snapshot's revision is compacted), `resourceVersion` (unset/"0": latest; N: not older than N) and
 *   `resourceVersionMatch=Exact`. Items of built-in kinds carry no apiVersion/kind, as the typed
 *   encoder leaves them out; custom resources keep theirs.
 * - watch (`watch=true`): unset or "0" resourceVersion replays the current state as ADDED events; N
 *   streams every change after N. N older than the retained history is answered HTTP 200 with one
 *   `ERROR` event carrying a 410 `Expired` Status ("too old resource version: N (oldest)"), then the
 *   stream ends — as the watch cache does (storage/cacher/watch_cache.go getAllEventsSinceLocked,
 *   returned through newErrWatcher: errors found after the request was accepted become an ERROR event,
 *   not an HTTP status). N newer than the current revision gets a 504 `Timeout` ERROR event ("Too
 *   large resource version"). A label selector turns a change that leaves the selection into DELETED
 *   and one that enters it into ADDED. `allowWatchBookmarks=true` enables BOOKMARK events (object:
 *   apiVersion, kind and `metadata.resourceVersion` only), sent by `bookmark()`, every
 *   `bookmarkIntervalMs`, and just before a `timeoutSeconds` deadline closes the stream.
 * - errors are `Status` objects: 401 Unauthorized without the right bearer token, 404 NotFound for
 *   unknown paths/objects and for custom resources whose CRD is not installed, 400 BadRequest for
 *   unparseable selectors or resourceVersions, 405 for anything but GET.
 *
 * Controls: `upsert`, `delete`, `dropWatches` (destroys every watch socket: the client sees a broken
 * stream), `expireHistoryBefore` (compaction), `bookmark`, `installCrd` / `removeCrd` (removal deletes
 * the CRD's objects first — DELETED events — then ends their watches), `requests` (what clients asked,
 * never the token), and `kubeconfig(context)` for a client pointing at this double.
 */

export type JsonObject = { [key: string]: unknown };

/** An object as given to `upsert`: apiVersion, kind and metadata.name are required. */
export interface KubeObjectInput extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: JsonObject;
}

export interface KubeObjectRef {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  watch: boolean;
  /** Whether a bearer token was sent, and whether it was the right one. The token is never recorded. */
  auth: 'ok' | 'missing' | 'invalid';
  status: number;
}

export interface KubeApiDoubleOptions {
  /** Bearer token clients must send. @default a random token */
  token?: string;
  /** CRDs (full objects) that `installCrd(name)` can install by name. */
  crdCatalog?: readonly JsonObject[];
  /** Names from the catalogue installed at start. */
  installedCrds?: readonly string[];
  /** Send a BOOKMARK to bookmark-enabled watches this often (kube-apiserver: about once a minute). @default off */
  bookmarkIntervalMs?: number;
  /** First resourceVersion handed out. @default 1000 */
  initialResourceVersion?: number;
}

export interface KubeApiDouble {
  url: string;
  token: string;
  requests: RequestRecord[];
  /** Creates or replaces an object; returns the stored copy (uid, resourceVersion, creationTimestamp set). */
  upsert(object: KubeObjectInput): JsonObject;
  /** Deletes an object; returns its last state (with the deletion's resourceVersion), or undefined if absent. */
  delete(ref: KubeObjectRef): JsonObject | undefined;
  /** Destroys every open watch connection without ending the HTTP response. */
  dropWatches(): void;
  /** Forgets change history below `resourceVersion` (default: everything up to now), like an etcd compaction. */
  expireHistoryBefore(resourceVersion?: string | number): void;
  /** Sends a BOOKMARK at the current resourceVersion to every watch that allowed bookmarks. */
  bookmark(): void;
  installCrd(nameOrCrd: string | JsonObject): JsonObject;
  removeCrd(name: string): void;
  /** The current cluster-wide resourceVersion. */
  resourceVersion(): string;
  /** Open watch streams, optionally only those on one collection path (e.g. `/api/v1/configmaps`). */
  openWatches(path?: string): number;
  /** A kubeconfig (YAML) with one context, cluster and user named `contextName`. */
  kubeconfig(contextName: string, options?: { token?: string }): string;
  close(): Promise<void>;
}

interface ResourceType {
  group: string;
  versions: string[];
  plural: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  /** Built-in kinds are encoded without apiVersion/kind inside lists. */
  builtin: boolean;
}

interface HistoryEntry {
  rv: number;
  typeKey: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: JsonObject;
  previous: JsonObject | undefined;
}

interface Watcher {
  response: ServerResponse;
  path: string;
  typeKey: string;
  apiVersion: string;
  type: ResourceType;
  namespace: string | undefined;
  labels: LabelRequirement[];
  fields: FieldRequirement[];
  bookmarks: boolean;
  timer: NodeJS.Timeout | undefined;
}

class HttpStatus extends Error {
  constructor(readonly status: JsonObject & { code: number }) {
    super(typeof status.message === 'string' ? status.message : 'error');
  }
}

function statusObject(code: number, reason: string, message: string, details?: JsonObject): JsonObject & { code: number } {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

const NOT_FOUND_PATH = () => statusObject(404, 'NotFound', 'the server could not find the requested resource', {});

const CONFIGMAPS: ResourceType = { group: '', versions: ['v1'], plural: 'configmaps', kind: 'ConfigMap', listKind: 'ConfigMapList', namespaced: true, builtin: true };
const NODES: ResourceType = { group: '', versions: ['v1'], plural: 'nodes', kind: 'Node', listKind: 'NodeList', namespaced: false, builtin: true };
const CRDS: ResourceType = {
  group: 'apiextensions.k8s.io',
  versions: ['v1'],
  plural: 'customresourcedefinitions',
  kind: 'CustomResourceDefinition',
  listKind: 'CustomResourceDefinitionList',
  namespaced: false,
  builtin: true,
};

const typeKeyOf = (type: Pick<ResourceType, 'group' | 'plural'>) => `${type.group}/${type.plural}`;
const isRecord = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const clone = <T>(value: T): T => structuredClone(value);
const metaOf = (object: JsonObject): JsonObject => (isRecord(object.metadata) ? object.metadata : {});
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const objectKey = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

export async function startKubeApiDouble(options: KubeApiDoubleOptions = {}): Promise<KubeApiDouble> {
  const token = options.token ?? randomBytes(18).toString('base64url');
  const catalog = new Map<string, JsonObject>();
  for (const crd of options.crdCatalog ?? []) {
    const name = str(metaOf(crd).name);
    if (name) catalog.set(name, crd);
  }
  const requests: RequestRecord[] = [];
  const types = new Map<string, ResourceType>([
    [typeKeyOf(CONFIGMAPS), CONFIGMAPS],
    [typeKeyOf(NODES), NODES],
    [typeKeyOf(CRDS), CRDS],
  ]);
  const stores = new Map<string, Map<string, JsonObject>>();
  const history: HistoryEntry[] = [];
  const watchers = new Set<Watcher>();
  /** Events below this revision are gone: a watch or snapshot needs every event after its revision. */
  let compactedBelow = 0;
  let revision = options.initialResourceVersion ?? 1000;

  const storeOf = (typeKey: string) => {
    let store = stores.get(typeKey);
    if (!store) stores.set(typeKey, (store = new Map()));
    return store;
  };

  function typeForKind(apiVersion: string, kind: string): ResourceType | undefined {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
    for (const type of types.values()) if (type.group === group && type.kind === kind && version !== undefined && type.versions.includes(version)) return type;
    return undefined;
  }

  // ---- writes (test controls) ------------------------------------------------------------------

  function commit(type: ResourceType, kind: HistoryEntry['type'], object: JsonObject, previous: JsonObject | undefined): void {
    const entry: HistoryEntry = { rv: revision, typeKey: typeKeyOf(type), type: kind, object, previous };
    history.push(entry);
    for (const watcher of watchers) if (watcher.typeKey === entry.typeKey) deliver(watcher, entry);
  }

  function upsert(input: KubeObjectInput): JsonObject {
    const type = typeForKind(input.apiVersion, input.kind);
    if (!type) throw new Error(`the server doesn't have a resource type for ${input.apiVersion} ${input.kind} (is its CRD installed?)`);
    const inputMeta = metaOf(input);
    const name = str(inputMeta.name);
    if (!name) throw new Error('metadata.name is required');
    const namespace = type.namespaced ? (str(inputMeta.namespace) ?? 'default') : undefined;
    const store = storeOf(typeKeyOf(type));
    const key = objectKey(namespace, name);
    const previous = store.get(key);
    const previousMeta = previous ? metaOf(previous) : undefined;
    revision += 1;
    const metadata: JsonObject = { ...clone(inputMeta), name };
    if (namespace !== undefined) metadata.namespace = namespace;
    else delete metadata.namespace;
    // The server owns these: a create gets a fresh uid, an update keeps the stored one.
    metadata.uid = previousMeta?.uid ?? randomUUID();
    metadata.creationTimestamp = previousMeta?.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    metadata.resourceVersion = String(revision);
    const stored: JsonObject = { ...clone(input), metadata };
    store.set(key, stored);
    commit(type, previous ? 'MODIFIED' : 'ADDED', stored, previous);
    return clone(stored);
  }

  function remove(ref: KubeObjectRef): JsonObject | undefined {
    const type = typeForKind(ref.apiVersion, ref.kind);
    if (!type) return undefined;
    const namespace = type.namespaced ? (ref.metadata.namespace ?? 'default') : undefined;
    const store = storeOf(typeKeyOf(type));
    const key = objectKey(namespace, ref.metadata.name);
    const previous = store.get(key);
    if (!previous) return undefined;
    store.delete(key);
    revision += 1;
    // The DELETED event carries the object's last state at the deletion's revision (etcd3 watcher).
    const deleted: JsonObject = { ...previous, metadata: { ...metaOf(previous), resourceVersion: String(revision) } };
    commit(type, 'DELETED', deleted, previous);
    return clone(deleted);
  }

  function crdTypes(crd: JsonObject): ResourceType {
    const spec = isRecord(crd.spec) ? crd.spec : {};
    const names = isRecord(spec.names) ? spec.names : {};
    const versions = Array.isArray(spec.versions) ? spec.versions.filter(isRecord).filter((v) => v.served === true).map((v) => str(v.name) ?? '') : [];
    const group = str(spec.group);
    const plural = str(names.plural);
    const kind = str(names.kind);
    if (!group || !plural || !kind || versions.length === 0) throw new Error('CRD needs spec.group, spec.names.plural/kind and a served version');
    return { group, versions, plural, kind, listKind: str(names.listKind) ?? `${kind}List`, namespaced: spec.scope === 'Namespaced', builtin: false };
  }

  function installCrd(nameOrCrd: string | JsonObject): JsonObject {
    const crd = typeof nameOrCrd === 'string' ? catalog.get(nameOrCrd) : nameOrCrd;
    if (!crd) throw new Error(`no CRD named ${String(nameOrCrd)} in the catalogue`);
    const type = crdTypes(crd);
    const spec = isRecord(crd.spec) ? crd.spec : {};
    const established = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const stored = upsert({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: str(metaOf(crd).name) ?? `${type.plural}.${type.group}` },
      spec: clone(spec),
      status: {
        acceptedNames: clone(spec.names),
        conditions: [
          { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: established },
          { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: established },
        ],
        storedVersions: type.versions.slice(0, 1),
      },
    });
    types.set(typeKeyOf(type), type);
    return stored;
  }

  function removeCrd(name: string): void {
    const crd = storeOf(typeKeyOf(CRDS)).get(objectKey(undefined, name));
    if (!crd) return;
    const type = crdTypes(crd);
    const typeKey = typeKeyOf(type);
    // kube-apiserver's CRD finalizer deletes every instance before the CRD itself goes away.
    for (const object of [...storeOf(typeKey).values()]) {
      const meta = metaOf(object);
      remove({ apiVersion: `${type.group}/${type.versions[0] ?? ''}`, kind: type.kind, metadata: { name: str(meta.name) ?? '', namespace: str(meta.namespace) } });
    }
    for (const watcher of [...watchers]) if (watcher.typeKey === typeKey) endWatch(watcher);
    types.delete(typeKey);
    remove({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name } });
  }

  for (const name of options.installedCrds ?? []) installCrd(name);

  // ---- reads -----------------------------------------------------------------------------------

  /** The objects of a type as they were at revision `at` (undoing later history), sorted like etcd keys. */
  function snapshot(typeKey: string, at: number): JsonObject[] {
    const state = new Map(storeOf(typeKey));
    for (let i = history.length - 1; i >= 0; i--) {
      const entry = history[i];
      if (!entry || entry.rv <= at) break;
      if (entry.typeKey !== typeKey) continue;
      const meta = metaOf(entry.object);
      const key = objectKey(str(meta.namespace), str(meta.name) ?? '');
      if (entry.previous) state.set(key, entry.previous);
      else state.delete(key);
    }
    return [...state.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, object]) => object);
  }

  function encodeItem(type: ResourceType, apiVersion: string, object: JsonObject, inList: boolean): JsonObject {
    const copy = clone(object);
    if (inList && type.builtin) {
      delete copy.apiVersion;
      delete copy.kind;
      return copy;
    }
    return { ...copy, apiVersion, kind: type.kind };
  }

  function list(route: CollectionRoute, query: URLSearchParams): JsonObject {
    const { type, apiVersion, namespace } = route;
    const labels = parseLabelSelector(query.get('labelSelector') ?? '');
    const fields = parseFieldSelector(query.get('fieldSelector') ?? '');
    const limit = parseLimit(query.get('limit'));
    const continueToken = query.get('continue') ?? '';
    const requestedRv = query.get('resourceVersion') ?? '';
    const match = query.get('resourceVersionMatch') ?? '';
    let at = revision;
    let after = '';
    if (continueToken) {
      if (requestedRv !== '') throw new HttpStatus(statusObject(400, 'BadRequest', 'specifying resource version is not allowed when using continue'));
      const decoded = decodeContinue(continueToken);
      if (decoded.rv < compactedBelow - 1) {
        throw new HttpStatus(
          statusObject(
            410,
            'Expired',
            'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
          ),
        );
      }
      at = decoded.rv;
      after = decoded.start;
    } else if (requestedRv !== '' && requestedRv !== '0') {
      const rv = parseResourceVersion(requestedRv);
      if (match === 'Exact') {
        if (rv < compactedBelow - 1) throw new HttpStatus(statusObject(410, 'Expired', 'The resourceVersion for the provided list is too old.'));
        if (rv > revision) throw tooLarge(rv);
        at = rv;
      } else if (rv > revision) {
        throw tooLarge(rv);
      }
    } else if (match !== '' && match !== 'NotOlderThan') {
      throw new HttpStatus(statusObject(400, 'BadRequest', `resourceVersionMatch "${match}" is forbidden for resourceVersion "${requestedRv}"`));
    }
    const all = snapshot(typeKeyOf(type), at).filter((object) => matches(object, namespace, labels, fields));
    const keyed = all.map((object) => ({ key: objectKey(str(metaOf(object).namespace), str(metaOf(object).name) ?? ''), object }));
    const remaining = keyed.filter(({ key }) => key > after);
    const page = limit > 0 ? remaining.slice(0, limit) : remaining;
    const metadata: JsonObject = { resourceVersion: String(at) };
    const last = page[page.length - 1];
    if (limit > 0 && remaining.length > page.length && last) {
      metadata.continue = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: at, start: last.key })).toString('base64');
      if (labels.length === 0 && fields.length === 0) metadata.remainingItemCount = remaining.length - page.length;
    }
    return {
      kind: type.listKind,
      apiVersion,
      metadata,
      items: page.map(({ object }) => encodeItem(type, apiVersion, object, true)),
    };
  }

  function tooLarge(rv: number): HttpStatus {
    return new HttpStatus(
      statusObject(504, 'Timeout', `Too large resource version: ${rv}, current: ${revision}`, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 }),
    );
  }

  // ---- watch -----------------------------------------------------------------------------------

  function writeEvent(watcher: Watcher, type: string, object: JsonObject): void {
    if (watcher.response.writableEnded || watcher.response.destroyed) return;
    watcher.response.write(`${JSON.stringify({ type, object })}\n`);
  }

  function deliver(watcher: Watcher, entry: HistoryEntry): void {
    const meta = metaOf(entry.object);
    if (watcher.namespace !== undefined && str(meta.namespace) !== watcher.namespace) return;
    const now = matches(entry.object, watcher.namespace, watcher.labels, watcher.fields);
    const before = entry.previous !== undefined && matches(entry.previous, watcher.namespace, watcher.labels, watcher.fields);
    let type: string | undefined;
    if (entry.type === 'DELETED') type = before ? 'DELETED' : undefined;
    else if (now && before) type = 'MODIFIED';
    else if (now) type = 'ADDED';
    // Left the selection: the cacher tells this watcher it is gone, with the new state.
    else if (before) type = 'DELETED';
    if (type) writeEvent(watcher, type, encodeItem(watcher.type, watcher.apiVersion, entry.object, false));
  }

  function sendBookmark(watcher: Watcher): void {
    if (!watcher.bookmarks) return;
    writeEvent(watcher, 'BOOKMARK', { kind: watcher.type.kind, apiVersion: watcher.apiVersion, metadata: { resourceVersion: String(revision) } });
  }

  function endWatch(watcher: Watcher): void {
    watchers.delete(watcher);
    if (watcher.timer) clearTimeout(watcher.timer);
    if (!watcher.response.writableEnded) watcher.response.end();
  }

  function watch(route: CollectionRoute, query: URLSearchParams, path: string, response: ServerResponse): void {
    const labels = parseLabelSelector(query.get('labelSelector') ?? '');
    const fields = parseFieldSelector(query.get('fieldSelector') ?? '');
    const requestedRv = query.get('resourceVersion') ?? '';
    const from = requestedRv === '' || requestedRv === '0' ? null : parseResourceVersion(requestedRv);
    const timeoutSeconds = query.has('timeoutSeconds') ? Number(query.get('timeoutSeconds')) : 0;
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 0) throw new HttpStatus(statusObject(400, 'BadRequest', `invalid timeoutSeconds: ${query.get('timeoutSeconds') ?? ''}`));
    const watcher: Watcher = {
      response,
      path,
      typeKey: typeKeyOf(route.type),
      apiVersion: route.apiVersion,
      type: route.type,
      namespace: route.namespace,
      labels,
      fields,
      bookmarks: query.get('allowWatchBookmarks') === 'true' || query.get('allowWatchBookmarks') === '1',
      timer: undefined,
    };
    response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    response.flushHeaders();
    if (from === null) {
      for (const object of snapshot(watcher.typeKey, revision)) {
        if (matches(object, watcher.namespace, labels, fields)) writeEvent(watcher, 'ADDED', encodeItem(route.type, route.apiVersion, object, false));
      }
    } else if (from < compactedBelow - 1) {
      writeEvent(watcher, 'ERROR', statusObject(410, 'Expired', `too old resource version: ${from} (${compactedBelow - 1})`));
      response.end();
      return;
    } else if (from > revision) {
      writeEvent(watcher, 'ERROR', tooLarge(from).status);
      response.end();
      return;
    } else {
      for (const entry of history) if (entry.rv > from && entry.typeKey === watcher.typeKey) deliver(watcher, entry);
    }
    watchers.add(watcher);
    if (timeoutSeconds > 0) {
      watcher.timer = setTimeout(() => {
        sendBookmark(watcher);
        endWatch(watcher);
      }, timeoutSeconds * 1000);
    }
    response.on('close', () => {
      watchers.delete(watcher);
      if (watcher.timer) clearTimeout(watcher.timer);
    });
  }

  // ---- HTTP ------------------------------------------------------------------------------------

  interface CollectionRoute {
    type: ResourceType;
    apiVersion: string;
    namespace: string | undefined;
    name: string | undefined;
  }

  function route(pathname: string): CollectionRoute {
    const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
    let group: string;
    let version: string | undefined;
    let rest: string[];
    if (parts[0] === 'api') {
      group = '';
      version = parts[1];
      rest = parts.slice(2);
    } else if (parts[0] === 'apis' && parts.length >= 3) {
      group = parts[1] ?? '';
      version = parts[2];
      rest = parts.slice(3);
    } else {
      throw new HttpStatus(NOT_FOUND_PATH());
    }
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [plural, name, ...extra] = rest;
    const type = plural === undefined ? undefined : types.get(`${group}/${plural}`);
    if (!type || version === undefined || !type.versions.includes(version) || extra.length > 0 || (namespace !== undefined && !type.namespaced)) {
      throw new HttpStatus(NOT_FOUND_PATH());
    }
    return { type, apiVersion: group === '' ? version : `${group}/${version}`, namespace, name };
  }

  function get(target: CollectionRoute, name: string): JsonObject {
    const namespace = target.type.namespaced ? target.namespace : undefined;
    const object = storeOf(typeKeyOf(target.type)).get(objectKey(namespace, name));
    if (!object) {
      const resource = target.type.group === '' ? target.type.plural : `${target.type.plural}.${target.type.group}`;
      throw new HttpStatus(statusObject(404, 'NotFound', `${resource} "${name}" not found`, { name, group: target.type.group, kind: target.type.plural }));
    }
    return encodeItem(target.type, target.apiVersion, object, false);
  }

  function authOf(request: IncomingMessage): RequestRecord['auth'] {
    const header = request.headers.authorization;
    if (!header) return 'missing';
    return header === `Bearer ${token}` ? 'ok' : 'invalid';
  }

  function sendJson(response: ServerResponse, status: number, body: JsonObject): void {
    response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' }).end(JSON.stringify(body));
  }

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://double');
    const query = url.searchParams;
    const isWatch = query.get('watch') === 'true' || query.get('watch') === '1';
    const record: RequestRecord = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(query),
      watch: isWatch,
      auth: authOf(request),
      status: 0,
    };
    requests.push(record);
    try {
      if (record.auth !== 'ok') throw new HttpStatus(statusObject(401, 'Unauthorized', 'Unauthorized'));
      if (request.method !== 'GET') throw new HttpStatus(statusObject(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {}));
      const target = route(url.pathname);
      if (target.name !== undefined) {
        record.status = 200;
        sendJson(response, 200, get(target, target.name));
      } else if (isWatch) {
        record.status = 200;
        watch(target, query, url.pathname, response);
      } else {
        record.status = 200;
        sendJson(response, 200, list(target, query));
      }
    } catch (error) {
      const status = error instanceof HttpStatus ? error.status : statusObject(500, 'InternalError', error instanceof Error ? error.message : String(error));
      record.status = status.code;
      if (!response.headersSent) sendJson(response, status.code, status);
      else response.end();
    }
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const bookmarkTimer = options.bookmarkIntervalMs ? setInterval(() => watchers.forEach(sendBookmark), options.bookmarkIntervalMs) : undefined;
  bookmarkTimer?.unref();

  const double: KubeApiDouble = {
    url,
    token,
    requests,
    upsert,
    delete: remove,
    dropWatches() {
      for (const watcher of [...watchers]) {
        watchers.delete(watcher);
        if (watcher.timer) clearTimeout(watcher.timer);
        watcher.response.socket?.destroy();
      }
    },
    expireHistoryBefore(resourceVersion) {
      const below = resourceVersion === undefined ? revision + 1 : Number(resourceVersion);
      compactedBelow = Math.max(compactedBelow, below);
      while (history.length > 0 && (history[0]?.rv ?? Infinity) < compactedBelow) history.shift();
    },
    bookmark() {
      watchers.forEach(sendBookmark);
    },
    installCrd,
    removeCrd,
    resourceVersion: () => String(revision),
    openWatches: (path) => [...watchers].filter((w) => path === undefined || w.path === path).length,
    kubeconfig: (contextName, kubeconfigOptions) => kubeconfigFor([{ double, context: contextName, token: kubeconfigOptions?.token }]),
    async close() {
      if (bookmarkTimer) clearInterval(bookmarkTimer);
      for (const watcher of watchers) if (watcher.timer) clearTimeout(watcher.timer);
      watchers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return double;
}

/**
 * One kubeconfig (YAML; strings JSON-quoted, which YAML reads as double-quoted scalars) with a
 * context, cluster and user per entry, each named after the context. The doubles speak plain HTTP:
 * @kubernetes/client-node refuses an http:// server unless `insecure-skip-tls-verify` is set.
 */
export function kubeconfigFor(entries: readonly { double: Pick<KubeApiDouble, 'url' | 'token'>; context: string; token?: string | undefined }[]): string {
  const q = (value: string) => JSON.stringify(value);
  const lines = ['apiVersion: v1', 'kind: Config', 'clusters:'];
  for (const { double, context } of entries) lines.push(`- name: ${q(context)}`, '  cluster:', `    server: ${q(double.url)}`, '    insecure-skip-tls-verify: true');
  lines.push('users:');
  for (const { double, context, token } of entries) lines.push(`- name: ${q(context)}`, '  user:', `    token: ${q(token ?? double.token)}`);
  lines.push('contexts:');
  for (const { context } of entries) lines.push(`- name: ${q(context)}`, '  context:', `    cluster: ${q(context)}`, `    user: ${q(context)}`);
  lines.push(`current-context: ${q(entries[0]?.context ?? '')}`, 'preferences: {}', '');
  return lines.join('\n');
}

// ---- selectors (k8s.io/apimachinery/pkg/labels, pkg/fields) --------------------------------------

type LabelRequirement =
  | { key: string; op: 'exists' | '!' }
  | { key: string; op: '=' | '!='; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] };

type FieldRequirement = { field: 'metadata.name' | 'metadata.namespace'; op: '=' | '!='; value: string };

const LABEL_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

function badSelector(message: string): HttpStatus {
  return new HttpStatus(statusObject(400, 'BadRequest', `unable to parse requirement: ${message}`));
}

/** Splits on commas outside parentheses. */
function splitRequirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts.map((part) => part.trim());
}

export function parseLabelSelector(selector: string): LabelRequirement[] {
  if (selector.trim() === '') return [];
  return splitRequirements(selector).map((part): LabelRequirement => {
    const checkKey = (key: string) => {
      if (!LABEL_NAME.test(key)) throw badSelector(`invalid label key "${key}"`);
      return key;
    };
    const checkValue = (value: string) => {
      if (!LABEL_VALUE.test(value)) throw badSelector(`invalid label value: "${value}"`);
      return value;
    };
    const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part);
    if (set) {
      const values = (set[3] ?? '').split(',').map((v) => checkValue(v.trim()));
      return { key: checkKey(set[1] ?? ''), op: set[2] === 'in' ? 'in' : 'notin', values };
    }
    const equality = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (equality) return { key: checkKey(equality[1] ?? ''), op: equality[2] === '!=' ? '!=' : '=', value: checkValue((equality[3] ?? '').trim()) };
    if (part.startsWith('!')) return { key: checkKey(part.slice(1).trim()), op: '!' };
    if (part === '') throw badSelector('found \'\', expected: !, identifier, or \'end of string\'');
    return { key: checkKey(part), op: 'exists' };
  });
}

function parseFieldSelector(selector: string): FieldRequirement[] {
  if (selector.trim() === '') return [];
  return selector.split(',').map((part) => {
    const match = /^([^=!]+)(==|=|!=)(.*)$/.exec(part.trim());
    if (!match) throw new HttpStatus(statusObject(400, 'BadRequest', `invalid selector: '${selector}'; can't understand '${part}'`));
    const field = match[1] ?? '';
    if (field !== 'metadata.name' && field !== 'metadata.namespace') throw new HttpStatus(statusObject(400, 'BadRequest', `field label not supported: ${field}`));
    return { field, op: match[2] === '!=' ? '!=' : '=', value: match[3] ?? '' };
  });
}

function labelsOf(object: JsonObject): Record<string, string> {
  const labels = metaOf(object).labels;
  const out: Record<string, string> = {};
  if (isRecord(labels)) for (const [key, value] of Object.entries(labels)) if (typeof value === 'string') out[key] = value;
  return out;
}

function matches(object: JsonObject, namespace: string | undefined, labels: readonly LabelRequirement[], fields: readonly FieldRequirement[]): boolean {
  const meta = metaOf(object);
  if (namespace !== undefined && str(meta.namespace) !== namespace) return false;
  const have = labelsOf(object);
  for (const requirement of labels) {
    const value = have[requirement.key];
    switch (requirement.op) {
      case 'exists':
        if (value === undefined) return false;
        break;
      case '!':
        if (value !== undefined) return false;
        break;
      case '=':
        if (value !== requirement.value) return false;
        break;
      case '!=':
        if (value === requirement.value) return false;
        break;
      case 'in':
        if (value === undefined || !requirement.values.includes(value)) return false;
        break;
      case 'notin':
        if (value !== undefined && requirement.values.includes(value)) return false;
        break;
    }
  }
  for (const requirement of fields) {
    const value = (requirement.field === 'metadata.name' ? str(meta.name) : str(meta.namespace)) ?? '';
    if ((value === requirement.value) !== (requirement.op === '=')) return false;
  }
  return true;
}

function parseResourceVersion(value: string): number {
  if (!/^\d+$/.test(value)) throw new HttpStatus(statusObject(400, 'BadRequest', `invalid resource version: ${JSON.stringify(value)}`));
  return Number(value);
}

function parseLimit(value: string | null): number {
  if (value === null || value === '') return 0;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 0) throw new HttpStatus(statusObject(400, 'BadRequest', `invalid limit: ${value}`));
  return limit;
}

function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    if (isRecord(decoded) && typeof decoded.rv === 'number' && typeof decoded.start === 'string') return { rv: decoded.rv, start: decoded.start };
  } catch {
    // fall through: answered as the server answers a garbled token
  }
  throw new HttpStatus(statusObject(400, 'BadRequest', 'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)'));
}
