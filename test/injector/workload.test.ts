import { describe, expect, it } from 'vitest';
import type { Pod } from '../../injector/pod-types.ts';
import { canonicalName, canonicalRevision, ownerUri, workloadOf } from '../../injector/workload.ts';

const pod = (metadata: Pod['metadata']): Pod => ({ metadata, spec: { containers: [] } });

describe('workloadOf', () => {
  it('finds the Deployment behind a ReplicaSet by its pod-template-hash', () => {
    const p = pod({
      labels: { 'pod-template-hash': '5b86c46f7f' },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'reviews-v1-5b86c46f7f',
          controller: true,
        },
      ],
    });
    expect(workloadOf(p)).toEqual({
      name: 'reviews-v1',
      kind: 'Deployment',
      apiVersion: 'apps/v1',
    });
  });

  it('keeps a bare ReplicaSet, finds a CronJob behind its Job, and uses other controllers as they are', () => {
    expect(
      workloadOf(
        pod({
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', controller: true },
          ],
        }),
      ),
    ).toMatchObject({ name: 'rs', kind: 'ReplicaSet' });
    expect(
      workloadOf(
        pod({
          ownerReferences: [
            { apiVersion: 'batch/v1', kind: 'Job', name: 'backup-28930120', controller: true },
          ],
        }),
      ),
    ).toEqual({ name: 'backup', kind: 'CronJob', apiVersion: 'batch/v1' });
    expect(
      workloadOf(
        pod({
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', controller: true },
          ],
        }),
      ),
    ).toEqual({ name: 'db', kind: 'StatefulSet', apiVersion: 'apps/v1' });
  });

  it('names a bare pod after itself, or its generateName', () => {
    expect(workloadOf(pod({ name: 'sleep' }))).toEqual({
      name: 'sleep',
      kind: 'Pod',
      apiVersion: 'v1',
    });
    expect(workloadOf(pod({ generateName: 'job-' })).name).toBe('job');
    expect(ownerUri(workloadOf(pod({ name: 'sleep' })), 'default')).toBe(
      'kubernetes://apis/v1/namespaces/default/pods/sleep',
    );
  });
});

describe('canonical service', () => {
  const w = { name: 'reviews-v1', kind: 'Deployment', apiVersion: 'apps/v1' };
  it('prefers the explicit label, then app.kubernetes.io/*, then app/version, then the workload / latest', () => {
    expect(
      canonicalName(
        pod({
          labels: {
            'service.istio.io/canonical-name': 'c',
            'app.kubernetes.io/name': 'k',
            app: 'a',
          },
        }),
        w,
      ),
    ).toBe('c');
    expect(canonicalName(pod({ labels: { 'app.kubernetes.io/name': 'k', app: 'a' } }), w)).toBe(
      'k',
    );
    expect(canonicalName(pod({ labels: { app: 'a' } }), w)).toBe('a');
    expect(canonicalName(pod({}), w)).toBe('reviews-v1');
    expect(
      canonicalRevision(pod({ labels: { 'app.kubernetes.io/version': '2', version: 'v1' } })),
    ).toBe('2');
    expect(canonicalRevision(pod({ labels: { version: 'v1' } }))).toBe('v1');
    expect(canonicalRevision(pod({}))).toBe('latest');
  });
});
