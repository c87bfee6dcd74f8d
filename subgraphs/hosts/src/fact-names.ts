import type { CollectorName, FactType } from './facts/types.js';

/** GraphQL enum values (SCREAMING_CASE) for the fact model's camelCase names, both ways. */
const TO_ENUM = {
  os: 'OS',
  packages: 'PACKAGES',
  services: 'SERVICES',
  users: 'USERS',
  groups: 'GROUPS',
  interfaces: 'INTERFACES',
  routes: 'ROUTES',
  listeningPorts: 'LISTENING_PORTS',
  firewall: 'FIREWALL',
  hardware: 'HARDWARE',
  disks: 'DISKS',
  metrics: 'METRICS',
} as const satisfies Record<CollectorName, string>;

export type CollectorEnum = (typeof TO_ENUM)[CollectorName];
export type FactTypeEnum = (typeof TO_ENUM)[FactType];

const FROM_ENUM = new Map(Object.entries(TO_ENUM).map(([name, value]) => [value as string, name as CollectorName]));

export function collectorEnum<T extends CollectorName>(name: T): (typeof TO_ENUM)[T] {
  return TO_ENUM[name];
}

export function factTypeFromEnum(value: FactTypeEnum): FactType {
  const name = FROM_ENUM.get(value);
  if (name === undefined || name === 'metrics') throw new Error(`unknown fact type ${value}`);
  return name;
}
