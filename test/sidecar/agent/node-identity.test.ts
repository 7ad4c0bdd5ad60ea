import { describe, expect, it } from 'vitest';
import { parseProxy } from '../../../pilot/model/proxy.ts';
import { buildNodeIdentity, parseLabels } from '../../../sidecar/agent/node-identity.ts';

const podEnv = {
  POD_NAME: 'reviews-v1-5d8f7b9c4-abcde',
  POD_NAMESPACE: 'bookinfo',
  INSTANCE_IP: '10.244.0.17',
  SERVICE_ACCOUNT: 'bookinfo-reviews',
  ISTIO_META_WORKLOAD_NAME: 'reviews-v1',
  ISTIO_META_CLUSTER_ID: 'east',
  ISTIO_META_MESH_ID: 'mesh1',
  ISTIO_METAJSON_LABELS: '{"app":"reviews","version":"v1"}',
  UNRELATED: 'x',
};

describe('buildNodeIdentity', () => {
  it('builds the Istio node id and metadata from the pod environment', () => {
    const node = buildNodeIdentity({ env: podEnv });
    expect(node.id).toBe(
      'sidecar~10.244.0.17~reviews-v1-5d8f7b9c4-abcde.bookinfo~bookinfo.svc.cluster.local',
    );
    expect(node.cluster).toBe('reviews.bookinfo');
    expect(node.metadata).toMatchObject({
      NAME: 'reviews-v1-5d8f7b9c4-abcde',
      NAMESPACE: 'bookinfo',
      LABELS: { app: 'reviews', version: 'v1' },
      SERVICE_ACCOUNT: 'bookinfo-reviews',
      INSTANCE_IPS: '10.244.0.17',
      WORKLOAD_NAME: 'reviews-v1',
      CLUSTER_ID: 'east',
      MESH_ID: 'mesh1',
    });
    expect(typeof node.metadata.ISTIO_VERSION).toBe('string');
    expect(node.metadata).not.toHaveProperty('GENERATOR');
    expect(node.metadata).not.toHaveProperty('UNRELATED');
  });

  it('lets options override the environment and uses router for gateways', () => {
    const node = buildNodeIdentity({
      env: podEnv,
      role: 'router',
      podName: 'ingress-7f9',
      namespace: 'istio-system',
      ips: ['10.0.0.9', 'fd00::9'],
      labels: { istio: 'ingressgateway' },
    });
    expect(node.id).toBe('router~10.0.0.9~ingress-7f9.istio-system~istio-system.svc.cluster.local');
    expect(node.metadata).toMatchObject({
      INSTANCE_IPS: '10.0.0.9,fd00::9',
      LABELS: { istio: 'ingressgateway' },
    });
  });

  it("is parsed back by pilot's node parser to the same identity", () => {
    const node = buildNodeIdentity({ env: podEnv });
    const proxy = parseProxy(node);
    expect(proxy).toMatchObject({
      type: 'sidecar',
      generator: 'envoy',
      podName: 'reviews-v1-5d8f7b9c4-abcde',
      namespace: 'bookinfo',
      ips: ['10.244.0.17'],
      labels: { app: 'reviews', version: 'v1' },
      serviceAccount: 'bookinfo-reviews',
      workloadName: 'reviews-v1',
      clusterId: 'east',
      dnsDomain: 'svc.cluster.local',
    });
  });

  it('rejects an instance IP that is not an IP, and bad ISTIO_METAJSON_ values, with one line', () => {
    expect(() => buildNodeIdentity({ env: { ...podEnv, INSTANCE_IP: 'pod-ip' } })).toThrow(
      /instance IP "pod-ip" is not an IP address/,
    );
    expect(() => buildNodeIdentity({ env: { ...podEnv, ISTIO_METAJSON_LABELS: '{app:' } })).toThrow(
      expect.objectContaining({
        code: 'PETREL_AGENT_IDENTITY',
        message: expect.stringMatching(/^environment ISTIO_METAJSON_LABELS: not JSON/),
      }),
    );
  });

  it('parses --labels k=v,k=v and names a bad entry', () => {
    expect(parseLabels('app=reviews, version=v1')).toEqual({ app: 'reviews', version: 'v1' });
    expect(() => parseLabels('app=reviews,oops')).toThrow('--labels: "oops" is not key=value');
  });
});
