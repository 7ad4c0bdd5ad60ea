// petrel local reads its pods from the config dir as a kubelet would: samples/mesh
// gives six pods with their IPs, labels and service accounts, each with its own
// loopback address; a config dir without sample pods, or a bad --loopback-net, is
// one clear error.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalError } from '../../../cli/local/errors.ts';
import { readPlan } from '../../../cli/local/plan.ts';

const options = {
  configDir: 'samples/mesh',
  appsDir: 'samples/apps',
  loopbackNet: '127.0.2.0/24',
  adminPortBase: 15100,
};

describe('local mesh plan', () => {
  it('reads the sample pods and the gateway from samples/mesh', () => {
    const plan = readPlan(options);
    expect(plan.pods.map((p) => [p.name, p.app, p.ip, p.loopback, p.adminPort])).toEqual([
      ['productpage-v1', 'productpage', '127.0.1.1', '127.0.2.1', 15101],
      ['details-v1', 'details', '127.0.1.2', '127.0.2.2', 15102],
      ['reviews-v1', 'reviews', '127.0.1.3', '127.0.2.3', 15103],
      ['reviews-v2', 'reviews', '127.0.1.4', '127.0.2.4', 15104],
      ['reviews-v3', 'reviews', '127.0.1.5', '127.0.2.5', 15105],
      ['ratings-v1', 'ratings', '127.0.1.6', '127.0.2.6', 15106],
    ]);
    expect(plan.pods[3]!.labels).toMatchObject({ app: 'reviews', version: 'v2' });
    expect(plan.pods[3]!.serviceAccount).toBe('bookinfo-reviews');
    expect(plan.pods[3]!.appFile).toBe(join('samples/apps', 'reviews.ts'));
    expect(plan.gateway).toMatchObject({
      labels: { istio: 'ingressgateway' },
      ports: [8080],
      adminPort: 15100,
      probeIp: '127.0.2.254',
    });
  });

  it('refuses a config dir with no sample pods, naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'petrel-plan-'));
    try {
      writeFileSync(
        join(dir, 'svc.yaml'),
        'apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80}]}\n',
      );
      expect(() => readPlan({ ...options, configDir: dir })).toThrow(
        /no Pod with an image petrel\/sample-<app>/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a loopback network it cannot map pod IPs into', () => {
    expect(() => readPlan({ ...options, loopbackNet: '127.0.2.0/16' })).toThrow(LocalError);
  });
});
