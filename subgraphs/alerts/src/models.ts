/** Parent types of the alerts subgraph's resolvers (codegen mappers). */
import type { Alert as LoggedAlert, AlertChangeEvent } from '@vigil/lib/alerts/alert';
import type { AlertState } from '@vigil/lib/alerts/alert-state';

/**
 * An alert from the log; `state` is set when the parent already knows it fresh (a subscription
 * event, a mutation's answer), else the resolvers load it per request.
 */
export type Alert = LoggedAlert & { readonly state?: AlertState };
export type { AlertSubject } from '@vigil/lib/alerts/alert';
export type { AlertAction, Silence, SilenceMatchers } from '@vigil/lib/alerts/alert-state';
export interface IdentityRef {
  username: string;
}
export interface AlertChangeModel {
  change: AlertChangeEvent;
  alert: Alert;
}
export type { DeadLetter } from './routing/dead-letters.js';
export interface AlertOutputModel {
  name: string;
  type: 'alertmanager' | 'slack' | 'webhook';
  routed: boolean;
}
