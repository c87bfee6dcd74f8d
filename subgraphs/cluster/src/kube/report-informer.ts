import { setTimeout as delay } from 'node:timers/promises';
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '@vigil/lib/logger';
import { collectionPath, isRecord, toKubeObject, type KubeObject, type KubeResource } from './kube-object.js';
import { describeKubeError, KubeApiError, KubeRestClient, statusCodeOf } from './kube-rest.js';

/*
 * Why not client-node's informer (makeInformer / ListWatch, @kubernetes/client-node 2.0.1, dist/cache.js)?
 * It lists, watches from the list's resourceVersion, follows ADDED/MODIFIED/DELETED and BOOKMARK
 * resourceVersions, relists on 410 (HTTP status or ERROR event) and then emits deletes for objects
 * that vanished. But:
 *  - any other error (connection reset, 401/403/5xx, a failed list) fires `error` and the informer
 *    STOPS: restarting and backing off is left to the caller, and `start()` resets its backoff;
 *  - it never asks for bookmarks: its watch query is fixed to resourceVersion + selectors, so
 *    `allowWatchBookmarks` cannot be set (BOOKMARK handling exists but is never triggered);
 *  - `stop()` aborts the request and the abort comes back as an `error` event;
 *  - it keys its cache by namespace/name, so an object deleted and re-created under the same name
 *    while disconnected surfaces as an update, never as a delete of the old uid;
 *  - callbacks are synchronous and unawaited: no way to wait for an async handler (a store write)
 *    before moving the resume point, and a throwing callback becomes an unhandled rejection.
 * So this is a small ListWatch loop of our own over client-node's `Watch` (streaming, auth, TLS) and
 * its HTTP layer for lists (see KubeRestClient), with the reflector's rules from client-go.
 */

export interface InformerHandler {
  onUpsert(object: KubeObject): Promise<void>;
  onDelete(object: KubeObject): Promise<void>;
}

export type InformerStatus =
  /** A list or a watch event (bookmarks included) was processed; `objects` are known now. */
  | { type: 'synced'; at: Date; objects: number }
  /** A watch stream was accepted (HTTP 200). */
  | { type: 'connected' }
  | { type: 'error'; message: string };

export interface ReportInformerOptions {
  kubeConfig: KubeConfig;
  resource: KubeResource;
  /** Only this namespace (namespaced resources). @default all namespaces */
  namespace?: string;
  handler: InformerHandler;
  logger: Logger;
  onStatus?: (status: InformerStatus) => void;
  /** Told when a full list starts (metrics: kube/informer-metrics.ts). */
  onRelist?: () => void;
  /** First retry delay after a failure; doubles per consecutive failure. @default 1000 */
  backoffInitialMs?: number;
  /** Ceiling of the retry delay. @default 30000 */
  backoffMaxMs?: number;
  /** Items per list page (`limit`; 0 = unpaged). @default 500 */
  pageSize?: number;
  /** Server-side watch timeout; randomised in [t, 2t) like client-go's reflector. @default 300 */
  watchTimeoutSeconds?: number;
}

type WatchEnd =
  | { kind: 'stopped' }
  /** 410 Gone/Expired: the resume point is older than the server's history. */
  | { kind: 'expired'; message: string }
  /** The server (timeoutSeconds) or client-node's inactivity timer ended an intact stream. */
  | { kind: 'closed' }
  /** An accepted stream broke (connection reset, proxy cut). */
  | { kind: 'interrupted'; error: unknown }
  /** The watch could not start, the server sent an ERROR event, or the handler failed. */
  | { kind: 'failed'; error: unknown; relist: boolean };

interface RawEvent {
  type: string;
  object: unknown;
}

/** A handler failure: the object was not taken, so the next relist must offer it again. */
class HandlerError extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'HandlerError';
  }
}

/** A watch shorter than this with no event counts as a failure (client-go: "very short watch"). */
const SHORT_WATCH_MS = 1000;

