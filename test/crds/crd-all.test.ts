// The committed CRDs (crds/crd-all.gen.yaml and the base chart's copy): up to date
// with the zod schemas, structural, and named as Istio names its CRDs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { KINDS } from '../../api/config/kinds.ts';
import { schemaAt, structuralProblems } from '../../api/crd/check-structural.ts';
import { renderCrdYaml, type CustomResourceDefinition } from '../../api/crd/crds.ts';
import { CRD_FILES, staleFiles } from '../../api/crd/generate.ts';

const REPO = join(import.meta.dirname, '..', '..');
const committed = readFileSync(join(REPO, 'crds/crd-all.gen.yaml'), 'utf8');
const crds = parseAllDocuments(committed)
  .map((d) => d.toJS() as CustomResourceDefinition | null)
  .filter((d): d is CustomResourceDefinition => d !== null);
const byKind = new Map(crds.map((c) => [c.spec.names.kind, c]));

describe('crds/crd-all.gen.yaml', () => {
  it('matches what the zod schemas generate now (run `npm run crds` after changing api/istio)', () => {
    expect(CRD_FILES.map((f) => f.slice(REPO.length + 1))).toEqual([
      'crds/crd-all.gen.yaml',
      'charts/base/files/crd-all.gen.yaml',
    ]);
    expect(staleFiles(renderCrdYaml())).toEqual([]);
  });

  it("has one CRD for every Istio kind Petrel accepts and Petrel's own kinds, and nothing else", () => {
    const istio = KINDS.filter((k) => k.istio || k.group === 'petrel.dev');
    expect(crds.map((c) => c.metadata.name)).toEqual(istio.map((k) => `${k.plural}.${k.group}`));
    for (const info of istio) {
      const crd = byKind.get(info.kind)!;
      expect(crd.spec.group).toBe(info.group);
      expect(crd.spec.scope).toBe('Namespaced');
      expect(crd.spec.versions.map((v) => v.name)).toEqual(info.versions);
    }
  });

  it("stores v1 only (v1alpha1 for Petrel's own kinds) and serves every version", () => {
    for (const crd of crds) {
      expect(
        crd.spec.versions.filter((v) => v.storage).map((v) => v.name),
        crd.metadata.name,
      ).toEqual([crd.spec.group === 'petrel.dev' ? 'v1alpha1' : 'v1']);
      expect(crd.spec.versions.every((v) => v.served)).toBe(true);
    }
    expect(byKind.get('VirtualService')!.spec.versions.map((v) => v.name)).toEqual([
      'v1',
      'v1beta1',
      'v1alpha3',
    ]);
    expect(byKind.get('AuthorizationPolicy')!.spec.versions.map((v) => v.name)).toEqual([
      'v1',
      'v1beta1',
    ]);
  });

  it('has a structural schema in every version', () => {
    for (const crd of crds) {
      for (const v of crd.spec.versions) {
        expect(
          structuralProblems(v.schema.openAPIV3Schema, `${crd.metadata.name}/${v.name}`),
        ).toEqual([]);
      }
    }
  });

  it('keeps status through the status subresource, preserving unknown fields', () => {
    for (const crd of crds) {
      for (const v of crd.spec.versions) {
        expect(v.subresources).toEqual({ status: {} });
        expect((v.schema.openAPIV3Schema.properties as Record<string, unknown>).status).toEqual({
          type: 'object',
          'x-kubernetes-preserve-unknown-fields': true,
        });
      }
    }
  });

  it("uses Istio's short names and categories", () => {
    const names = Object.fromEntries(
      crds.map((c) => [c.spec.names.kind, c.spec.names.shortNames ?? []]),
    );
    expect(names).toEqual({
      Gateway: ['gw'],
      VirtualService: ['vs'],
      DestinationRule: ['dr'],
      ServiceEntry: ['se'],
      Sidecar: [],
      PeerAuthentication: ['pa'],
      AuthorizationPolicy: ['ap'],
      RequestAuthentication: ['ra'],
      LocalRateLimit: ['lrl'],
    });
    expect(byKind.get('LocalRateLimit')!.spec.names.categories).toEqual(['petrel']);
    expect(byKind.get('Sidecar')!.spec.names.categories).toEqual([
      'istio-io',
      'networking-istio-io',
    ]);
    expect(byKind.get('PeerAuthentication')!.spec.names.categories).toEqual([
      'istio-io',
      'security-istio-io',
    ]);
  });

  it("has Istio's printer columns, each pointing at a field of the schema", () => {
    const columns = (kind: string) =>
      byKind.get(kind)!.spec.versions[0]!.additionalPrinterColumns.map((c) => c.name);
    expect(columns('VirtualService')).toEqual(['Gateways', 'Hosts', 'Age']);
    expect(columns('DestinationRule')).toEqual(['Host', 'Age']);
    expect(columns('ServiceEntry')).toEqual(['Hosts', 'Location', 'Resolution', 'Age']);
    expect(columns('Gateway')).toEqual(['Age']);
    for (const crd of crds) {
      for (const c of crd.spec.versions[0]!.additionalPrinterColumns) {
        expect(
          schemaAt(crd.spec.versions[0]!.schema.openAPIV3Schema, c.jsonPath),
          `${crd.metadata.name} ${c.jsonPath}`,
        ).toBeDefined();
      }
    }
  });

  it('keeps the CRDs when the chart is uninstalled', () => {
    for (const crd of crds)
      expect(crd.metadata.annotations['helm.sh/resource-policy']).toBe('keep');
  });

  it('requires spec exactly where an empty spec is invalid', () => {
    const required = crds.filter((c) =>
      (c.spec.versions[0]!.schema.openAPIV3Schema.required as string[] | undefined)?.includes(
        'spec',
      ),
    );
    expect(required.map((c) => c.spec.names.kind).sort()).toEqual([
      'DestinationRule',
      'Gateway',
      'LocalRateLimit',
      'ServiceEntry',
    ]);
  });

  it("gives integers Istio's formats: int32 where the range fits, int64 beyond", () => {
    const se = byKind.get('ServiceEntry')!.spec.versions[0]!.schema.openAPIV3Schema;
    expect(schemaAt(se, '.spec.ports')).toBeDefined();
    const endpoint = (
      schemaAt(se, '.spec.endpoints')!.items as {
        properties: Record<string, Record<string, unknown>>;
      }
    ).properties;
    expect(endpoint.weight).toMatchObject({
      type: 'integer',
      format: 'int64',
      minimum: 0,
      maximum: 4294967295,
    });
    expect((endpoint.ports!.additionalProperties as Record<string, unknown>).format).toBe('int32');
  });
});
