// `petrel analyze`'s engine: build the PushContext pilot would build from the
// loaded config, run every analyzer over it, and return the messages sorted
// and de-duplicated. An analyzer that throws is reported as IST0001 and the
// others still run.
import { buildPushContext } from '../model/push-context.ts';
import type { MeshConfig } from '../model/types.ts';
import { Context } from './context.ts';
import { sortedMessages } from './format.ts';
import { MESSAGES } from './messages.ts';
import { ServiceCatalog } from './services.ts';
import type { AnalysisInput, AnalysisMessage, Analyzer } from './types.ts';
import { caCertificateAnalyzer } from './analyzers/dr-ca-certificates.ts';
import { conflictingGatewaysAnalyzer } from './analyzers/conflicting-gateways.ts';
import { conflictingMeshHostsAnalyzer } from './analyzers/vs-conflicting-hosts.ts';
import { destinationHostAnalyzer } from './analyzers/vs-destination-hosts.ts';
import { destinationSubsetAnalyzer } from './analyzers/vs-destination-subsets.ts';
import { gatewayReferenceAnalyzer } from './analyzers/vs-gateways.ts';
import { gatewaySelectorAnalyzer } from './analyzers/gateway-selector.ts';
import { mtlsConflictAnalyzer } from './analyzers/mtls-conflict.ts';
import { portNameAnalyzer } from './analyzers/service-port-names.ts';
import { schemaAnalyzer } from './analyzers/schema.ts';
import { serviceRegistryAnalyzer } from './analyzers/service-registry.ts';
import { subsetSelectsNothingAnalyzer } from './analyzers/dr-subsets.ts';
import { unknownDestinationRuleHostAnalyzer } from './analyzers/dr-host.ts';

export const ANALYZERS: readonly Analyzer[] = [
  schemaAnalyzer,
  serviceRegistryAnalyzer,
  destinationHostAnalyzer,
  destinationSubsetAnalyzer,
  gatewayReferenceAnalyzer,
  conflictingMeshHostsAnalyzer,
  gatewaySelectorAnalyzer,
  conflictingGatewaysAnalyzer,
  subsetSelectsNothingAnalyzer,
  unknownDestinationRuleHostAnalyzer,
  caCertificateAnalyzer,
  portNameAnalyzer,
  mtlsConflictAnalyzer,
];

export interface AnalyzeOptions {
  mesh?: Partial<MeshConfig>;
  analyzers?: readonly Analyzer[];
}

export function analyze(input: AnalysisInput, options: AnalyzeOptions = {}): AnalysisMessage[] {
  const push = buildPushContext(input.snapshot, { mesh: options.mesh });
  const ctx = new Context(input, push, new ServiceCatalog(input.snapshot, push));
  for (const analyzer of options.analyzers ?? ANALYZERS) {
    try {
      analyzer.analyze(ctx);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      ctx.report(MESSAGES.InternalError.make(`${analyzer.name}: ${why}`));
    }
  }
  return sortedMessages(ctx.messages);
}

export { InputBuilder } from './input.ts';
export { isReportedAsMessage } from './analyzers/schema.ts';
export { addPaths, addText } from './load-files.ts';
export { addKube } from './load-kube.ts';
export { messageJson, messageLine } from './format.ts';
export type { AnalysisMessage, Analyzer, LoadProblem } from './types.ts';
