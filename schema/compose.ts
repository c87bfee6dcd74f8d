import { writeFileSync } from 'node:fs';
import { composeSupergraph } from './composition.js';
import { API_SCHEMA_PATH, SUPERGRAPH_PATH } from './subgraphs.js';

// `npm run compose`: writes the committed supergraph the gateway loads, and the API schema the SDK is generated from.
try {
  const { supergraphSdl, apiSdl } = composeSupergraph();
  writeFileSync(SUPERGRAPH_PATH, supergraphSdl);
  writeFileSync(API_SCHEMA_PATH, apiSdl);
  console.log(`wrote ${SUPERGRAPH_PATH}\nwrote ${API_SCHEMA_PATH}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
