// Golden scenarios for the generators: test/golden/translate/<case>.in.yaml (Istio and
// Kubernetes objects, plus `kind: TestProxy` documents naming the proxies to build
// for and `kind: TestMesh` for mesh settings) → YAML → validated objects →
// MemoryConfigStore → buildPushContext → every generator for every proxy. Each
// output type is compared with <case>.{lds,rds,cds,eds}.yaml, every resource must
// pass the Envoy registry's validateResource (strict decode + protoc-gen-validate),
// and the set must be consistent (every RDS name LDS uses and every EDS name CDS
// uses is generated), so no scenario can skip those checks.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { expect } from 'vitest';
import type { ConfigObject } from '../../../../api/config/object.ts';
import { validateResource } from '../../../../api/envoy/registry.ts';
import { validateConfig } from '../../../../api/istio/validate.ts';
import { MemoryConfigStore } from '../../../../pilot/config/memory-store.ts';
import { parseProxy } from '../../../../pilot/model/proxy.ts';
import type { Proxy, XdsNode } from '../../../../pilot/model/proxy.ts';
import { buildPushContext } from '../../../../pilot/model/push-context.ts';
import type { MeshConfig, PushContext } from '../../../../pilot/model/types.ts';
import { generatorsFor } from '../../../../pilot/translate/index.ts';
import type { EnvoyResource } from '../../../../pilot/translate/types.ts';
import {
  CLUSTER,
  CLUSTER_LOAD_ASSIGNMENT,
  LISTENER,
  ROUTE_CONFIGURATION,
} from '../../../../pilot/translate/common/type-urls.ts';
import { GOLDEN_ROOT, compareGolden } from '../../../support/golden.ts';

export const TYPES = {
  lds: LISTENER,
  rds: ROUTE_CONFIGURATION,
  cds: CLUSTER,
  eds: CLUSTER_LOAD_ASSIGNMENT,
} as const;
export type ShortType = keyof typeof TYPES;

interface TestProxyDoc {
  kind: 'TestProxy';
  name: string;
  node: XdsNode;
  /** Resource names the proxy requests per type; absent means a wildcard request. */
  requests?: Partial<Record<ShortType, string[]>>;
}

export interface ScenarioProxy {
  name: string;
  proxy: Proxy;
  requests: Partial<Record<ShortType, string[]>>;
}

export interface Scenario {
  push: PushContext;
  proxies: ScenarioProxy[];
}

/** The documents of a scenario file, with `kind: TestInclude` documents replaced by the file they name. */
function documents(file: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const doc of parseAllDocuments(readFileSync(join(GOLDEN_ROOT, 'translate', file), 'utf8'))) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
    const obj = doc.toJS() as Record<string, unknown> | null;
    if (!obj) continue;
    if (obj.kind === 'TestInclude') out.push(...documents(String(obj.file)));
    else out.push(obj);
  }
  return out;
}

/** Loads `<case>.in.yaml` into a push context and the proxies it names. */
export function loadScenario(name: string): Scenario {
  return scenarioFromDocuments(documents(`${name}.in.yaml`), `${name}.in.yaml`);
}

/**
 * A scenario from YAML text (same documents as a .in.yaml file, TestInclude allowed).
 * allowWarnings admits fields Petrel reports as not acted on, for tests of what is skipped.
 */
export function scenarioFromYaml(
  text: string,
  options: { allowWarnings?: boolean } = {},
): Scenario {
  const docs: Record<string, unknown>[] = [];
  for (const doc of parseAllDocuments(text)) {
    const obj = doc.toJS() as Record<string, unknown> | null;
    if (!obj) continue;
    if (obj.kind === 'TestInclude') docs.push(...documents(String(obj.file)));
    else docs.push(obj);
  }
  return scenarioFromDocuments(docs, 'inline scenario', options.allowWarnings);
}

function scenarioFromDocuments(
  docs: Record<string, unknown>[],
  label: string,
  allowWarnings = false,
): Scenario {
  const store = new MemoryConfigStore();
  const proxies: ScenarioProxy[] = [];
  let mesh: Partial<MeshConfig> | undefined;
  for (const obj of docs) {
    if (obj.kind === 'TestProxy') {
      const p = obj as unknown as TestProxyDoc;
      proxies.push({ name: p.name, proxy: parseProxy(p.node), requests: p.requests ?? {} });
    } else if (obj.kind === 'TestMesh') {
      mesh = obj.mesh as Partial<MeshConfig>;
    } else {
      const result = validateConfig(obj as ConfigObject);
      if (result.errors.length > 0) throw new Error(`${label}: ${result.errors.join('; ')}`);
      if (result.warnings.length > 0 && !allowWarnings)
        throw new Error(`${label} uses fields Petrel ignores: ${result.warnings.join('; ')}`);
      store.upsert(result.object);
    }
  }
  if (proxies.length === 0) throw new Error(`${label}: no TestProxy document`);
  return { push: buildPushContext(store.snapshot(), { mesh, version: '1' }), proxies };
}

