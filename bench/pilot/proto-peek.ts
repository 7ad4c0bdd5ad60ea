// Cheap reads of the few top-level fields a simulated Envoy needs from each
// resource: a cluster's name and discovery type, a ClusterLoadAssignment's or
// RouteConfiguration's name. One client process stands in for hundreds of
// Envoys; fully decoding every cluster of every proxy would make the client,
// not pilot, the bottleneck. protobufjs's Reader walks the top-level tags and
// skips nested messages without decoding them. Field numbers come from the
// loaded protos, never spelled here.
import protobuf from 'protobufjs';
import { lookupEnum, lookupType } from '../../api/envoy/registry.ts';

interface Fields {
  name: number;
  type: number;
  eds: number;
}

let fields: Fields | undefined;

function clusterFields(): Fields {
  if (!fields) {
    const cluster = lookupType('envoy.config.cluster.v3.Cluster');
    fields = {
      name: cluster.fields.name!.id,
      type: cluster.fields.type!.id,
      eds: lookupEnum('envoy.config.cluster.v3.Cluster.DiscoveryType').values.EDS!,
    };
  }
  return fields;
}

/** The string in top-level field `id`, or undefined. */
export function peekString(bytes: Uint8Array, id: number): string | undefined {
  const r = protobuf.Reader.create(bytes);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === id && (tag & 7) === 2) return r.string();
    r.skipType(tag & 7);
  }
  return undefined;
}

/** A cluster's name and whether it is an EDS cluster (whose endpoints come by EDS). */
export function peekCluster(bytes: Uint8Array): { name: string; eds: boolean } {
  const f = clusterFields();
  const r = protobuf.Reader.create(bytes);
  let name = '';
  let type = 0; // STATIC, the proto default
  while (r.pos < r.len) {
    const tag = r.uint32();
    const id = tag >>> 3;
    if (id === f.name && (tag & 7) === 2) name = r.string();
    else if (id === f.type && (tag & 7) === 0) type = r.int32();
    else r.skipType(tag & 7);
  }
  return { name, eds: type === f.eds };
}

/** Field 1 of ClusterLoadAssignment and RouteConfiguration (cluster_name, name). */
export function resourceNameField(typeName: string, field: string): number {
  return lookupType(typeName).fields[field]!.id;
}
