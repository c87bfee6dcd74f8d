/**
 * The request drivers the HTTP benchmarks share: one request of each kind in turn (so every kind
 * sees the same moments of a noisy machine), and a concurrent segment of one kind.
 */
export interface Sample {
  latencies: number[];
  errors: number;
  elapsedMs: number;
}

export function emptySample(): Sample {
  return { latencies: [], errors: 0, elapsedMs: 0 };
}

/** `perKind` requests of each kind, interleaved k1, k2, …, k1, k2, … until done or time is up. */
export async function sequentialRound<K>(run: (kind: K) => Promise<unknown>, order: readonly K[], perKind: number, maxSeconds: number): Promise<Map<K, Sample>> {
  const samples = new Map<K, Sample>(order.map((kind) => [kind, emptySample()]));
  const deadline = performance.now() + maxSeconds * 1000;
  for (let i = 0; i < perKind && performance.now() < deadline; i++) {
    for (const kind of order) {
      const sample = samples.get(kind);
      if (!sample) continue;
      const t0 = performance.now();
      try {
        await run(kind);
        const elapsed = performance.now() - t0;
        sample.latencies.push(elapsed);
        sample.elapsedMs += elapsed;
      } catch {
        sample.errors += 1;
      }
    }
  }
  return samples;
}

/**
 * `perKind` requests of each kind in blocks of `blockSize` of one kind (k1 × blockSize, k2 ×
 * blockSize, …, k1 × blockSize, …) until done or time is up. For kinds served by different
 * processes: a process that has sat idle while the others were served answers its next request
 * late (measured: 1–2 ms on a 2-core VM with five stack processes), so one-by-one interleaving
 * charges that wake-up to whichever kind comes first after a switch. The first `unrecorded`
 * requests of each block take that hit and are not recorded; the rest run with the process awake.
 */
export async function blockRound<K>(
  run: (kind: K) => Promise<unknown>,
  order: readonly K[],
  perKind: number,
  blockSize: number,
  unrecorded: number,
  maxSeconds: number,
): Promise<Map<K, Sample>> {
  if (!(blockSize > unrecorded && unrecorded >= 0)) throw new RangeError(`blockSize (${blockSize}) must exceed unrecorded (${unrecorded})`);
  const samples = new Map<K, Sample>(order.map((kind) => [kind, emptySample()]));
  const deadline = performance.now() + maxSeconds * 1000;
  for (let done = 0; done < perKind && performance.now() < deadline; done += blockSize - unrecorded) {
    const recorded = Math.min(blockSize - unrecorded, perKind - done);
    for (const kind of order) {
      const sample = samples.get(kind);
      if (!sample) continue;
      for (let i = 0; i < unrecorded + recorded; i++) {
        const t0 = performance.now();
        try {
          await run(kind);
          const elapsed = performance.now() - t0;
          if (i < unrecorded) continue;
          sample.latencies.push(elapsed);
          sample.elapsedMs += elapsed;
        } catch {
          sample.errors += 1;
        }
      }
    }
  }
  return samples;
}

/** `concurrency` workers issuing one kind back to back until `count` are done or time is up. */
export async function segment<K>(run: (kind: K) => Promise<unknown>, kind: K, concurrency: number, count: number, maxSeconds: number): Promise<Sample> {
  const sample = emptySample();
  const started = performance.now();
  const deadline = started + maxSeconds * 1000;
  let issued = 0;
  const worker = async () => {
    while (issued < count && performance.now() < deadline) {
      issued += 1;
      const t0 = performance.now();
      try {
        await run(kind);
        sample.latencies.push(performance.now() - t0);
      } catch {
        sample.errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  sample.elapsedMs = performance.now() - started;
  return sample;
}
