// The webhook over real HTTPS: its generated certificate verified with the CA
// it exposes, AdmissionReviews in, patches and denials out, and every kind of
// malformed request answered without taking the server down.
import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { injectorConfig } from '../../injector/config.ts';
import type { Pod } from '../../injector/pod-types.ts';
import { startInjectorServer, type InjectorServer } from '../../injector/server.ts';
import { generateServingCertificate } from '../../injector/serving-cert.ts';
import { reviewsPod } from './fixtures.ts';
import { post, review } from './https-client.ts';

const NAMESPACES: Record<string, Record<string, string>> = {
  bookinfo: { 'istio-injection': 'enabled' },
  plain: {},
};

let server: InjectorServer;
const logs: string[] = [];

beforeAll(async () => {
  server = await startInjectorServer({
    config: injectorConfig({ proxyImage: 'petrel/petrel:test' }),
    port: 0,
    maxBodyBytes: 64 * 1024,
    namespaceLabels: async (ns) => NAMESPACES[ns],
    log: (line) => logs.push(line),
  });
});

afterAll(async () => {
  await server.close();
});

const inject = (body: string | Buffer, opts?: Parameters<typeof post>[3]) =>
  post(`${server.url}/inject`, server.caPem, body, opts);
const validate = (body: string) => post(`${server.url}/validate`, server.caPem, body);

function appliedPatch(pod: Pod, response: { patchType?: string; patch?: string }): Pod {
  expect(response.patchType).toBe('JSONPatch');
  const ops = JSON.parse(Buffer.from(response.patch!, 'base64').toString('utf8')) as Operation[];
  return fastJsonPatch.applyPatch(structuredClone(pod), ops, true, false).newDocument;
}

