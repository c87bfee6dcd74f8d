/**
 * Coalesces calls made close together into one batch, so concurrent webhook requests share one round
 * trip (and one script run) to Redis instead of one each: group commit.
 *
 * A batch starts on the next macrotask (setImmediate: after the I/O callbacks of this turn, so the
 * requests whose bodies arrived together land in it). While it runs, new calls wait and go together
 * into the next batch (at most `maxBatch` items each), which starts when it is done: one batch at a
 * time, in call order, so a later occurrence never overtakes an earlier one.
 * Each caller's promise settles only with its batch's reply: resolved with its own item of the reply
 * once the whole batch is done, or rejected with the batch's error, so nothing is reported done
 * before it is.
 */
export class MicroBatcher<Item, Result> {
  private pending: { item: Item; resolve: (value: Result) => void; reject: (error: unknown) => void }[] = [];
  private scheduled = false;
  private running = false;
  private readonly maxBatch: number;

  constructor(
    /** Runs one batch; its reply holds one result per item, in order. */
    private readonly run: (items: readonly Item[]) => Promise<readonly Result[]>,
    options: { maxBatch: number },
  ) {
    if (!Number.isInteger(options.maxBatch) || options.maxBatch < 1) throw new Error('maxBatch must be a positive integer');
    this.maxBatch = options.maxBatch;
  }

  add(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => void this.drain());
  }

  private async drain(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending.splice(0, this.maxBatch);
    if (batch.length === 0) return;
    this.running = true;
    try {
      const results = await this.run(batch.map((entry) => entry.item));
      if (results.length !== batch.length) throw new Error(`batch of ${batch.length} answered with ${results.length} results`);
      batch.forEach((entry, i) => entry.resolve(results[i] as Result));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    } finally {
      this.running = false;
      if (this.pending.length > 0) this.schedule();
    }
  }
}
