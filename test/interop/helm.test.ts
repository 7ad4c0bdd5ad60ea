// The Helm charts through real helm (built from the Go module proxy by
// peers/build-helm.sh): `helm lint` finds no error, and `helm template` with
// default and non-default values renders objects whose key invariants hold —
// Istio's names, ports and webhook paths, least-privilege RBAC, the gateway
// Service from values, autoscaling and disruption budgets.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { KINDS } from '../../api/config/kinds.ts';
import { peerCacheDir } from './support/peers.ts';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NS = 'istio-system';
type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [k: string]: any;
};
let helmBin = '';

function helm(args: string[]): string {
  try {
    return execFileSync(helmBin, args, {
      cwd: REPO,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`helm ${args.join(' ')} failed: ${e.stderr || e.stdout || e.message}`);
  }
}

function render(chart: string, set: string[] = []): Obj[] {
  const out = helm([
    'template',
    chart,
    `charts/${chart}`,
    '--namespace',
    NS,
    ...set.flatMap((s) => ['--set', s]),
  ]);
  // Strict YAML: a duplicate key (two label helpers both setting one label) is an error kubectl would report too.
  const docs = parseAllDocuments(out, { uniqueKeys: true });
  for (const d of docs)
    expect(
      [...d.errors, ...d.warnings].map((e) => e.message),
      `helm template ${chart}`,
    ).toEqual([]);
  return docs.map((d) => d.toJS() as Obj | null).filter((o): o is Obj => o !== null);
}

const one = (objs: Obj[], kind: string, name?: string): Obj => {
  const found = objs.filter(
    (o) => o.kind === kind && (name === undefined || o.metadata.name === name),
  );
  expect(
    found.map((o) => o.metadata.name),
    `${kind} ${name ?? ''}`,
  ).toHaveLength(1);
  return found[0]!;
};
const kinds = (objs: Obj[]) => objs.map((o) => o.kind).sort();
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);
const appVersion = (chart: string) =>
  (parse(readFileSync(join(REPO, 'charts', chart, 'Chart.yaml'), 'utf8')) as { appVersion: string })
    .appVersion;

