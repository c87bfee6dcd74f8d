// Moved to lib: the audit subgraph's VictoriaLogs live tail runs the same rules with the same state.
export * from '@vigil/lib/k8s-audit/rule-state';
