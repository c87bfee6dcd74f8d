import type { ExecutionResult, GraphQLError } from 'graphql';
import { graphql } from '../limits/graphql-realm.js';

/** What one subscriber may have waiting before it is ended as too slow. */
export interface DeliveryLimits {
  /** Events queued for the subscriber at the gateway (its transport has not taken them yet). */
  maxQueuedEvents: number;
  /** Bytes its socket holds unsent (graphql-ws: `bufferedAmount`; SSE: the response's `writableLength`). */
  maxBufferedBytes: number;
}

/** What the fan-out needs from the transport one subscriber is connected by. */
export interface SubscriberTransport {
  readonly kind: 'graphql-ws' | 'sse' | 'other';
  /** Bytes written for this subscriber that its client has not taken yet. */
  bufferedBytes(): number;
  /**
   * The subscriber fell behind: its stream already ends with `result` (an error naming the limit);
   * a transport that can say more (graphql-ws closes the socket with a 4xxx code) does it here.
   */
  fellBehind(result: ExecutionResult, reason: string): void;
}

export interface GroupObserver {
  /** A group opened its upstream subscription. */
  opened?(): void;
  /** A group closed (its last member left, or the upstream ended). */
  closed?(): void;
  /** An event was executed once for `members` subscribers. */
  executed?(members: number): void;
  /** A subscriber was ended for falling behind. */
  slow?(transport: SubscriberTransport['kind'], reason: string): void;
}

export type GroupSource = AsyncIterator<unknown> & { return?(value?: unknown): Promise<IteratorResult<unknown>> };

/** Opens the upstream stream: the stream of event payloads, or a result with errors when it could not be opened. */
export type OpenSource = () => Promise<GroupSource | ExecutionResult>;

/** Executes one event payload into the result every member receives. */
export type ExecuteEvent = (payload: unknown) => ExecutionResult | Promise<ExecutionResult>;

/**
 * One upstream subscription and one execution per event, delivered to every member.
 *
 * Members attach synchronously, even while the upstream is still being opened, so none misses an
 * event. Each member has a queue bounded by `limits`; a member whose client does not keep up is
 * ended with an error (and its socket closed) instead of holding events without bound. The last
 * member out closes the upstream.
 */
export class SubscriptionGroup {
  private readonly members = new Set<GroupMember>();
  private state: 'opening' | 'running' | 'closed' = 'opening';
  private source: GroupSource | null = null;
  private dispatched = 0;
  private readonly ready: Promise<ExecutionResult | null>;

  constructor(
    open: OpenSource,
    private readonly execute: ExecuteEvent,
    private readonly options: {
      limits: DeliveryLimits;
      /** A stream that replays from a cursor accepts members only until its first event went out. */
      resumable: boolean;
      observer?: GroupObserver;
      /** Called once when the group closes (its last member left, or the upstream ended). */
      onClose(group: SubscriptionGroup): void;
    },
  ) {
    this.ready = this.open(open);
  }

  /** Whether a new subscriber may attach to this group now. */
  get joinable(): boolean {
    return this.state !== 'closed' && (!this.options.resumable || this.dispatched === 0);
  }

  get size(): number {
    return this.members.size;
  }

  /**
   * Attaches a subscriber: its stream of results, or the result with errors every member gets when
   * the upstream could not be opened.
   */
  async join(transport: SubscriberTransport): Promise<GroupMember | ExecutionResult> {
    const member = new GroupMember(this, transport, this.options.limits);
    this.members.add(member);
    const failure = await this.ready;
    if (failure) {
      this.members.delete(member);
      return failure;
    }
    return member;
  }

  /** @internal A member ended (unsubscribed, disconnected or fell behind). */
  leave(member: GroupMember): void {
    if (!this.members.delete(member) || this.members.size > 0 || this.state === 'closed') return;
    // While opening, the continuation of open() sees the closed state and closes the source.
    this.close();
    void this.closeSource();
  }

  /** @internal */
  reportSlow(transport: SubscriberTransport, reason: string): void {
    this.options.observer?.slow?.(transport.kind, reason);
  }

  private async open(open: OpenSource): Promise<ExecutionResult | null> {
    let opened: GroupSource | ExecutionResult;
    try {
      opened = await open();
    } catch (error) {
      opened = { errors: [toGraphQLError(error)] } as ExecutionResult;
    }
    if (!isSource(opened)) {
      this.close();
      return opened;
    }
    this.source = opened;
    if (this.closed) {
      // Everyone left while the upstream was being opened.
      void this.closeSource();
      return null;
    }
    this.state = 'running';
    this.options.observer?.opened?.();
    void this.pump(opened);
    return null;
  }

  private async pump(source: GroupSource): Promise<void> {
    let failure: unknown;
    try {
      for (;;) {
        const next = await source.next();
        if (this.closed) return;
        if (next.done) break;
        const result = await this.execute(next.value);
        if (this.closed) return;
        this.dispatched += 1;
        this.options.observer?.executed?.(this.members.size);
        // A member that falls behind leaves the set while it is iterated: Set iteration allows that.
        for (const member of this.members) member.push(result);
      }
    } catch (error) {
      failure = upstreamLost(error);
    }
    if (this.closed) return;
    this.close();
    for (const member of this.members) member.end(failure);
    this.members.clear();
  }

