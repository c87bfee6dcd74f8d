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

async function* untilExpiry(source: AsyncIterable<ExecutionResult>, remainingMs: number): AsyncGenerator<ExecutionResult> {
  const expired = { done: 'expired' as const };
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<typeof expired>((resolve) => {
    timer = setTimeout(() => resolve(expired), Math.max(0, remainingMs));
  });
  const iterator = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), expiry]);
      if (next === expired) {
        yield { errors: [new VigilError('UNAUTHENTICATED', TOKEN_EXPIRED_MESSAGE)] };
        return;
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    clearTimeout(timer);
    await iterator.return?.();
  }
}
