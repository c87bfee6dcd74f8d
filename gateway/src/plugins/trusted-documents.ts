import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GatewayConfigBase } from '@graphql-hive/gateway-runtime';
import { z } from 'zod';

type PersistedDocumentsOption = GatewayConfigBase<Record<string, never>>['persistedDocuments'];

/**
 * What codegen's client preset writes (codegen.ts, `persistedDocuments: true`): `sha256:<hex>` → document text.
 * A literal URL relative to this file, not a package resolution, so that the compiled gateway
 * (build.ts) finds the copy it ships beside itself.
 */
export const PERSISTED_DOCUMENTS_PATH = fileURLToPath(new URL('../../../sdk/src/__generated__/persisted-documents.json', import.meta.url));

const manifest = z.record(z.string().regex(/^sha256:[0-9a-f]{64}$/, 'sha256: and a hex digest'), z.string().min(1));

/** The committed manifest, each entry checked against its hash so a hand edit cannot slip a document in. */
export function loadPersistedDocuments(path: string = PERSISTED_DOCUMENTS_PATH): ReadonlyMap<string, string> {
  const documents = manifest.parse(JSON.parse(readFileSync(path, 'utf8')));
  for (const [hash, text] of Object.entries(documents)) {
    if (`sha256:${createHash('sha256').update(text).digest('hex')}` !== hash) throw new Error(`${path}: the document under ${hash} does not hash to it`);
  }
  return new Map(Object.entries(documents));
}

export interface TrustedDocumentsOptions {
  /** Accept only documents from the manifest. @default false */
  enabled: boolean;
  /** With `enabled`, still accept other documents as well (while clients migrate). @default false */
  allowArbitrary: boolean;
}

const refusal = (message: string) => ({ message, extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });

/**
 * The runtime's `persistedDocuments` option. The manifest is always served, so the SDK can send a
 * `documentId` instead of the text whatever the setting; `enabled` decides whether anything else is
 * refused. Over graphql-ws the SDK sends an empty `query` beside the id, because graphql-ws requires
 * a string there and the plugin treats an empty one as absent.
 */
export function trustedDocuments(options: TrustedDocumentsOptions, documents: ReadonlyMap<string, string>): PersistedDocumentsOption {
  return {
    getPersistedOperation: (id) => documents.get(id) ?? null,
    allowArbitraryDocuments: !options.enabled || options.allowArbitrary,
    // The runtime's default extractor also reads `?documentId=` from the request URL, and throws for
    // graphql-ws operations, which have no request.
    extractPersistedOperationId: (params) => {
      if ('documentId' in params && typeof params.documentId === 'string') return params.documentId;
      const persistedQuery: unknown = params.extensions?.['persistedQuery'];
      if (typeof persistedQuery === 'object' && persistedQuery !== null && 'sha256Hash' in persistedQuery && typeof persistedQuery.sha256Hash === 'string') {
        // Apollo's spec sends the bare hex digest; the manifest's keys carry the algorithm.
        return `sha256:${persistedQuery.sha256Hash}`;
      }
      return null;
    },
    customErrors: {
      notFound: refusal('Unknown documentId: this gateway accepts the documents of its own SDK build (sdk/src/__generated__/persisted-documents.json).'),
      keyNotFound: refusal('Send either a query or a documentId.'),
      persistedQueryOnly: refusal('Only trusted documents are accepted: send the documentId of an SDK document instead of its text (gateway.trustedDocuments).'),
    },
  };
}
