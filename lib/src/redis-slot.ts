/**
 * The key prefix of a store whose writes span several of its keys (a MULTI or a Lua script over an
 * item and its indexes): `<prefix>{<prefix><store>}:`. Redis Cluster hashes only the part in braces,
 * so every key of the store lands in one slot and those writes stay valid there; standalone Redis
 * ignores the braces. The price: one store is one slot, served by one node of a cluster.
 */
export function oneSlotPrefix(prefix: string, store: string): string {
  return `${prefix}{${prefix}${store}}:`;
}