beforeAll(() => {
  execFileSync('bash', [join(REPO, 'test/interop/peers/build-helm.sh')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  helmBin = join(peerCacheDir(), 'bin', 'helm');
});

describe('helm lint', () => {
  it.each([
    ['base', []],
    ['petrel', []],
    [
      'petrel',
      [
        'revision=canary',
        'pilot.autoscaleEnabled=false',
        'global.defaultPodDisruptionBudget.enabled=false',
        'sidecarInjectorWebhook.enableNamespacesByDefault=true',
      ],
    ],
    ['gateway', []],
    [
      'gateway',
      ['service.type=NodePort', 'service.externalTrafficPolicy=Local', 'autoscaling.enabled=false'],
    ],
  ] as const)('finds no error in charts/%s with %j', (chart, set) => {
    const out = helm(['lint', '--strict', `charts/${chart}`, ...set.flatMap((s) => ['--set', s])]);
    expect(out).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(out).not.toMatch(/\[(ERROR|WARNING)\]/);
  });
});

describe('charts/base', () => {
  it('renders exactly the generated CRDs', () => {
    const crds = render('base');
    const generated = parseAllDocuments(readFileSync(join(REPO, 'crds/crd-all.gen.yaml'), 'utf8'))
      .map((d) => d.toJS())
      .filter(Boolean);
    expect(crds).toEqual(generated);
    expect(crds.map((c) => c.metadata.name)).toEqual(
      KINDS.filter((k) => k.istio || k.group === 'petrel.dev').map((k) => `${k.plural}.${k.group}`),
    );
  });

  it('renders nothing with base.enableCRDTemplates=false', () => {
    expect(render('base', ['base.enableCRDTemplates=false'])).toEqual([]);
  });
});

describe('charts/petrel', () => {
  let objs: Obj[];
  beforeAll(() => {
    objs = render('petrel');
  });

  it('renders the control plane objects', () => {
    expect(kinds(objs)).toEqual(
      [
        'ClusterRole',
        'ClusterRoleBinding',
        'ConfigMap',
        'Deployment',
        'HorizontalPodAutoscaler',
        'IngressClass',
        'MutatingWebhookConfiguration',
        'PodDisruptionBudget',
        'Role',
        'RoleBinding',
        'Service',
        'ServiceAccount',
        'ValidatingWebhookConfiguration',
      ].sort(),
    );
  });

  it("gives the istiod Service Istio's port names and numbers", () => {
    const svc = one(objs, 'Service', 'istiod');
    expect(svc.spec.ports.map((p: any) => [p.name, p.port, p.targetPort])).toEqual([
      ['grpc-xds', 15010, 15010],
      ['https-dns', 15012, 15012],
      ['https-webhook', 443, 15017],
      ['http-monitoring', 15014, 15014],
    ]);
  });

  it('runs `petrel pilot --kube --host 0.0.0.0` with probes, resources and a non-root user, selected by its Service and PDB', () => {
    const deploy = one(objs, 'Deployment', 'istiod');
    const pod = deploy.spec.template;
    const [c] = pod.spec.containers;
    expect(c.image).toBe(`petrel/petrel:${appVersion('petrel')}`);
    expect(c.args.slice(0, 4)).toEqual(['pilot', '--kube', '--host', '0.0.0.0']);
    expect(c.args.join(' ')).toContain('--webhook-port 15017');
    expect(c.ports.map((p: any) => p.containerPort).sort()).toEqual([15010, 15012, 15014, 15017]);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/ready', port: 15017, scheme: 'HTTPS' });
    expect(c.livenessProbe.tcpSocket).toEqual({ port: 15010 });
    expect(c.resources.requests).toEqual({ cpu: '500m', memory: '512Mi' });
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1337 });
    expect(pod.spec.serviceAccountName).toBe(one(objs, 'ServiceAccount').metadata.name);
    expect(matches(deploy.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
    expect(matches(one(objs, 'Service').spec.selector, pod.metadata.labels)).toBe(true);
    expect(
      matches(one(objs, 'PodDisruptionBudget').spec.selector.matchLabels, pod.metadata.labels),
    ).toBe(true);
    expect(one(objs, 'PodDisruptionBudget').spec.minAvailable).toBe(1);
    const hpa = one(objs, 'HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'istiod',
    });
    expect(deploy.spec.replicas).toBeUndefined();
  });

  it("calls the injector at /inject with Istio's selectors and policies", () => {
    const mwc = one(objs, 'MutatingWebhookConfiguration', 'istio-sidecar-injector');
    const ns = mwc.webhooks.find((w: any) => w.name === 'namespace.sidecar-injector.istio.io');
    expect(ns.clientConfig.service).toEqual({
      name: 'istiod',
      namespace: NS,
      path: '/inject',
      port: 443,
    });
    expect(ns.namespaceSelector).toEqual({ matchLabels: { 'istio-injection': 'enabled' } });
    expect(ns.objectSelector).toEqual({
      matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] }],
    });
    expect(ns.rules).toEqual([
      { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] },
    ]);
    for (const w of mwc.webhooks) {
      expect(w).toMatchObject({
        sideEffects: 'None',
        failurePolicy: 'Fail',
        reinvocationPolicy: 'Never',
        admissionReviewVersions: ['v1'],
      });
      expect(w.clientConfig.service.path).toBe('/inject');
    }
    expect(mwc.webhooks.map((w: any) => w.name)).toEqual([
      'namespace.sidecar-injector.istio.io',
      'object.sidecar-injector.istio.io',
    ]);
  });

  it('validates every Istio kind Petrel accepts at /validate', () => {
    const vwc = one(objs, 'ValidatingWebhookConfiguration', `istio-validator-${NS}`);
    const [w] = vwc.webhooks;
    expect(w.clientConfig.service).toEqual({
      name: 'istiod',
      namespace: NS,
      path: '/validate',
      port: 443,
    });
    expect(w).toMatchObject({ sideEffects: 'None', failurePolicy: 'Fail' });
    const covered = w.rules
      .flatMap((r: any) => r.resources.map((res: string) => `${res}.${r.apiGroups[0]}`))
      .sort();
    expect(covered).toEqual(
      KINDS.filter((k) => k.istio)
        .map((k) => `${k.plural}.${k.group}`)
        .sort(),
    );
  });

  it('grants least privilege: no `*`, read-only on what pilot watches, writes only where named', () => {
    const rules = [one(objs, 'ClusterRole'), one(objs, 'Role')].flatMap((r) =>
      r.rules.map((rule: any) => ({ ...rule, scope: r.kind })),
    );
    for (const r of rules) {
      for (const field of ['apiGroups', 'resources', 'verbs', 'resourceNames'])
        expect(r[field] ?? [], JSON.stringify(r)).not.toContain('*');
    }
    // Everything pilot watches (api/config/kinds.ts) is readable cluster-wide.
    for (const k of KINDS) {
      const grant = rules.find(
        (r) =>
          r.scope === 'ClusterRole' &&
          r.apiGroups.includes(k.group) &&
          r.resources.includes(k.plural) &&
          !r.resourceNames,
      );
      expect(grant?.verbs, `${k.plural}.${k.group}`).toEqual(
        expect.arrayContaining(['get', 'list', 'watch']),
      );
    }
    // The only writes, each as narrow as RBAC allows.
    const writes = rules
      .filter((r) => r.verbs.some((v: string) => !['get', 'list', 'watch'].includes(v)))
      .map((r) =>
        `${r.scope} ${r.resources.join(',')} ${r.verbs.filter((v: string) => !['get', 'list', 'watch'].includes(v)).join(',')} ${(r.resourceNames ?? []).join(',')}`.trim(),
      );
    expect(writes.sort()).toEqual(
      [
        'ClusterRole tokenreviews create',
        'ClusterRole ingresses/status patch',
        'ClusterRole mutatingwebhookconfigurations update,patch istio-sidecar-injector',
        `ClusterRole validatingwebhookconfigurations update,patch istio-validator-${NS}`,
        'ClusterRole configmaps create',
        'ClusterRole configmaps update istio-ca-root-cert',
        'Role secrets create',
        'Role secrets update istio-ca-secret',
      ].sort(),
    );
    expect(one(objs, 'ClusterRoleBinding').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'istiod', namespace: NS },
    ]);
    expect(one(objs, 'ClusterRoleBinding').roleRef.name).toBe(
      one(objs, 'ClusterRole').metadata.name,
    );
  });

  it('stores the mesh config in ConfigMap istio, key mesh', () => {
    const mesh = parse(one(objs, 'ConfigMap', 'istio').data.mesh);
    expect(mesh).toMatchObject({
      trustDomain: 'cluster.local',
      enableAutoMtls: true,
      outboundTrafficPolicy: { mode: 'ALLOW_ANY' },
      defaultConfig: { discoveryAddress: `istiod.${NS}.svc:15012` },
    });
  });

  it('follows non-default values: revision, image, replicas, no HPA/PDB, trust domain, validation off', () => {
    const objs = render('petrel', [
      'revision=canary',
      'global.hub=registry.example/mesh',
      'global.tag=9.9.9',
      'pilot.autoscaleEnabled=false',
      'pilot.replicaCount=3',
      'global.defaultPodDisruptionBudget.enabled=false',
      'meshConfig.trustDomain=example.org',
      'global.configValidation=false',
    ]);
    expect(kinds(objs)).not.toContain('HorizontalPodAutoscaler');
    expect(kinds(objs)).not.toContain('PodDisruptionBudget');
    expect(kinds(objs)).not.toContain('ValidatingWebhookConfiguration');
    const deploy = one(objs, 'Deployment', 'istiod-canary');
    expect(deploy.spec.replicas).toBe(3);
    const [c] = deploy.spec.template.spec.containers;
    expect(c.image).toBe('registry.example/mesh/petrel:9.9.9');
    expect(c.args.join(' ')).toContain('--trust-domain example.org');
    one(objs, 'Service', 'istiod-canary');
    one(objs, 'ConfigMap', 'istio-canary');
    const mwc = one(objs, 'MutatingWebhookConfiguration', 'istio-sidecar-injector-canary');
    expect(mwc.webhooks[0].namespaceSelector.matchExpressions).toContainEqual({
      key: 'istio.io/rev',
      operator: 'In',
      values: ['canary'],
    });
    expect(mwc.webhooks[0].clientConfig.service.name).toBe('istiod-canary');
    const names = one(objs, 'ClusterRole').rules.flatMap((r: any) => r.resourceNames ?? []);
    expect(names).toEqual(
      expect.arrayContaining(['istio-sidecar-injector-canary', `istio-validator-canary-${NS}`]),
    );
  });
});