describe('injector webhook server', () => {
  it('serves TLS that verifies only against its own CA bundle', async () => {
    expect((await post(`${server.url}/ready`, server.caPem, '', { method: 'GET' })).status).toBe(
      200,
    );
    const other = await generateServingCertificate({ dnsNames: ['elsewhere'], ips: ['127.0.0.1'] });
    await expect(post(`${server.url}/ready`, other.caPem, '', { method: 'GET' })).rejects.toThrow(
      /self-signed|unable to verify|certificate/i,
    );
  });

  it('injects a pod in a labelled namespace: allowed with a JSON patch that applies', async () => {
    const pod = reviewsPod();
    const reply = await inject(review(pod));
    expect(reply.status).toBe(200);
    const body = reply.json();
    expect(body).toMatchObject({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: true },
    });
    const out = appliedPatch(pod, body.response);
    expect(out.spec.containers.map((c) => c.name)).toEqual(['reviews', 'istio-proxy']);
    expect(out.spec.initContainers!.map((c) => c.name)).toEqual(['istio-init']);
  });

  it('answers a v1beta1 review in v1beta1', async () => {
    const reply = await inject(review(reviewsPod(), {}, 'admission.k8s.io/v1beta1'));
    expect(reply.json()).toMatchObject({
      apiVersion: 'admission.k8s.io/v1beta1',
      response: { allowed: true, patchType: 'JSONPatch' },
    });
  });

  it('leaves pods alone that the policy skips: no patch', async () => {
    const hostNet = reviewsPod();
    hostNet.spec.hostNetwork = true;
    for (const [pod, namespace] of [
      [hostNet, 'bookinfo'],
      [reviewsPod(), 'plain'],
    ] as const) {
      const r = (await inject(review(pod, { namespace }))).json().response;
      expect(r.allowed).toBe(true);
      expect(r.patch).toBeUndefined();
    }
  });

  it('takes cluster and network from /inject/cluster/<id>/net/<network>', async () => {
    const pod = reviewsPod();
    const reply = await post(
      `${server.url}/inject/cluster/east/net/network-1`,
      server.caPem,
      review(pod),
    );
    const proxy = appliedPatch(pod, reply.json().response).spec.containers.find(
      (c) => c.name === 'istio-proxy',
    )!;
    expect(proxy.env).toContainEqual({ name: 'ISTIO_META_CLUSTER_ID', value: 'east' });
    expect(proxy.env).toContainEqual({ name: 'ISTIO_META_NETWORK', value: 'network-1' });
  });

  it('denies a pod with a bad traffic annotation, naming it', async () => {
    const pod = reviewsPod({
      annotations: { 'traffic.sidecar.istio.io/excludeOutboundPorts': '99999' },
    });
    const r = (await inject(review(pod))).json().response;
    expect(r.allowed).toBe(false);
    expect(r.status.message).toBe(
      'petrel injector: pod bookinfo/reviews-v1-5b86c46f7f-*: annotation traffic.sidecar.istio.io/excludeOutboundPorts: "99999": must be a comma-separated list of ports 1..65535',
    );
  });

  it('allows what is not a pod, with a warning', async () => {
    const notPod = (
      await inject(
        review(
          { metadata: { name: 'x' }, spec: {} },
          { kind: { group: 'apps', version: 'v1', kind: 'Deployment' } },
        ),
      )
    ).json().response;
    expect(notPod).toEqual({
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
      allowed: true,
      warnings: ['petrel injector: apps/v1 Deployment is not a Pod; nothing injected'],
    });
    const broken = (
      await inject(review({ metadata: { name: 'x' }, spec: { containers: 'app' } }))
    ).json().response;
    expect(broken).toMatchObject({
      allowed: true,
      warnings: [
        'petrel injector: request.object.spec.containers: must be a list of containers with a name; nothing injected',
      ],
    });
    const missing = (await inject(review(undefined))).json().response;
    expect(missing).toMatchObject({
      allowed: true,
      warnings: ['petrel injector: request.object: must be an object; nothing injected'],
    });
  });

  it('passes non-CREATE operations through untouched', async () => {
    const r = (await inject(review(reviewsPod(), { operation: 'UPDATE' }))).json().response;
    expect(r).toEqual({ uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: true });
  });

  it('rejects bodies that are not an AdmissionReview with 400 and one line', async () => {
    const cases: Array<[string, string]> = [
      ['{"apiVersion":', 'body is not JSON: '],
      ['[]', 'body is not a JSON object'],
      [JSON.stringify({ apiVersion: 'v1', kind: 'Pod' }), 'kind "Pod": must be AdmissionReview'],
      [
        JSON.stringify({
          apiVersion: 'admission.k8s.io/v2',
          kind: 'AdmissionReview',
          request: { uid: 'u' },
        }),
        'apiVersion "admission.k8s.io/v2": must be one of admission.k8s.io/v1, admission.k8s.io/v1beta1',
      ],
      [
        JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }),
        'request: is required',
      ],
      [
        JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          request: { object: {} },
        }),
        'request.uid: is required',
      ],
    ];
    for (const [body, message] of cases) {
      const reply = await inject(body);
      expect(reply.status, body).toBe(400);
      expect(reply.text.startsWith(message), reply.text).toBe(true);
      expect(reply.text.trim().split('\n')).toHaveLength(1);
    }
  });

  it('bounds the request size, by content-length and while streaming', async () => {
    const big = review(reviewsPod({ annotations: { filler: 'x'.repeat(70 * 1024) } }));
    expect((await inject(big)).status).toBe(413);
    expect((await inject(Buffer.from(big), { chunked: true })).status).toBe(413);
  });

  it('answers wrong methods, content types and paths', async () => {
    expect((await post(`${server.url}/inject`, server.caPem, '', { method: 'GET' })).status).toBe(
      405,
    );
    expect((await inject(review(reviewsPod()), { contentType: 'application/yaml' })).status).toBe(
      415,
    );
    expect((await post(`${server.url}/mutate`, server.caPem, review(reviewsPod()))).status).toBe(
      404,
    );
  });

  it('keeps serving after malformed requests', async () => {
    await inject('not json');
    await inject(Buffer.alloc(100 * 1024), { chunked: true });
    expect((await inject(review(reviewsPod()))).json().response.allowed).toBe(true);
  });
});

