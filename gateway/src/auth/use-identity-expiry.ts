import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import type { ExecutionResult } from 'graphql';
import { systemClock, type Clock } from '@vigil/lib/clock';
import { VigilError } from '@vigil/lib/errors';
import type { Identity } from '@vigil/lib/identity';
import { IDENTITY_CONTEXT_KEY } from '../plugins/use-access-log.js';

/** Milliseconds until the identity's token expires, or null when it never does. */
export function msUntilExpiry(identity: Identity | undefined, clock: Clock): number | null {
  if (!identity?.expiresAt) return null;
  return identity.expiresAt * 1000 - clock().getTime();
}

export const TOKEN_EXPIRED_MESSAGE = 'token expired: subscribe again with a fresh token (resume with after:)';

/**
 * A subscription lives no longer than the token it was opened with: when the token expires the
 * stream ends with an UNAUTHENTICATED error (the last event an SSE client sees); graphql-ws
 * connections are also closed with 4403 by the gateway (gateway.ts). Checked on a timer, not only
 * when the next event arrives, so a quiet stream does not outlive its token.
 */
export function useIdentityExpiry(options: { clock?: Clock } = {}): GatewayPlugin {
  const clock = options.clock ?? systemClock;
  return {
    onSubscribe({ args }) {
      const identity = (args.contextValue as Record<string, unknown>)[IDENTITY_CONTEXT_KEY] as Identity | undefined;
      const remaining = msUntilExpiry(identity, clock);
      if (remaining === null) return;
      return {
        onSubscribeResult({ result, setResult }) {
          if (!(Symbol.asyncIterator in result)) return;
          setResult(untilExpiry(result, remaining));
        },
      };
    },
  };
}

/**
 * The source until the token expires, then one UNAUTHENTICATED result and the end. Not an async
 * generator: a generator's return() waits for the `await` it is suspended in, i.e. for the next
 * event or the expiry, so a client unsubscribing from a quiet stream would leave the upstream
 * open until then. Here return() ends the source at once.
 */
function untilExpiry(source: AsyncIterable<ExecutionResult>, remainingMs: number): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  let expire: () => void = () => undefined;
  const expiry = new Promise<'expired'>((resolve) => {
    expire = () => resolve('expired');
  });
  const timer = setTimeout(expire, Math.max(0, remainingMs));
  let finished = false;
  const finish = async (): Promise<void> => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    await iterator.return?.();
  };
  const stream: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      if (finished) return { done: true, value: undefined };
      const next = await Promise.race([iterator.next(), expiry]);
      if (next === 'expired') {
        if (finished) return { done: true, value: undefined };
        await finish();
        return { done: false, value: { errors: [new VigilError('UNAUTHENTICATED', TOKEN_EXPIRED_MESSAGE)] } };
      }
      if (next.done) await finish();
      return next;
    },
    async return() {
      await finish();
      return { done: true, value: undefined };
    },
    async throw(error: unknown) {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return stream;
    },
  };
  return stream;
}