describe('charts/gateway', () => {
  let objs: Obj[];
  beforeAll(() => {
    objs = render('gateway');
  });

  it('renders the gateway objects', () => {
    expect(kinds(objs)).toEqual([
      'Deployment',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'Role',
      'RoleBinding',
      'Service',
      'ServiceAccount',
    ]);
  });

  it('runs `petrel proxy --role router` labelled istio=ingressgateway, pointed at pilot', () => {
    const pod = one(objs, 'Deployment').spec.template;
    const [c] = pod.spec.containers;
    expect(c.args.slice(0, 5)).toEqual([
      'proxy',
      '--role',
      'router',
      '--xds-address',
      `istiod.${NS}.svc:15010`,
    ]);
    expect(c.image).toBe(`petrel/petrel:${appVersion('gateway')}`);
    expect(pod.metadata.labels).toMatchObject({
      istio: 'ingressgateway',
      app: 'istio-ingressgateway',
    });
    expect(JSON.parse(c.env.find((e: any) => e.name === 'ISTIO_METAJSON_LABELS').value)).toEqual({
      app: 'istio-ingressgateway',
      istio: 'ingressgateway',
    });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/healthz/ready', port: 15021 });
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1337 });
  });

  it('exposes 80→8080, 443→8443 and the status port on a LoadBalancer Service that selects the pods', () => {
    const svc = one(objs, 'Service');
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.spec.externalTrafficPolicy).toBeUndefined();
    expect(svc.spec.ports.map((p: any) => [p.name, p.port, p.targetPort])).toEqual([
      ['status-port', 15021, 15021],
      ['http2', 80, 8080],
      ['https', 443, 8443],
    ]);
    const pod = one(objs, 'Deployment').spec.template;
    expect(matches(svc.spec.selector, pod.metadata.labels)).toBe(true);
    const containerPorts = pod.spec.containers[0].ports.map((p: any) => p.containerPort);
    for (const p of svc.spec.ports) expect(containerPorts).toContain(p.targetPort);
  });

  it('autoscales with autoscaling/v2 and keeps one pod through disruptions', () => {
    const hpa = one(objs, 'HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef.name).toBe(one(objs, 'Deployment').metadata.name);
    expect(hpa.spec.metrics[0].resource).toEqual({
      name: 'cpu',
      target: { type: 'Utilization', averageUtilization: 80 },
    });
    const pdb = one(objs, 'PodDisruptionBudget');
    expect(pdb.spec.minAvailable).toBe(1);
    expect(
      matches(pdb.spec.selector.matchLabels, one(objs, 'Deployment').spec.template.metadata.labels),
    ).toBe(true);
  });

  it('reads Secrets of its own namespace only', () => {
    const role = one(objs, 'Role');
    expect(role.metadata.namespace).toBe(NS);
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'watch', 'list'] },
    ]);
    expect(one(objs, 'RoleBinding').subjects).toEqual([
      { kind: 'ServiceAccount', name: one(objs, 'ServiceAccount').metadata.name, namespace: NS },
    ]);
  });

  it('takes the Service type and externalTrafficPolicy from values, and drops HPA/PDB when asked', () => {
    const objs = render('gateway', [
      'service.type=NodePort',
      'service.externalTrafficPolicy=Local',
      'autoscaling.enabled=false',
      'replicaCount=2',
      'podDisruptionBudget=null',
      'revision=canary',
    ]);
    const svc = one(objs, 'Service');
    expect(svc.spec.type).toBe('NodePort');
    expect(svc.spec.externalTrafficPolicy).toBe('Local');
    expect(kinds(objs)).not.toContain('HorizontalPodAutoscaler');
    expect(kinds(objs)).not.toContain('PodDisruptionBudget');
    const deploy = one(objs, 'Deployment');
    expect(deploy.spec.replicas).toBe(2);
    expect(deploy.spec.template.spec.containers[0].args).toContain(
      'istiod-canary.istio-system.svc:15010',
    );
    expect(
      render('gateway', ['service.externalTrafficPolicy=Local']).find((o) => o.kind === 'Service')!
        .spec.externalTrafficPolicy,
    ).toBe('Local');
  });
});
