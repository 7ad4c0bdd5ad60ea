// The generated CRD schemas give the same verdicts as api/istio/validate.ts on
// real Istio objects (the samples and the translation scenarios) and on known-bad
// ones, checked the way the API server checks them (see kube-validator.ts).
import { describe, expect, it } from 'vitest';
import type { ConfigObject } from '../../api/config/object.ts';
import { buildCrds } from '../../api/crd/crds.ts';
import { validateConfig } from '../../api/istio/validate.ts';
import { BAD, EDGE_GOOD, GOOD, WEBHOOK_ONLY } from './cases.ts';
import { kubeValidator, type KubeValidator } from './kube-validator.ts';

const crds = buildCrds();
const validators = new Map<string, KubeValidator>();
for (const crd of crds) {
  for (const v of crd.spec.versions)
    validators.set(
      `${crd.spec.group}/${v.name}/${crd.spec.names.kind}`,
      kubeValidator(v.schema.openAPIV3Schema),
    );
}

function kube(obj: ConfigObject): string[] {
  const validator = validators.get(`${obj.apiVersion}/${obj.kind}`);
  if (!validator) throw new Error(`no CRD serves ${obj.apiVersion} ${obj.kind}`);
  return validator.problems(obj);
}

describe('generated CRD schemas against api/istio/validate.ts', () => {
  it('covers the sample objects of every networking kind', () => {
    const kinds = new Set(GOOD.map((g) => g.obj.kind));
    for (const kind of ['Gateway', 'VirtualService', 'DestinationRule', 'ServiceEntry', 'Sidecar'])
      expect(kinds.has(kind), kind).toBe(true);
  });

  it.each(GOOD.map((g) => [`${g.file} ${g.obj.kind}/${g.obj.metadata.name}`, g.obj] as const))(
    'accepts %s, as the webhook does',
    (_name, obj) => {
      expect(validateConfig(obj).errors).toEqual([]);
      expect(kube(obj)).toEqual([]);
    },
  );

  it.each(Object.entries(EDGE_GOOD))('accepts %s, as the webhook does', (_name, obj) => {
    expect(validateConfig(obj).errors).toEqual([]);
    expect(kube(obj)).toEqual([]);
  });

  it.each(Object.entries(BAD))('rejects %s, as the webhook does', (_name, obj) => {
    expect(validateConfig(obj).errors).not.toEqual([]);
    expect(kube(obj)).not.toEqual([]);
  });

  it('names the field of an unknown field and of an out-of-range weight', () => {
    expect(kube(BAD['unknown field in a route']!)).toEqual(['spec.http[0]: unknown field retrys']);
    expect(kube(BAD['weight 150']!)).toEqual(['spec.http[0].route[0].weight: must be <= 100']);
    expect(kube(BAD['route and redirect together']!)).toEqual([
      'spec.http[0]: must set exactly one of route, redirect, directResponse, delegate',
    ]);
  });

  it.each(Object.entries(WEBHOOK_ONLY))('leaves %s to the webhook', (_name, obj) => {
    expect(validateConfig(obj).errors).not.toEqual([]);
    expect(kube(obj)).toEqual([]);
  });

  it('serves the same schema in every version', () => {
    for (const crd of crds) {
      const [first, ...rest] = crd.spec.versions.map((v) => JSON.stringify(v.schema));
      for (const other of rest) expect(other).toBe(first);
    }
  });
});
