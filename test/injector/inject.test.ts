// The patch for one pod: golden files of the JSON patch and of the pod it
// produces (applied with fast-json-patch, as the API server applies it), one
// scenario per case, and the invariants beside them.
import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { injectorConfig } from '../../injector/config.ts';
import { InjectorError } from '../../injector/errors.ts';
import { injectPod } from '../../injector/inject.ts';
import type { Container, Pod } from '../../injector/pod-types.ts';
import { compareGolden } from '../support/golden.ts';
import { barePod, reviewsPod } from './fixtures.ts';

const config = injectorConfig({ proxyImage: 'petrel/petrel:test' });

function apply(pod: Pod, patch: unknown[]): Pod {
  // validate=true: an op on a missing parent or a bad index throws, as the API server's apply fails.
  return fastJsonPatch.applyPatch(structuredClone(pod), patch as Operation[], true, false)
    .newDocument;
}

function injected(pod: Pod, cfg = config): { patch: unknown[]; pod: Pod } {
  const result = injectPod({ pod, namespace: pod.metadata.namespace ?? 'default' }, cfg);
  expect(result.decision.inject, result.decision.reason).toBe(true);
  return { patch: result.patch, pod: apply(pod, result.patch) };
}

function golden(name: string, pod: Pod, cfg = config): Pod {
  const out = injected(pod, cfg);
  compareGolden(`injector/${name}.patch`, out.patch);
  compareGolden(`injector/${name}.pod`, out.pod);
  return out.pod;
}

const names = (cs: Container[] | undefined) => (cs ?? []).map((c) => c.name);
const env = (c: Container, name: string) => c.env?.find((e) => e.name === name)?.value;

