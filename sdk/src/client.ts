import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import { createClient, type Client, type SubscribePayload } from 'graphql-ws';

export interface VigilClientOptions {
  /** The gateway's GraphQL endpoint, e.g. http://localhost:4000/graphql. */
  url: string;
  /** graphql-ws endpoint. @default url with http(s) replaced by ws(s) */
  wsUrl?: string;
  /** Sent with every HTTP request and in the graphql-ws connection_init payload. */
  headers?: Record<string, string>;
  /** @default 30000 */
  timeoutMs?: number;
  /**
   * How often graphql-ws reconnects a dropped WebSocket by itself. A reconnect re-sends each
   * subscription as it was first sent (the same `after`), so a client that resumes from the last
   * alert it received (the `vigil` CLI) sets 0 and resubscribes itself.
   * @default 5
   */
  retryAttempts?: number;
}

/** A GraphQL response with errors. `data` holds whatever part of the result did resolve. */
export class VigilGraphQLError extends Error {
  constructor(
    readonly errors: readonly GraphQLFormattedError[],
    readonly data: unknown,
  ) {
    super(errors.map((e) => `${e.message}${e.extensions?.['code'] ? ` [${String(e.extensions['code'])}]` : ''}`).join('; '));
    this.name = 'VigilGraphQLError';
  }
}

export interface VigilClient {
  query<TData, TVariables extends Record<string, unknown>>(document: TypedDocumentNode<TData, TVariables>, variables?: TVariables): Promise<TData>;
  subscribe<TData, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TData, TVariables>,
    variables?: TVariables,
  ): AsyncIterableIterator<TData>;
  dispose(): Promise<void>;
}

/** A small typed client: queries over HTTP, subscriptions over graphql-ws (Node 22+ has WebSocket built in). */
export function createVigilClient(options: VigilClientOptions): VigilClient {
  let ws: Client | null = null;
  const wsClient = () =>
    (ws ??= createClient({
      url: options.wsUrl ?? options.url.replace(/^http/, 'ws'),
      connectionParams: options.headers ?? {},
      lazy: true,
      retryAttempts: options.retryAttempts ?? 5,
    }));

  return {
    async query(document, variables) {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...options.headers },
        body: JSON.stringify(withDocument(document, { variables: variables ?? {} })),
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
      const text = await response.text();
      let body: { data?: unknown; errors?: GraphQLFormattedError[] };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        throw new Error(`gateway answered ${response.status} with a non-JSON body`);
      }
      if (body.errors && body.errors.length > 0) throw new VigilGraphQLError(body.errors, body.data ?? null);
      if (body.data === undefined || body.data === null) throw new Error(`gateway answered ${response.status} without data`);
      return body.data as never;
    },

    subscribe(document, variables) {
      // graphql-ws requires a string `query`; the gateway takes an empty one beside a documentId as absent.
      const id = documentId(document);
      const payload: SubscribePayload & { documentId?: string } = id ? { query: '', documentId: id, variables: variables ?? {} } : { query: print(document), variables: variables ?? {} };
      const iterator = wsClient().iterate(payload);
      const next = async () => {
        const result = await iterator.next();
        if (result.done) return { done: true as const, value: undefined };
        const { data, errors } = result.value;
        if (errors && errors.length > 0) throw new VigilGraphQLError(errors, data ?? null);
        return { done: false as const, value: data as never };
      };
      const typed: AsyncIterableIterator<never> = {
        next,
        return: async () => {
          await iterator.return?.();
          return { done: true, value: undefined };
        },
        [Symbol.asyncIterator]() {
          return typed;
        },
      };
      return typed;
    },

    async dispose() {
      // graphql-ws rejects dispose() with the failure of a connection attempt still in flight
      // (e.g. to a gateway that is gone); disposing must not throw for that.
      await Promise.resolve(ws?.dispose()).catch(() => undefined);
      ws = null;
    },
  };
}

/**
 * The hash codegen's client preset embeds in each generated document (`__meta__.hash`, see
 * codegen.ts `persistedDocuments`). The gateway knows every one of them
 * (persisted-documents.json), so the SDK sends the id instead of the text: required when the
 * gateway accepts trusted documents only, and smaller on the wire.
 */
function documentId(document: DocumentNode): string | undefined {
  if (!('__meta__' in document)) return undefined;
  const meta: unknown = document.__meta__;
  if (typeof meta !== 'object' || meta === null || !('hash' in meta)) return undefined;
  return typeof meta.hash === 'string' ? meta.hash : undefined;
}

/** An HTTP request body: the document's id when it has one, else its text. */
function withDocument(document: DocumentNode, rest: { variables: Record<string, unknown> }): Record<string, unknown> {
  const id = documentId(document);
  return id ? { documentId: id, ...rest } : { query: print(document), ...rest };
}
