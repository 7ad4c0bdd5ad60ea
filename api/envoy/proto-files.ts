// Where the Envoy v3 .proto files live and which of them to load.
//
// @grpc/grpc-js-xds ships Envoy's API (envoy-api), cncf/xds (xds + udpa),
// googleapis and protoc-gen-validate under deps/. google/protobuf/descriptor.proto
// (needed by every custom option) comes from protobufjs's own copy.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { EnvoyProtoError } from './errors.ts';

const require = createRequire(import.meta.url);

function packageDir(name: string): string {
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch {
    throw new EnvoyProtoError(
      'PETREL_ENVOY_PROTO_LOAD',
      `package ${name} is not installed (npm ci)`,
    );
  }
}

/** The include roots, in lookup order, as protoc's -I flags. */
export function includeDirs(): string[] {
  const deps = path.join(packageDir('@grpc/grpc-js-xds'), 'deps');
  const dirs = [
    path.join(deps, 'envoy-api'),
    path.join(deps, 'xds'),
    path.join(deps, 'googleapis'),
    path.join(deps, 'protoc-gen-validate'),
    packageDir('protobufjs'),
  ];
  for (const dir of dirs) {
    if (!existsSync(dir))
      throw new EnvoyProtoError('PETREL_ENVOY_PROTO_LOAD', `proto include dir ${dir} is missing`);
  }
  return dirs;
}

/** Resolves an import path against the include roots; undefined when no root has it. */
export function resolveImport(dirs: readonly string[], target: string): string | undefined {
  if (path.isAbsolute(target)) return existsSync(target) ? target : undefined;
  for (const dir of dirs) {
    const full = path.join(dir, target);
    if (existsSync(full)) return full;
  }
  return undefined;
}

// protobufjs bundles these itself and never reads them from disk.
const BUNDLED = new Set(
  ['any', 'duration', 'empty', 'field_mask', 'struct', 'timestamp', 'wrappers'].map(
    (n) => `google/protobuf/${n}.proto`,
  ),
);

const IMPORT = /^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;/gm;

/**
 * True when the file and everything it imports, transitively, can be found.
 * A few Envoy protos import OpenCensus/OpenTelemetry/Prometheus protos that
 * grpc-js-xds does not ship; loading them would fail the whole root, so they
 * are left out rather than hard-coding their names.
 */
function closureResolves(
  dirs: readonly string[],
  file: string,
  seen: Map<string, boolean>,
): boolean {
  const known = seen.get(file);
  if (known !== undefined) return known;
  seen.set(file, true); // cycles are resolved by the outer visit
  const full = resolveImport(dirs, file);
  let ok = full !== undefined;
  if (full) {
    const text = readFileSync(full, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const dep = m[1]!;
      if (BUNDLED.has(dep)) continue;
      if (!closureResolves(dirs, dep, seen)) {
        ok = false;
        break;
      }
    }
  }
  seen.set(file, ok);
  return ok;
}

function protosUnder(root: string, sub: string, keep: (rel: string) => boolean): string[] {
  const dir = path.join(root, sub);
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.proto'))
    .map((f) => path.posix.join(sub, f.split(path.sep).join('/')))
    .filter(keep)
    .sort();
}

/**
 * Every v3 Envoy API file (listener, route, cluster, endpoint, every extension:
 * HCM, router, fault, cors, rbac, local_ratelimit, tcp_proxy, listener filters,
 * access loggers, transport sockets, LB policies, discovery services, …), the
 * cncf/xds v3 types (TypedStruct, matchers) and udpa's TypedStruct: loading all
 * of them lets any typed_config Envoy understands be checked, not a chosen few.
 */
export function envoyProtoFiles(dirs: readonly string[] = includeDirs()): string[] {
  const [envoyApi, xds] = dirs as [string, string];
  const v3 = (rel: string) => rel.includes('/v3/');
  const candidates = [
    ...protosUnder(envoyApi, 'envoy', v3),
    ...protosUnder(xds, 'xds', v3),
    ...protosUnder(xds, 'udpa/type/v1', () => true),
  ];
  const seen = new Map<string, boolean>();
  return candidates.filter((f) => closureResolves(dirs, f, seen));
}
