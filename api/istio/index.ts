// Typed Istio resources: import specs and types from here.
export * from './networking/virtual-service.ts';
export * from './networking/destination-rule.ts';
export * from './networking/gateway.ts';
export * from './networking/service-entry.ts';
export * from './networking/sidecar.ts';
export { parseDurationMs, envoyDuration } from './duration.ts';
export type { StringMatch } from './schema-kit.ts';