/**
 * List + watch of one collection on one cluster, delivering each object change once to an async
 * handler, in order, one at a time:
 *
 * - Start: a (paged) list; every object is an upsert; the watch starts at the list's resourceVersion.
 * - Resume: after the stream ends or breaks, the watch restarts at the last resourceVersion seen
 *   (events and bookmarks — bookmarks are requested), so nothing is replayed and nothing is missed.
 * - 410 Gone/Expired (an ERROR event, or HTTP 410): relist and diff against the known objects —
 *   deletes for uids that vanished, upserts only for objects whose resourceVersion changed.
 * - Dedupe: objects are known by uid with their last delivered resourceVersion; an event or list item
 *   with the same uid and resourceVersion is not delivered again, a delete only for a known uid.
 * - Failures (list errors, refused watches, ERROR events) are reported through `onStatus` and retried
 *   with exponential backoff (jittered, capped). A handler that throws gets the object again after
 *   the backoff: the known state only advances when the handler succeeded, and a relist re-offers it.
 */
export class ReportInformer {
  private readonly known = new Map<string, KubeObject>();
  private resourceVersion: string | null = null;
  private readonly rest: KubeRestClient;
  private readonly watch: Watch;
  private readonly path: string;
  private readonly stopController = new AbortController();
  private currentWatch: AbortController | undefined;
  private running: Promise<void> | undefined;
  private failures = 0;

  constructor(private readonly options: ReportInformerOptions) {
    this.rest = new KubeRestClient(options.kubeConfig);
    this.watch = new Watch(options.kubeConfig);
    this.path = collectionPath(options.resource, options.namespace);
  }

  /** The resourceVersion the next watch resumes from; null before the first list or after a 410. */
  get lastResourceVersion(): string | null {
    return this.resourceVersion;
  }

  /** Objects currently known (delivered and not deleted). */
  get size(): number {
    return this.known.size;
  }

  start(): void {
    if (this.running || this.stopped) return;
    this.running = this.run().catch((error: unknown) => {
      // run() handles its own failures; reaching here is a bug, not a condition to retry blindly.
      this.options.logger.error({ err: describeKubeError(error) }, 'informer loop crashed');
      this.report({ type: 'error', message: `informer stopped: ${describeKubeError(error)}` });
    });
  }

  /**
   * Stops listing and watching and waits for the loop to end. With `purge`, every known object is
   * then delivered as deleted — for when the collection itself went away (its CRD was removed).
   */
  async stop(options: { purge?: boolean } = {}): Promise<void> {
    this.stopController.abort();
    this.currentWatch?.abort();
    await this.running;
    if (options.purge) {
      for (const object of [...this.known.values()]) {
        try {
          await this.options.handler.onDelete(object);
          this.known.delete(object.metadata.uid);
        } catch (error) {
          this.options.logger.warn({ err: describeKubeError(error), name: object.metadata.name }, 'delete on purge failed');
        }
      }
    }
  }

  private get stopped(): boolean {
    return this.stopController.signal.aborted;
  }

  private async run(): Promise<void> {
    const { logger } = this.options;
    while (!this.stopped) {
      if (this.resourceVersion === null) {
        try {
          await this.relist();
          this.failures = 0;
        } catch (error) {
          if (this.stopped) return;
          this.fail(error instanceof HandlerError ? 'handler failed' : 'list failed', error);
          await this.backoff();
          continue;
        }
      }
      const startedAt = Date.now();
      const { end, delivered } = await this.watchOnce(this.resourceVersion ?? '');
      const lasted = Date.now() - startedAt;
      switch (end.kind) {
        case 'stopped':
          return;
        case 'expired':
          // The history we would resume from is gone: the reflector relists at once.
          logger.info({ message: end.message }, 'watch expired; relisting');
          this.resourceVersion = null;
          break;
        case 'closed':
          if (delivered === 0 && lasted < SHORT_WATCH_MS) {
            logger.warn('watch closed immediately without events');
            await this.backoff();
          } else {
            this.failures = 0;
          }
          break;
        case 'interrupted':
          // An established stream broke: resume from where it stopped, after a short pause.
          if (delivered > 0 || lasted >= SHORT_WATCH_MS) this.failures = 0;
          logger.warn({ err: describeKubeError(end.error), resourceVersion: this.resourceVersion }, 'watch interrupted; resuming');
          await this.backoff();
          break;
        case 'failed':
          this.fail(end.error instanceof HandlerError ? 'handler failed' : 'watch failed', end.error);
          if (end.relist) this.resourceVersion = null;
          await this.backoff();
          break;
      }
    }
  }

  private fail(what: string, error: unknown): void {
    const message = describeKubeError(error);
    this.options.logger.warn({ err: message, path: this.path }, what);
    this.report({ type: 'error', message: `${what}: ${message}` });
  }

