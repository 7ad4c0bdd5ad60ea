// A cluster's upstream network filters (Cluster.filters). Petrel runs one kind:
// Istio's metadata_exchange, which pilot puts on outbound mesh clusters so the TCP
// proxy exchanges workload metadata with the server sidecar. Any other filter is
// refused, as Envoy refuses a filter it has no factory for. Compiled by the data
// plane beside the cluster manager (which does not read `filters`) and kept on the
// proxy's runtime (ProxyRuntime.clusterExchanges).
import { Issues, resourceLines } from '../config/issues.ts';
import { asArray, asObj, asString, resolveTypedConfig, type Obj } from '../config/values.ts';
import {
  compileMetadataExchange,
  METADATA_EXCHANGE_TYPE,
  type MetadataExchangeConfig,
} from './metadata-exchange.ts';

export type ClusterExchanges = ReadonlyMap<string, MetadataExchangeConfig>;

/** The metadata exchange of each cluster that has one; error lines name cluster and field. */
export function compileClusterFilters(resources: ReadonlyMap<string, Obj>): {
  exchanges: Map<string, MetadataExchangeConfig>;
  errors: string[];
} {
  const exchanges = new Map<string, MetadataExchangeConfig>();
  const errors: string[] = [];
  for (const [name, c] of resources) {
    const issues = new Issues();
    asArray(c.filters).forEach((f, i) => {
      const fi = issues.at('filters').at(i);
      const o = asObj(f);
      const { typeName, config } = resolveTypedConfig(o?.typed_config);
      if (typeName !== METADATA_EXCHANGE_TYPE)
        return fi.add(
          `upstream network filter ${asString(o?.name) ?? '(unnamed)'} (${typeName ?? 'no typed_config'}) is not supported by this proxy`,
        );
      exchanges.set(name, compileMetadataExchange(config, fi.at('typed_config')));
    });
    errors.push(...resourceLines(name, issues.lines));
  }
  return { exchanges, errors };
}
