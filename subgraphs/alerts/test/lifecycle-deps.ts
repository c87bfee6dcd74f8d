import { createLogger } from '@vigil/lib/logger';
import type { AlertLog } from '@vigil/lib/alerts/alert-log';
import { AlertLifecycle } from '@vigil/lib/alerts/alert-lifecycle';
import { MemoryAlertStateStore } from '@vigil/lib/alerts/memory-alert-state-store';
import type { Clock } from '@vigil/lib/clock';
import type { AlertsDeps } from '../src/context.js';

/** The alerts subgraph's dependencies over a given log, with in-memory lifecycle state. */
export function alertsDeps(log: AlertLog, options: { clock?: Clock; foldWindowMs?: number } = {}): AlertsDeps {
  const clock = options.clock ?? (() => new Date());
  const lifecycle = new AlertLifecycle(log, new MemoryAlertStateStore(clock), { clock, foldWindowMs: options.foldWindowMs ?? 0, logger: createLogger('test', { level: 'silent' }) });
  return { log, maxBufferedPerSubscriber: 100, lifecycle, clock };
}