  private report(status: InformerStatus): void {
    try {
      this.options.onStatus?.(status);
    } catch (error) {
      this.options.logger.error({ err: describeKubeError(error) }, 'status listener failed');
    }
  }

  private synced(): void {
    this.report({ type: 'synced', at: new Date(), objects: this.known.size });
  }

  private async backoff(): Promise<void> {
    const { backoffInitialMs = 1000, backoffMaxMs = 30_000 } = this.options;
    const base = Math.min(backoffMaxMs, backoffInitialMs * 2 ** Math.min(this.failures, 30));
    this.failures += 1;
    // ±20% jitter so that many informers failing together (an API server restart) do not retry in step.
    const wait = Math.min(backoffMaxMs, base * (0.8 + Math.random() * 0.4));
    await delay(wait, undefined, { signal: this.stopController.signal }).catch(() => undefined);
  }

  private async listAll(limit: number): Promise<{ items: KubeObject[]; resourceVersion: string }> {
    const { resource } = this.options;
    const items: KubeObject[] = [];
    let continueToken: string | undefined;
    let resourceVersion: string;
    do {
      const page = await this.rest.getJson(
        this.path,
        { labelSelector: resource.labelSelector, limit: limit > 0 ? String(limit) : undefined, continue: continueToken },
        this.stopController.signal,
      );
      if (!isRecord(page) || !isRecord(page.metadata) || !Array.isArray(page.items)) throw new Error(`GET ${this.path}: not a list`);
      for (const item of page.items) {
        const object = toKubeObject(item, resource);
        if (object) items.push(object);
        else this.options.logger.warn({ path: this.path }, 'list item without metadata.name/uid/resourceVersion skipped');
      }
      resourceVersion = typeof page.metadata.resourceVersion === 'string' ? page.metadata.resourceVersion : '';
      continueToken = typeof page.metadata.continue === 'string' && page.metadata.continue !== '' ? page.metadata.continue : undefined;
    } while (continueToken !== undefined);
    if (resourceVersion === '') throw new Error(`GET ${this.path}: the list carries no resourceVersion`);
    return { items, resourceVersion };
  }

  private async relist(): Promise<void> {
    const { pageSize = 500 } = this.options;
    this.options.onRelist?.();
    let listed: { items: KubeObject[]; resourceVersion: string };
    try {
      listed = await this.listAll(pageSize);
    } catch (error) {
      // A continue token outlived the server's history: client-go's pager falls back to one full list.
      if (statusCodeOf(error) !== 410 || pageSize === 0) throw error;
      listed = await this.listAll(0);
    }
    const { handler } = this.options;
    const present = new Set(listed.items.map((o) => o.metadata.uid));
    // Deletes first: an object re-created under the same name has a new uid, and a consumer keyed
    // by name must see the old one go before the new one arrives.
    for (const [uid, object] of [...this.known]) {
      if (present.has(uid)) continue;
      await this.deliver(() => handler.onDelete(object));
      this.known.delete(uid);
    }
    for (const object of listed.items) {
      if (this.known.get(object.metadata.uid)?.metadata.resourceVersion === object.metadata.resourceVersion) continue;
      await this.deliver(() => handler.onUpsert(object));
      this.known.set(object.metadata.uid, object);
    }
    this.resourceVersion = listed.resourceVersion;
    this.synced();
  }

  private async deliver(call: () => Promise<void>): Promise<void> {
    try {
      await call();
    } catch (error) {
      throw new HandlerError(error);
    }
  }

