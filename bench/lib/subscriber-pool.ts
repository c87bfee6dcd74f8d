import { VigilGraphQLError, createVigilClient, type VigilClient } from '@vigil/sdk/index';

/** Where a delivery came from: its round, its place in the round, and when it was sent (process.hrtime). */
export interface DeliveryStamp {
  round: number;
  seq: string;
  sentNs: bigint;
}

export interface SubscriberPoolOptions<T> {
  gatewayUrl: string;
  gatewayWsUrl: string;
  /** The gateway caller's credentials (see bench-credentials.ts), sent as graphql-ws connectionParams. */
  headers: Record<string, string>;
  subscribe: (client: VigilClient) => AsyncIterable<T>;
  /** The stamp a benchmark put in the payload; null for payloads that are not the benchmark's. */
  stampOf: (payload: T) => DeliveryStamp | null;
  /** Sees every payload, stamped or not (e.g. to count ones a filter should have kept out). */
  onAny?: (payload: T) => void;
  /** Sees each stamped payload the first time a subscriber gets it. */
  onFirst?: (payload: T) => void;
  note: (message: string) => void;
}

/**
 * Subscribers as real clients are: one SDK client and graphql-ws connection each. Tallies delivery
 * latency per round from the sender's stamp, duplicates, payload errors and subscriptions that end.
 */
export class SubscriberPool<T> {
  private readonly clients: VigilClient[] = [];
  private readonly iterators: AsyncIterator<T>[] = [];
  private readonly loops: Promise<void>[] = [];
  private readonly seen: Set<string>[] = [];
  readonly latencies = new Map<number, number[]>();
  readonly warmedUp = new Set<number>();
  duplicates = 0;
  graphqlErrors = 0;
  ended = 0;
  lastDeliveryAt = 0;
  closing = false;

  constructor(private readonly options: SubscriberPoolOptions<T>) {}

  open(count: number): void {
    for (let i = 0; i < count; i++) {
      // Indices continue across calls (openPaced opens in batches).
      const index = this.clients.length;
      const client = createVigilClient({ url: this.options.gatewayUrl, wsUrl: this.options.gatewayWsUrl, headers: this.options.headers });
      const iterator = this.options.subscribe(client)[Symbol.asyncIterator]();
      this.clients.push(client);
      this.iterators.push(iterator);
      this.seen.push(new Set());
      this.loops.push(this.consume(index, iterator));
    }
  }

  /**
   * As open(), in batches with a pause between them: thousands of connections opened in one tick
   * overflow the gateway's listen backlog (511 by default) and wait out SYN retries instead.
   */
  async openPaced(count: number, batch = 250, pauseMs = 100): Promise<void> {
    for (let opened = 0; opened < count; opened += batch) {
      this.open(Math.min(batch, count - opened));
      if (opened + batch < count) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }

  delivered(round: number): number {
    return this.latencies.get(round)?.length ?? 0;
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.allSettled(this.iterators.map((it) => it.return?.()));
    await Promise.allSettled(this.clients.map((c) => c.dispose()));
    await Promise.race([Promise.allSettled(this.loops), new Promise((resolve) => setTimeout(resolve, 5000))]);
  }

  private async consume(index: number, iterator: AsyncIterator<T>): Promise<void> {
    for (;;) {
      let result: IteratorResult<T>;
      try {
        result = await iterator.next();
      } catch (error) {
        if (error instanceof VigilGraphQLError) {
          // A payload with errors; the subscription itself goes on.
          this.graphqlErrors += 1;
          this.options.note(`subscriber ${index}: ${error.message}`);
          continue;
        }
        if (!this.closing) {
          this.ended += 1;
          this.options.note(`subscriber ${index} failed: ${error instanceof Error ? error.message : String(error)}`);
        }
        return;
      }
      if (result.done) {
        if (!this.closing) {
          this.ended += 1;
          this.options.note(`subscriber ${index}: subscription ended`);
        }
        return;
      }
      this.deliver(index, result.value);
    }
  }

  private deliver(index: number, payload: T): void {
    const receivedNs = process.hrtime.bigint();
    this.options.onAny?.(payload);
    const stamp = this.options.stampOf(payload);
    if (!stamp) return;
    this.lastDeliveryAt = performance.now();
    const key = `${stamp.round}:${stamp.seq}`;
    const seen = this.seen[index];
    if (!seen || seen.has(key)) {
      this.duplicates += 1;
      return;
    }
    seen.add(key);
    this.options.onFirst?.(payload);
    if (stamp.round === 0) this.warmedUp.add(index);
    const list = this.latencies.get(stamp.round) ?? [];
    list.push(Number(receivedNs - stamp.sentNs) / 1e6);
    this.latencies.set(stamp.round, list);
  }
}
