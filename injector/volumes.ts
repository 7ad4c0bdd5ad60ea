// The volumes the sidecar needs and where it mounts them (Istio's paths, so an
// agent that knows Istio finds its token, CA and pod info where it expects).
import { VOLUME } from './names.ts';
import type { Volume } from './pod-types.ts';

/** Token audience the mesh CA accepts (Istio's global.sds.token.aud). */
export const TOKEN_AUDIENCE = 'istio-ca';

export function sidecarVolumes(): Volume[] {
  return [
    // The agent ↔ proxy SDS channel and bootstrap; memory-backed, never on disk.
    { name: VOLUME.envoy, emptyDir: { medium: 'Memory' } },
    { name: VOLUME.data, emptyDir: {} },
    {
      name: VOLUME.podinfo,
      downwardAPI: {
        items: [
          { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
          { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
        ],
      },
    },
    // A short-lived token for the CA, not the pod's default service account token.
    {
      name: VOLUME.token,
      projected: {
        sources: [
          {
            serviceAccountToken: {
              audience: TOKEN_AUDIENCE,
              expirationSeconds: 43200,
              path: 'istio-token',
            },
          },
        ],
      },
    },
    { name: VOLUME.caCert, configMap: { name: 'istio-ca-root-cert' } },
  ];
}

export function sidecarVolumeMounts(): Array<{ name: string; mountPath: string }> {
  return [
    { name: VOLUME.caCert, mountPath: '/var/run/secrets/istio' },
    { name: VOLUME.data, mountPath: '/var/lib/istio/data' },
    { name: VOLUME.envoy, mountPath: '/etc/istio/proxy' },
    { name: VOLUME.token, mountPath: '/var/run/secrets/tokens' },
    { name: VOLUME.podinfo, mountPath: '/etc/istio/pod' },
  ];
}