export type Generated = Record<ShortType, EnvoyResource[]>;

/** One type's resources for a scenario proxy (by name in the scenario, default the first), wildcard request. */
export function resourcesOf(
  s: Scenario,
  short: ShortType,
  proxyName?: string,
  names: string[] = [],
): EnvoyResource[] {
  const p = proxyName ? s.proxies.find((x) => x.name === proxyName) : s.proxies[0];
  if (!p) throw new Error(`no proxy ${proxyName}`);
  return generatorsFor(p.proxy)
    .get(TYPES[short])!
    .generate(s.push, p.proxy, names)
    .map((r) => r.resource);
}

/** A resource by name from a list (throws when absent, so tests read plainly). */
export function named(list: readonly EnvoyResource[], name: string): EnvoyResource {
  const found = list.find((r) => (r.name ?? r.cluster_name) === name);
  if (!found)
    throw new Error(
      `no resource "${name}" among ${list.map((r) => String(r.name ?? r.cluster_name)).join(', ')}`,
    );
  return found;
}

/** Runs every generator for one proxy, with its requested names (or wildcard). */
export function generate(push: PushContext, p: ScenarioProxy): Generated {
  const generators = generatorsFor(p.proxy);
  const out = {} as Generated;
  for (const [short, typeUrl] of Object.entries(TYPES) as [ShortType, string][]) {
    const g = generators.get(typeUrl);
    if (!g) throw new Error(`no ${short} generator for ${p.name}`);
    const resources = g.generate(push, p.proxy, p.requests[short] ?? []);
    for (const r of resources)
      expect(r.resource['@type'], `${p.name} ${short} ${r.name}`).toBe(typeUrl);
    out[short] = resources.map((r) => r.resource);
  }
  return out;
}

function walk(value: unknown, visit: (obj: Record<string, unknown>) => void): void {
  if (Array.isArray(value)) value.forEach((v) => walk(v, visit));
  else if (value && typeof value === 'object') {
    visit(value as Record<string, unknown>);
    Object.values(value).forEach((v) => walk(v, visit));
  }
}

/** Every resource valid for Envoy, and every RDS/EDS name the proxy will ask for generated. */
export function assertValidAndConsistent(proxyName: string, generated: Generated): void {
  for (const [short, list] of Object.entries(generated)) {
    for (const r of list) {
      const name = String(r.name ?? r.cluster_name);
      expect(validateResource(r), `${proxyName} ${short} ${name}: validateResource`).toEqual([]);
    }
  }
  const routeNames = new Set(generated.rds.map((r) => String(r.name)));
  walk(generated.lds, (obj) => {
    const rds = obj.rds as { route_config_name?: string } | undefined;
    if (rds?.route_config_name)
      expect(
        routeNames.has(rds.route_config_name),
        `${proxyName}: LDS uses RDS "${rds.route_config_name}" that RDS lacks`,
      ).toBe(true);
  });
  const edsNames = new Set(generated.eds.map((r) => String(r.cluster_name)));
  for (const c of generated.cds) {
    if (c.type !== 'EDS') continue;
    const name = String((c.eds_cluster_config as { service_name?: string }).service_name ?? c.name);
    expect(edsNames.has(name), `${proxyName}: CDS cluster ${name} has no EDS resource`).toBe(true);
  }
}

function byName(list: EnvoyResource[]): EnvoyResource[] {
  const key = (r: EnvoyResource) => String(r.name ?? r.cluster_name);
  return [...list].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Loads, generates, checks and compares one scenario with its golden files; returns what it generated. */
export function runScenario(name: string): Record<string, Generated> {
  const { push, proxies } = loadScenario(name);
  const all: Record<string, Generated> = {};
  for (const p of proxies) {
    const generated = generate(push, p);
    assertValidAndConsistent(p.name, generated);
    all[p.name] = generated;
  }
  for (const short of Object.keys(TYPES) as ShortType[]) {
    compareGolden(
      `translate/${name}.${short}`,
      Object.fromEntries(proxies.map((p) => [p.name, byName(all[p.name]![short])])),
    );
  }
  return all;
}
