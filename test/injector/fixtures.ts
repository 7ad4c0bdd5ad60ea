// Pods as the API server sends them in an AdmissionReview for CREATE: the
// Deployment controller's pods have a generateName and an owner, no name yet.
import type { Pod } from '../../injector/pod-types.ts';

export function reviewsPod(
  extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'reviews-v1-5b86c46f7f-',
      namespace: 'bookinfo',
      labels: { app: 'reviews', version: 'v1', 'pod-template-hash': '5b86c46f7f', ...extra.labels },
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'reviews-v1-5b86c46f7f',
          controller: true,
        },
      ],
    },
    spec: {
      serviceAccountName: 'bookinfo-reviews',
      containers: [
        {
          name: 'reviews',
          image: 'petrel/sample-reviews',
          ports: [{ name: 'http', containerPort: 9080, protocol: 'TCP' }],
        },
      ],
    },
  };
}

/** Nothing optional at all: no labels, annotations, init containers or volumes. */
export function barePod(): Pod {
  return {
    metadata: { name: 'sleep', namespace: 'default' },
    spec: { containers: [{ name: 'sleep', image: 'curlimages/curl' }] },
  };
}