  /** A getter, so checks after an await see what happened meanwhile. */
  private get closed(): boolean {
    return this.state === 'closed';
  }

  private close(): void {
    if (this.state === 'closed') return;
    if (this.state === 'running') this.options.observer?.closed?.();
    this.state = 'closed';
    this.options.onClose(this);
  }

  private async closeSource(): Promise<void> {
    const source = this.source;
    this.source = null;
    try {
      await source?.return?.();
    } catch {
      // The upstream is going away either way; its error has no one left to go to.
    }
  }
}

/** One subscriber's view of a group: an async iterator over the shared results, with a bounded queue. */
export class GroupMember implements AsyncIterableIterator<ExecutionResult> {
  private queue: ExecutionResult[] = [];
  private waiting: { resolve(result: IteratorResult<ExecutionResult>): void; reject(error: unknown): void } | null = null;
  /** Set when no more events will be queued: the stream ends (or throws `error`) once the queue is empty. */
  private ending: { error: unknown } | null = null;
  private finished = false;

  constructor(
    private readonly group: SubscriptionGroup,
    private readonly transport: SubscriberTransport,
    private readonly limits: DeliveryLimits,
  ) {}

  /** @internal */
  push(result: ExecutionResult): void {
    if (this.ending || this.finished) return;
    if (this.waiting) {
      const waiting = this.waiting;
      this.waiting = null;
      waiting.resolve({ done: false, value: result });
    } else {
      this.queue.push(result);
    }
    const queued = this.queue.length;
    if (queued > this.limits.maxQueuedEvents) {
      this.fallBehind(`${queued} events queued (gateway.subscriptions.maxQueuedEvents is ${this.limits.maxQueuedEvents})`);
      return;
    }
    const buffered = this.transport.bufferedBytes();
    if (buffered > this.limits.maxBufferedBytes) {
      this.fallBehind(`${buffered} bytes unsent (gateway.subscriptions.maxBufferedBytes is ${this.limits.maxBufferedBytes})`);
    }
  }

  /** @internal The upstream ended (or failed): finish after what is queued. */
  end(error: unknown): void {
    if (this.ending || this.finished) return;
    this.ending = { error };
    this.settleWaiting();
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve({ done: false, value: queued });
    if (this.ending && !this.finished) {
      this.finished = true;
      const { error } = this.ending;
      return error === undefined ? Promise.resolve({ done: true, value: undefined }) : Promise.reject(toGraphQLError(error));
    }
    if (this.finished) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    this.finish();
    return Promise.resolve({ done: true, value: undefined });
  }

  throw(): Promise<IteratorResult<ExecutionResult>> {
    return this.return();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.queue = [];
    this.waiting?.resolve({ done: true, value: undefined });
    this.waiting = null;
    this.group.leave(this);
  }

  private fallBehind(reason: string): void {
    const message = `Subscriber too slow: ${reason}. Subscribe again with after: <the id of the last event you received> to resume.`;
    const result: ExecutionResult = { errors: [slowConsumerError(message)] };
    // What is queued is dropped: the client resumes from its cursor instead.
    this.queue = [result];
    this.ending = { error: undefined };
    this.group.leave(this);
    this.group.reportSlow(this.transport, reason);
    this.transport.fellBehind(result, reason);
  }

  private settleWaiting(): void {
    if (!this.waiting || this.queue.length > 0 || !this.ending) return;
    const waiting = this.waiting;
    this.waiting = null;
    this.finished = true;
    if (this.ending.error === undefined) waiting.resolve({ done: true, value: undefined });
    else waiting.reject(toGraphQLError(this.ending.error));
  }
}

function isSource(value: GroupSource | ExecutionResult): value is GroupSource {
  return typeof (value as Partial<GroupSource>).next === 'function';
}

function toGraphQLError(error: unknown): GraphQLError {
  if (error instanceof Error && error.name === 'GraphQLError') return error as GraphQLError;
  return new graphql.GraphQLError(error instanceof Error ? error.message : String(error), { originalError: error instanceof Error ? error : undefined });
}

/**
 * The upstream broke mid-stream (a subgraph replica died, its socket closed): the transport's error is
 * often no Error at all (a WebSocket ErrorEvent), so say what happened and how to carry on.
 */
function upstreamLost(error: unknown): GraphQLError {
  if (error instanceof Error && error.name === 'GraphQLError') return error as GraphQLError;
  const detail = error instanceof Error ? error.message : typeof (error as { message?: unknown } | null)?.message === 'string' ? (error as { message: string }).message : '';
  const message = `The subgraph stream of this subscription was lost${detail ? ` (${detail})` : ''}. Subscribe again with after: <the id of the last event you received> to resume.`;
  return new graphql.GraphQLError(message, { extensions: { code: 'UPSTREAM_UNAVAILABLE' }, originalError: error instanceof Error ? error : undefined });
}

/** RATE_LIMITED (the closed set of lib/src/errors.ts) with the reason, so a client can tell it from a request limit. */
function slowConsumerError(message: string): GraphQLError {
  return new graphql.GraphQLError(message, { extensions: { code: 'RATE_LIMITED', reason: 'SLOW_CONSUMER' } });
}
