import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The subgraph registry: names, default ports and where each subgraph's SDL lives. */
export const SUBGRAPH_NAMES = ['hosts', 'cluster', 'audit', 'compliance', 'alerts'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

export const DEFAULT_PORTS: Record<SubgraphName, number> = {
  hosts: 4001,
  cluster: 4002,
  audit: 4003,
  compliance: 4004,
  alerts: 4005,
};

export const GATEWAY_DEFAULT_PORT = 4000;

export function defaultSubgraphUrl(name: SubgraphName): string {
  return `http://localhost:${DEFAULT_PORTS[name]}/graphql`;
}

export function subgraphSchemaPath(name: SubgraphName): string {
  return fileURLToPath(new URL(`../subgraphs/${name}/schema.graphql`, import.meta.url));
}

export function readSubgraphSdl(name: SubgraphName): string {
  return readFileSync(subgraphSchemaPath(name), 'utf8');
}

export const SUPERGRAPH_PATH = fileURLToPath(new URL('./supergraph.graphql', import.meta.url));
/** The client-facing API schema (no federation machinery), input to the SDK codegen. */
export const API_SCHEMA_PATH = fileURLToPath(new URL('./schema.graphql', import.meta.url));
