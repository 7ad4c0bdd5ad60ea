// Istio's injection matrix (istio.io "Controlling the injection policy", and
// the webhook selectors of its charts), one row per case.
import { describe, expect, it } from 'vitest';
import {
  injectionDecision,
  type InjectionSubject,
  type PolicySettings,
} from '../../injector/policy.ts';

interface Row {
  name: string;
  ns?: Record<string, string> | 'unknown';
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  namespace?: string;
  hostNetwork?: boolean;
  containers?: string[];
  revision?: string;
  policy?: 'enabled' | 'disabled';
  byDefault?: boolean;
  inject: boolean;
}

const ENABLED = { 'istio-injection': 'enabled' };

const ROWS: Row[] = [
  { name: 'namespace istio-injection=enabled, pod unlabelled', ns: ENABLED, inject: true },
  {
    name: 'namespace enabled, pod label inject=false',
    ns: ENABLED,
    labels: { 'sidecar.istio.io/inject': 'false' },
    inject: false,
  },
  {
    name: 'namespace enabled, legacy pod annotation inject=false',
    ns: ENABLED,
    annotations: { 'sidecar.istio.io/inject': 'false' },
    inject: false,
  },
  {
    name: 'label wins over annotation (label true, annotation false)',
    ns: ENABLED,
    labels: { 'sidecar.istio.io/inject': 'true' },
    annotations: { 'sidecar.istio.io/inject': 'false' },
    inject: true,
  },
  {
    name: 'namespace istio-injection=disabled beats pod label true',
    ns: { 'istio-injection': 'disabled' },
    labels: { 'sidecar.istio.io/inject': 'true' },
    inject: false,
  },
  {
    name: 'namespace istio-injection with another value selects nothing',
    ns: { 'istio-injection': 'yes' },
    inject: false,
  },
  {
    name: 'unlabelled namespace, pod label inject=true',
    ns: {},
    labels: { 'sidecar.istio.io/inject': 'true' },
    inject: true,
  },
  {
    name: 'unlabelled namespace, only the legacy annotation true (selectors see labels only)',
    ns: {},
    annotations: { 'sidecar.istio.io/inject': 'true' },
    inject: false,
  },
  { name: 'unlabelled namespace, unlabelled pod', ns: {}, inject: false },
  {
    name: 'unlabelled namespace, unlabelled pod, enableNamespacesByDefault',
    ns: {},
    byDefault: true,
    inject: true,
  },
  {
    name: 'enableNamespacesByDefault still honours pod opt-out',
    ns: {},
    byDefault: true,
    labels: { 'sidecar.istio.io/inject': 'false' },
    inject: false,
  },
  {
    name: 'namespace istio.io/rev=canary, injector default',
    ns: { 'istio.io/rev': 'canary' },
    inject: false,
  },
  {
    name: 'namespace istio.io/rev=canary, injector canary',
    ns: { 'istio.io/rev': 'canary' },
    revision: 'canary',
    inject: true,
  },
  {
    name: 'namespace istio.io/rev=default, injector default',
    ns: { 'istio.io/rev': 'default' },
    inject: true,
  },
  {
    name: 'istio-injection=enabled wins over istio.io/rev (injector canary)',
    ns: { ...ENABLED, 'istio.io/rev': 'canary' },
    revision: 'canary',
    inject: false,
  },
  {
    name: 'istio-injection=enabled wins over istio.io/rev (injector default)',
    ns: { ...ENABLED, 'istio.io/rev': 'canary' },
    inject: true,
  },
  {
    name: 'pod istio.io/rev=canary in an unlabelled namespace, injector canary',
    ns: {},
    labels: { 'istio.io/rev': 'canary' },
    revision: 'canary',
    inject: true,
  },
  {
    name: 'pod istio.io/rev=canary in an unlabelled namespace, injector default',
    ns: {},
    labels: { 'istio.io/rev': 'canary' },
    inject: false,
  },
  {
    name: 'pod istio.io/rev=canary with inject=false',
    ns: {},
    labels: { 'istio.io/rev': 'canary', 'sidecar.istio.io/inject': 'false' },
    revision: 'canary',
    inject: false,
  },
  {
    name: 'pod inject=true selects the default revision only',
    ns: {},
    labels: { 'sidecar.istio.io/inject': 'true' },
    revision: 'canary',
    inject: false,
  },
  {
    name: 'host network is never injected',
    ns: ENABLED,
    hostNetwork: true,
    labels: { 'sidecar.istio.io/inject': 'true' },
    inject: false,
  },
  {
    name: 'kube-system is never injected',
    ns: ENABLED,
    namespace: 'kube-system',
    labels: { 'sidecar.istio.io/inject': 'true' },
    inject: false,
  },
  { name: 'kube-public is never injected', ns: ENABLED, namespace: 'kube-public', inject: false },
  {
    name: 'already injected (status annotation)',
    ns: ENABLED,
    annotations: { 'sidecar.istio.io/status': '{}' },
    inject: false,
  },
  {
    name: 'already injected (istio-proxy container)',
    ns: ENABLED,
    containers: ['app', 'istio-proxy'],
    inject: false,
  },
  {
    name: 'policy disabled, namespace enabled, pod unlabelled',
    ns: ENABLED,
    policy: 'disabled',
    inject: false,
  },
  {
    name: 'policy disabled, pod label true',
    ns: ENABLED,
    policy: 'disabled',
    labels: { 'sidecar.istio.io/inject': 'true' },
    inject: true,
  },
  {
    name: 'policy disabled, legacy annotation true',
    ns: ENABLED,
    policy: 'disabled',
    annotations: { 'sidecar.istio.io/inject': 'true' },
    inject: true,
  },
  {
    name: 'namespace labels unknown: the webhook selector is trusted',
    ns: 'unknown',
    inject: true,
  },
  {
    name: 'namespace labels unknown, pod opts out',
    ns: 'unknown',
    labels: { 'sidecar.istio.io/inject': 'false' },
    inject: false,
  },
];