describe('injectPod', () => {
  it('adds initContainers, volumes, labels and annotations whole when the pod has none', () => {
    const out = injected(barePod());
    expect(out.patch).toContainEqual(
      expect.objectContaining({ op: 'add', path: '/spec/initContainers' }),
    );
    expect(out.patch).toContainEqual(expect.objectContaining({ op: 'add', path: '/spec/volumes' }));
    expect(out.patch).toContainEqual(
      expect.objectContaining({ op: 'add', path: '/metadata/annotations' }),
    );
    expect(out.patch).toContainEqual(
      expect.objectContaining({ op: 'add', path: '/metadata/labels' }),
    );
    golden('bare-pod', barePod());
  });

  it('injects a Deployment pod: istio-init, istio-proxy last, workload and canonical labels', () => {
    const pod = golden('plain-pod', reviewsPod());
    expect(names(pod.spec.initContainers)).toEqual(['istio-init']);
    expect(names(pod.spec.containers)).toEqual(['reviews', 'istio-proxy']);
    const proxy = pod.spec.containers[1]!;
    expect(env(proxy, 'ISTIO_META_WORKLOAD_NAME')).toBe('reviews-v1');
    expect(env(proxy, 'ISTIO_META_OWNER')).toBe(
      'kubernetes://apis/apps/v1/namespaces/bookinfo/deployments/reviews-v1',
    );
    expect(pod.metadata.labels).toMatchObject({
      'security.istio.io/tlsMode': 'istio',
      'service.istio.io/canonical-name': 'reviews',
      'service.istio.io/canonical-revision': 'v1',
    });
    expect(JSON.parse(pod.metadata.annotations!['sidecar.istio.io/status']!)).toEqual({
      initContainers: ['istio-init'],
      containers: ['istio-proxy'],
      volumes: ['istio-envoy', 'istio-data', 'istio-podinfo', 'istio-token', 'istiod-ca-cert'],
      imagePullSecrets: null,
      revision: 'default',
    });
    expect(pod.spec.initContainers![0]!.args).toEqual([
      'iptables',
      '-p',
      '15001',
      '-z',
      '15006',
      '-u',
      '1337',
      '-g',
      '1337',
      '-m',
      'REDIRECT',
      '-i',
      '*',
      '-x',
      '',
      '-b',
      '*',
      '-d',
      '15090,15021,15020',
    ]);
  });

  it('keeps existing init containers, volumes and annotations, escaping / and ~ in keys', () => {
    const pod = reviewsPod({
      annotations: {
        'example.com/owner~team': 'books',
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': '9080',
      },
    });
    pod.spec.initContainers = [{ name: 'migrate', image: 'busybox', command: ['true'] }];
    pod.spec.volumes = [{ name: 'data', emptyDir: {} }];
    const patch = injected(pod).patch as Array<{ path: string }>;
    expect(patch.map((op) => op.path)).toContain('/metadata/annotations/sidecar.istio.io~1status');
    const out = golden('existing-fields', pod);
    expect(names(out.spec.initContainers)).toEqual(['istio-init', 'migrate']);
    expect(out.spec.volumes!.map((v) => v.name)).toEqual([
      'data',
      'istio-envoy',
      'istio-data',
      'istio-podinfo',
      'istio-token',
      'istiod-ca-cert',
    ]);
    expect(out.metadata.annotations!['example.com/owner~team']).toBe('books');
    // Metrics merging: Prometheus now scrapes the agent, which scrapes the app where it said.
    expect(out.metadata.annotations).toMatchObject({
      'prometheus.io/port': '15020',
      'prometheus.io/path': '/stats/prometheus',
      'prometheus.io/scrape': 'true',
    });
    expect(JSON.parse(env(out.spec.containers[1]!, 'ISTIO_PROMETHEUS_ANNOTATIONS')!)).toEqual({
      scrape: 'true',
      port: '9080',
    });
  });

  it('turns the traffic and resource annotations into iptables flags and proxy resources', () => {
    const pod = golden(
      'traffic-annotations',
      reviewsPod({
        annotations: {
          'traffic.sidecar.istio.io/excludeOutboundPorts': '3306, 6379',
          'traffic.sidecar.istio.io/includeOutboundPorts': '8443',
          'traffic.sidecar.istio.io/includeOutboundIPRanges': '10.0.0.0/8,fd00::/8',
          'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.96.0.1/32',
          'traffic.sidecar.istio.io/excludeInboundPorts': '9443',
          'traffic.sidecar.istio.io/includeInboundPorts': '9080,9443',
          'sidecar.istio.io/proxyCPU': '250m',
          'sidecar.istio.io/proxyMemoryLimit': '512Mi',
        },
      }),
    );
    expect(pod.spec.initContainers![0]!.args).toEqual([
      'iptables',
      '-p',
      '15001',
      '-z',
      '15006',
      '-u',
      '1337',
      '-g',
      '1337',
      '-m',
      'REDIRECT',
      '-i',
      '10.0.0.0/8,fd00::/8',
      '-x',
      '10.96.0.1/32',
      '-b',
      '9080,9443',
      '-d',
      '15090,15021,9443,15020',
      '-q',
      '8443',
      '-o',
      '3306,6379',
    ]);
    // As in Istio's template: once any resource annotation is set, only the annotated values apply.
    expect(pod.spec.containers[1]!.resources).toEqual({
      requests: { cpu: '250m' },
      limits: { memory: '512Mi' },
    });
  });

  it("uses Istio's default proxy resources without annotations", () => {
    const pod = injected(reviewsPod()).pod;
    expect(pod.spec.containers[1]!.resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '2000m', memory: '1024Mi' },
    });
  });

  it('rewrites HTTP, TCP and gRPC probes through the agent and lists them in ISTIO_KUBE_APP_PROBERS', () => {
    const pod = reviewsPod({
      annotations: { 'traffic.sidecar.istio.io/excludeInboundPorts': '9901' },
    });
    pod.spec.containers[0] = {
      ...pod.spec.containers[0]!,
      ports: [
        { name: 'http', containerPort: 9080 },
        { name: 'grpc', containerPort: 9090 },
        { name: 'admin', containerPort: 9901 },
      ],
      readinessProbe: {
        httpGet: { path: '/ready', port: 'http', scheme: 'HTTPS' },
        periodSeconds: 5,
        timeoutSeconds: 2,
      },
      livenessProbe: { tcpSocket: { port: 9080 }, initialDelaySeconds: 10 },
      startupProbe: { grpc: { port: 9090 }, failureThreshold: 30 },
    };
    pod.spec.containers.push({
      name: 'admin',
      image: 'admin',
      readinessProbe: { httpGet: { path: '/ready', port: 9901 } }, // not captured: the kubelet reaches it directly
      livenessProbe: { exec: { command: ['true'] } }, // runs in the container: nothing to rewrite
    });
    const out = golden('probes', pod);
    const app = out.spec.containers[0]!;
    expect(app.readinessProbe).toEqual({
      httpGet: { path: '/app-health/reviews/readyz', port: 15020, scheme: 'HTTP' },
      periodSeconds: 5,
      timeoutSeconds: 2,
    });
    expect(app.livenessProbe).toEqual({
      httpGet: { path: '/app-health/reviews/livez', port: 15020 },
      initialDelaySeconds: 10,
    });
    expect(app.startupProbe).toEqual({
      httpGet: { path: '/app-health/reviews/startupz', port: 15020 },
      failureThreshold: 30,
    });
    expect(out.spec.containers[1]!.readinessProbe).toEqual({
      httpGet: { path: '/ready', port: 9901 },
    });
    expect(out.spec.containers[1]!.livenessProbe).toEqual({ exec: { command: ['true'] } });
    const proxy = out.spec.containers.find((c) => c.name === 'istio-proxy')!;
    expect(JSON.parse(env(proxy, 'ISTIO_KUBE_APP_PROBERS')!)).toEqual({
      '/app-health/reviews/livez': { tcpSocket: { port: 9080 } },
      '/app-health/reviews/readyz': {
        httpGet: { path: '/ready', port: 9080, scheme: 'HTTPS' },
        timeoutSeconds: 2,
      },
      '/app-health/reviews/startupz': { grpc: { port: 9090 } },
    });
  });

  it('leaves probes alone when sidecar.istio.io/rewriteAppHTTPProbers is false', () => {
    const pod = reviewsPod({ annotations: { 'sidecar.istio.io/rewriteAppHTTPProbers': 'false' } });
    pod.spec.containers[0]!.readinessProbe = { httpGet: { path: '/ready', port: 9080 } };
    const out = injected(pod).pod;
    expect(out.spec.containers[0]!.readinessProbe).toEqual({
      httpGet: { path: '/ready', port: 9080 },
    });
    expect(env(out.spec.containers[1]!, 'ISTIO_KUBE_APP_PROBERS')).toBeUndefined();
  });

  it('holdApplicationUntilProxyStarts puts the proxy first with a postStart wait, keeping kubectl on the app', () => {
    const pod = reviewsPod({
      annotations: { 'proxy.istio.io/config': 'holdApplicationUntilProxyStarts: true\n' },
    });
    pod.spec.containers[0]!.readinessProbe = { httpGet: { path: '/ready', port: 9080 } };
    const out = golden('hold-application', pod);
    expect(names(out.spec.containers)).toEqual(['istio-proxy', 'reviews']);
    expect(out.spec.containers[0]!.lifecycle).toEqual({
      postStart: { exec: { command: ['petrel', 'proxy', 'wait'] } },
    });
    // The probe rewrite addressed the app by its original index, before the proxy was inserted.
    expect(out.spec.containers[1]!.readinessProbe).toEqual({
      httpGet: { path: '/app-health/reviews/readyz', port: 15020 },
    });
    expect(out.metadata.annotations!['kubectl.kubernetes.io/default-container']).toBe('reviews');
    expect(env(out.spec.containers[0]!, 'PROXY_CONFIG')).toBe(
      '{"holdApplicationUntilProxyStarts":true}',
    );
  });

  it('native sidecars: the proxy is an init container with restartPolicy Always, right after istio-init', () => {
    const pod = reviewsPod();
    pod.spec.initContainers = [{ name: 'migrate', image: 'busybox' }];
    const out = golden(
      'native-sidecar',
      pod,
      injectorConfig({ proxyImage: 'petrel/petrel:test', nativeSidecars: true }),
    );
    expect(names(out.spec.initContainers)).toEqual(['istio-init', 'istio-proxy', 'migrate']);
    expect(names(out.spec.containers)).toEqual(['reviews']);
    const proxy = out.spec.initContainers![1]!;
    expect(proxy.restartPolicy).toBe('Always');
    expect(proxy.startupProbe).toMatchObject({ httpGet: { path: '/healthz/ready', port: 15021 } });
    expect(JSON.parse(out.metadata.annotations!['sidecar.istio.io/status']!)).toMatchObject({
      initContainers: ['istio-init', 'istio-proxy'],
      containers: null,
    });
  });

  it('interceptionMode NONE injects no istio-init', () => {
    const out = injected(
      reviewsPod({ annotations: { 'sidecar.istio.io/interceptionMode': 'NONE' } }),
    ).pod;
    expect(out.spec.initContainers).toBeUndefined();
    expect(env(out.spec.containers[1]!, 'ISTIO_META_INTERCEPTION_MODE')).toBe('NONE');
  });

  it('is idempotent: an injected pod gets no second patch', () => {
    for (const cfg of [config, injectorConfig({ nativeSidecars: true })]) {
      const once = injected(reviewsPod(), cfg).pod;
      const again = injectPod({ pod: once, namespace: 'bookinfo' }, cfg);
      expect(again.decision).toMatchObject({ inject: false, reason: 'already injected' });
      expect(again.patch).toEqual([]);
    }
  });

  it('names every bad annotation in one PETREL_INJECT_ANNOTATION error', () => {
    const pod = reviewsPod({
      annotations: {
        'traffic.sidecar.istio.io/excludeOutboundPorts': '3306,http',
        'traffic.sidecar.istio.io/includeOutboundIPRanges': '10.0.0.0/33',
        'sidecar.istio.io/proxyCPU': 'lots',
        'proxy.istio.io/config': 'holdApplicationUntilProxyStarts: maybe',
      },
    });
    let caught: unknown;
    try {
      injectPod({ pod, namespace: 'bookinfo' }, config);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InjectorError);
    expect((caught as InjectorError).code).toBe('PETREL_INJECT_ANNOTATION');
    expect((caught as InjectorError).message).toBe(
      [
        'annotation traffic.sidecar.istio.io/includeOutboundIPRanges: "10.0.0.0/33": must be "*" or a comma-separated list of CIDRs (like 10.0.0.0/8)',
        'annotation traffic.sidecar.istio.io/excludeOutboundPorts: "3306,http": must be a comma-separated list of ports 1..65535',
        'annotation proxy.istio.io/config: holdApplicationUntilProxyStarts: must be a boolean',
        'annotation sidecar.istio.io/proxyCPU: "lots": must be a Kubernetes quantity (like 100m, 128Mi)',
      ].join('; '),
    );
  });

  it('does not read annotations of a pod it does not inject', () => {
    const pod = reviewsPod({
      labels: { 'sidecar.istio.io/inject': 'false' },
      annotations: { 'sidecar.istio.io/proxyCPU': 'lots' },
    });
    expect(injectPod({ pod, namespace: 'bookinfo' }, config).patch).toEqual([]);
  });
});
