import { createHash } from 'node:crypto';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { getOperationAST, print, type DocumentNode, type ExecutionResult, type GraphQLError } from 'graphql';
import type { Identity } from '@vigil/lib/identity';
import type { Logger } from '@vigil/lib/logger';

/** The context key the gateway puts the verified identity under (HTTP, SSE and graphql-ws alike). */
export const IDENTITY_CONTEXT_KEY = 'vigilIdentity';

interface AccessEntry {
  subject: string | null;
  kind: string | null;
  roles: string[];
  tenants: string[] | 'all' | null;
  operation: string | null;
  operationType: string | null;
  /** SHA-256 of the printed document: which query, without its variables (they may hold secrets). */
  documentHash: string;
  outcome: 'ok' | 'errors' | 'refused' | 'subscribed' | 'subscription-ended';
  errorCodes?: string[];
  durationMs: number;
}

/**
 * The hash of the document as the client sent it, taken at parse time: authorisation removes
 * refused fields from the parsed document, so hashing it later would name another query.
 */
const sourceHashes = new WeakMap<object, string>();
function hashOf(context: unknown, document: DocumentNode): string {
  const known = typeof context === 'object' && context !== null ? sourceHashes.get(context) : undefined;
  return known ?? createHash('sha256').update(print(document)).digest('hex');
}

function who(context: unknown): Pick<AccessEntry, 'subject' | 'kind' | 'roles' | 'tenants'> {
  const identity = (context as Record<string, unknown> | null)?.[IDENTITY_CONTEXT_KEY] as Identity | undefined;
  if (!identity) return { subject: null, kind: null, roles: [], tenants: null };
  return { subject: identity.subject, kind: identity.kind, roles: identity.roles, tenants: identity.tenants === null ? 'all' : identity.tenants.map((t) => t.name) };
}

function codesOf(errors: readonly GraphQLError[] | undefined): string[] {
  return [...new Set((errors ?? []).map((e) => String(e.extensions?.['code'] ?? 'INTERNAL_SERVER_ERROR')))];
}

/**
 * Vigil's own access log: one line per operation with who asked (subject, roles, tenants), which
 * operation (name and document hash, never variables), the outcome and the duration, so a security
 * team can answer "who looked at what". Refusals at validation (limits, authorisation) are logged
 * too. Subscriptions log when they start and when they end.
 */
export function useAccessLog(options: { logger: Logger }): GatewayPlugin {
  const log = options.logger;
  return {
    onParse({ context, params }) {
      const source = typeof params.source === 'string' ? params.source : params.source.body;
      if (typeof context === 'object' && context !== null) sourceHashes.set(context, createHash('sha256').update(source).digest('hex'));
    },
    onValidate({ context, params }) {
      const started = performance.now();
      return ({ valid, result }) => {
        if (valid) return;
        const operation = getOperationAST(params.documentAST);
        const entry: AccessEntry = {
          ...who(context),
          operation: operation?.name?.value ?? null,
          operationType: operation?.operation ?? null,
          documentHash: hashOf(context, params.documentAST),
          outcome: 'refused',
          errorCodes: codesOf(result as readonly GraphQLError[]),
          durationMs: Math.round((performance.now() - started) * 100) / 100,
        };
        log.info(entry, 'access');
      };
    },
    onExecute({ args }) {
      const started = performance.now();
      return {
        onExecuteDone({ result }) {
          const single = !(Symbol.asyncIterator in result) ? (result as ExecutionResult) : null;
          const operation = getOperationAST(args.document, args.operationName);
          const entry: AccessEntry = {
            ...who(args.contextValue),
            operation: operation?.name?.value ?? args.operationName ?? null,
            operationType: operation?.operation ?? null,
            documentHash: hashOf(args.contextValue, args.document),
            outcome: single?.errors?.length ? 'errors' : 'ok',
            ...(single?.errors?.length ? { errorCodes: codesOf(single.errors) } : {}),
            durationMs: Math.round((performance.now() - started) * 100) / 100,
          };
          log.info(entry, 'access');
        },
      };
    },
    onSubscribe({ args }) {
      const started = performance.now();
      const operation = getOperationAST(args.document, args.operationName);
      const base = {
        ...who(args.contextValue),
        operation: operation?.name?.value ?? args.operationName ?? null,
        operationType: 'subscription',
        documentHash: hashOf(args.contextValue, args.document),
      };
      log.info({ ...base, outcome: 'subscribed', durationMs: 0 } satisfies AccessEntry, 'access');
      return {
        onSubscribeResult() {
          let events = 0;
          return {
            onNext() {
              events += 1;
            },
            onEnd() {
              log.info({ ...base, outcome: 'subscription-ended', events, durationMs: Math.round(performance.now() - started) }, 'access');
            },
          };
        },
      };
    },
  };
}