function subject(row: Row): InjectionSubject {
  return {
    namespace: row.namespace ?? 'default',
    ...(row.ns === 'unknown' ? {} : { namespaceLabels: row.ns ?? {} }),
    labels: row.labels ?? {},
    annotations: row.annotations ?? {},
    hostNetwork: row.hostNetwork ?? false,
    containerNames: row.containers ?? ['app'],
  };
}

function settings(row: Row): PolicySettings {
  return {
    revision: row.revision ?? 'default',
    policy: row.policy ?? 'enabled',
    enableNamespacesByDefault: row.byDefault ?? false,
  };
}

describe('injectionDecision', () => {
  it.each(ROWS)('$name → inject $inject', (row) => {
    const decision = injectionDecision(subject(row), settings(row));
    expect(decision.inject, decision.reason).toBe(row.inject);
    expect(decision.reason).not.toBe('');
  });

  it('a sidecar.istio.io/inject value other than true/false falls back to the policy, with a warning', () => {
    const d = injectionDecision(
      subject({
        name: '',
        ns: ENABLED,
        labels: { 'sidecar.istio.io/inject': 'yes' },
        inject: true,
      }),
      settings({ name: '', inject: true }),
    );
    expect(d.inject).toBe(true);
    expect(d.warnings).toEqual([
      'label sidecar.istio.io/inject: "yes" is neither "true" nor "false"; the default policy (enabled) applies',
    ]);
  });

  it('says why a pod is skipped', () => {
    expect(
      injectionDecision(
        subject({ name: '', ns: { 'istio.io/rev': 'canary' }, inject: false }),
        settings({ name: '', inject: false }),
      ).reason,
    ).toBe('namespace selects revision canary, not default');
    expect(
      injectionDecision(
        subject({ name: '', ns: ENABLED, hostNetwork: true, inject: false }),
        settings({ name: '', inject: false }),
      ).reason,
    ).toBe('pod uses the host network');
  });
});