  /** Applies one watch event; returns how the session must end, if it must. */
  private async apply(event: RawEvent): Promise<WatchEnd | null> {
    const { handler, resource, logger } = this.options;
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED':
      case 'DELETED': {
        const object = toKubeObject(event.object, resource);
        if (!object) {
          logger.warn({ type: event.type }, 'watch event without metadata.name/uid/resourceVersion skipped');
          return null;
        }
        const { uid, resourceVersion } = object.metadata;
        try {
          if (event.type === 'DELETED') {
            if (this.known.has(uid)) {
              await this.deliver(() => handler.onDelete(object));
              this.known.delete(uid);
            }
          } else if (this.known.get(uid)?.metadata.resourceVersion !== resourceVersion) {
            await this.deliver(() => handler.onUpsert(object));
            this.known.set(uid, object);
          }
        } catch (error) {
          return { kind: 'failed', error, relist: true };
        }
        this.resourceVersion = resourceVersion;
        this.synced();
        return null;
      }
      case 'BOOKMARK': {
        // Nothing changed for us up to this resourceVersion: resuming from it skips history we
        // would only filter out, and keeps the resume point inside the server's window.
        const meta = isRecord(event.object) && isRecord(event.object.metadata) ? event.object.metadata : undefined;
        if (typeof meta?.resourceVersion === 'string' && meta.resourceVersion !== '') this.resourceVersion = meta.resourceVersion;
        this.synced();
        return null;
      }
      case 'ERROR': {
        const error = KubeApiError.fromStatus(500, event.object);
        if (error.code === 410) return { kind: 'expired', message: error.message };
        return { kind: 'failed', error, relist: false };
      }
      default:
        logger.warn({ type: event.type }, 'unknown watch event type ignored');
        return null;
    }
  }

  private async watchOnce(from: string): Promise<{ end: WatchEnd; delivered: number }> {
    const { resource, watchTimeoutSeconds = 300 } = this.options;
    const queue: RawEvent[] = [];
    let finished = false;
    let doneError: unknown = null;
    let wake: (() => void) | undefined;
    const wakeUp = () => {
      const resolve = wake;
      wake = undefined;
      resolve?.();
    };
    const onEvent = (type: string, object: unknown) => {
      if (finished) return;
      queue.push({ type, object });
      wakeUp();
    };
    const onDone = (error: unknown) => {
      if (finished) return;
      finished = true;
      doneError = error;
      wakeUp();
    };

    // client-node's Watch takes no AbortSignal and its connect phase can last up to its 30 s request
    // timeout: race it against stop() so stopping never waits on a hung connect.
    const started = this.watch
      .watch(
        this.path,
        {
          resourceVersion: from,
          allowWatchBookmarks: true,
          timeoutSeconds: Math.floor(watchTimeoutSeconds * (1 + Math.random())),
          labelSelector: resource.labelSelector,
        },
        onEvent,
        onDone,
      )
      .then(
        (controller) => controller,
        (error: unknown) => {
          // Thrown before the request (no current cluster, an auth plugin failing).
          onDone(error);
          return undefined;
        },
      );
    const stopSignal = this.stopController.signal;
    let onStop: (() => void) | undefined;
    const stopped = new Promise<'stopped'>((resolve) => {
      onStop = () => resolve('stopped');
      if (stopSignal.aborted) onStop();
      else stopSignal.addEventListener('abort', onStop, { once: true });
    });
    const controller = await Promise.race([started, stopped]);
    // One listener per session would pile up over a long life of reconnects.
    if (onStop) stopSignal.removeEventListener('abort', onStop);
    if (controller === 'stopped') {
      void started.then((c) => c?.abort());
      return { end: { kind: 'stopped' }, delivered: 0 };
    }
    this.currentWatch = controller;
    const connected = !finished;
    if (connected) this.report({ type: 'connected' });

    let delivered = 0;
    let outcome: WatchEnd | null = null;
    for (;;) {
      if (this.stopped) break;
      const next = queue.shift();
      if (next) {
        outcome = await this.apply(next);
        if (next.type !== 'BOOKMARK' && next.type !== 'ERROR') delivered += 1;
        if (outcome) break;
        continue;
      }
      if (finished) break;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    finished = true;
    queue.length = 0;
    controller?.abort();
    this.currentWatch = undefined;

    if (this.stopped) return { end: { kind: 'stopped' }, delivered };
    if (outcome) return { end: outcome, delivered };
    if (statusCodeOf(doneError) === 410) return { end: { kind: 'expired', message: describeKubeError(doneError) }, delivered };
    if (doneError === null || doneError === undefined || isWatchTimeout(doneError)) return { end: { kind: 'closed' }, delivered };
    if (connected && statusCodeOf(doneError) === undefined) return { end: { kind: 'interrupted', error: doneError }, delivered };
    return { end: { kind: 'failed', error: doneError, relist: false }, delivered };
  }
}

/** client-node's Watch aborts a stream after 30 s without data and reports a TimeoutError DOMException. */
function isWatchTimeout(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'name' in error && error.name === 'TimeoutError';
}