describe('validating webhook', () => {
  const vs = (spec: unknown) => ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'reviews', namespace: 'bookinfo' },
    spec,
  });
  const vsReview = (obj: unknown, extra: Record<string, unknown> = {}) =>
    review(obj, {
      kind: { group: 'networking.istio.io', version: 'v1', kind: 'VirtualService' },
      ...extra,
    });

  it('rejects an invalid VirtualService with the field path', async () => {
    const r = (
      await validate(
        vsReview(
          vs({
            hosts: ['reviews'],
            http: [{ route: [{ destination: { host: 'reviews' }, weight: 200 }] }],
          }),
        ),
      )
    ).json().response;
    expect(r.allowed).toBe(false);
    expect(r.status.message).toBe(
      'configuration is invalid: virtualservice bookinfo/reviews: spec.http[0].route[0].weight: must be 0..100',
    );
  });

  it('accepts a valid one', async () => {
    const r = (
      await validate(
        vsReview(
          vs({
            hosts: ['reviews'],
            http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' } }] }],
          }),
        ),
      )
    ).json().response;
    expect(r).toEqual({ uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: true });
  });

  it('returns validation warnings (fields Petrel does not act on) as admission warnings', async () => {
    const r = (
      await validate(
        vsReview(
          vs({
            hosts: ['reviews'],
            tcp: [
              {
                match: [{ sourceSubnet: '10.0.0.0/8' }],
                route: [{ destination: { host: 'reviews' } }],
              },
            ],
          }),
        ),
      )
    ).json().response;
    expect(r.allowed).toBe(true);
    expect(r.warnings).toEqual([
      'virtualservice bookinfo/reviews: spec.tcp[0].match[0].sourceSubnet: not supported by Petrel yet; ignored',
    ]);
  });

  it('fills the namespace from the request and allows deletes and kinds it does not model', async () => {
    const noNs = { ...vs({ hosts: ['reviews'] }), metadata: { name: 'reviews' } };
    expect((await validate(vsReview(noNs))).json().response.allowed).toBe(true);
    expect((await validate(vsReview(undefined, { operation: 'DELETE' }))).json().response).toEqual({
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
      allowed: true,
    });
    const telemetry = {
      apiVersion: 'telemetry.istio.io/v1',
      kind: 'Telemetry',
      metadata: { name: 'mesh-default' },
      spec: {},
    };
    expect((await validate(review(telemetry))).json().response).toMatchObject({
      allowed: true,
      warnings: ['petrel validator: telemetry.istio.io/v1 Telemetry is not validated by Petrel'],
    });
  });

  it('denies an object it cannot read', async () => {
    const r = (await validate(review({ kind: 'VirtualService' }))).json().response;
    expect(r).toMatchObject({
      allowed: false,
      status: { message: 'petrel validator: request.object: apiVersion and kind are required' },
    });
  });
});

describe('certificate rotation', () => {
  it('serves a new certificate to new connections after setCertificate', async () => {
    const own = await startInjectorServer({ config: injectorConfig(), port: 0, log: () => {} });
    try {
      const oldCa = own.caPem;
      const next = await generateServingCertificate({
        dnsNames: ['istiod.istio-system.svc'],
        ips: ['127.0.0.1'],
      });
      own.setCertificate(next);
      expect(own.caPem).toBe(next.caPem);
      expect((await post(`${own.url}/ready`, next.caPem, '', { method: 'GET' })).status).toBe(200);
      await expect(post(`${own.url}/ready`, oldCa, '', { method: 'GET' })).rejects.toThrow();
    } finally {
      await own.close();
    }
  });
});
