// `petrel injector` end to end: a child process with --kube against the API
// server double; it patches the caBundle, and the test then calls the webhook
// trusting only that caBundle, as the API server would.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdmissionregistrationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { injectorCommand } from '../../cli/commands/injector.ts';
import { KubeApiServerDouble } from '../support/kube/api-server.ts';
import { reviewsPod } from './fixtures.ts';
import { post, review } from './https-client.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');

let child: ChildProcess | undefined;
let kube: KubeApiServerDouble | undefined;
let dir: string | undefined;

afterEach(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await kube?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  child = kube = dir = undefined;
});

interface Running {
  url: string;
  /** Resolves when the child's stderr contains `text`. */
  logged(text: string): Promise<void>;
}

function startInjector(args: string[], env: NodeJS.ProcessEnv): Promise<Running> {
  const script = `const { injectorCommand } = await import(${JSON.stringify(join(ROOT, 'cli/commands/injector.ts'))});
process.exitCode = await injectorCommand.run(process.argv.slice(1));`;
  child = spawn(NODE, ['--input-type=module', '-e', script, '--', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const waiting: Array<() => void> = [];
  const logged = async (text: string) => {
    while (!err.includes(text)) await new Promise<void>((resolve) => waiting.push(resolve));
  };
  return new Promise((resolve, reject) => {
    child!.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      for (const wake of waiting.splice(0)) wake();
      const m = /serving (https:\/\/\S+)/.exec(err);
      if (m) resolve({ url: m[1]!, logged });
    });
    child!.once('exit', (code) => reject(new Error(`petrel injector exited ${code}: ${err}`)));
  });
}

describe('petrel injector', () => {
  it('rejects bad flag combinations with one line', async () => {
    await expect(injectorCommand.run(['--tls-cert', 'x.pem'])).rejects.toThrow(
      'give both --tls-cert and --tls-key, or neither (a certificate is then generated)',
    );
    await expect(injectorCommand.run(['--policy', 'sometimes'])).rejects.toThrow(
      '--policy sometimes: must be enabled or disabled',
    );
    await expect(injectorCommand.run(['--revision', 'Canary!'])).rejects.toThrow(
      'revision "Canary!": must be a lowercase DNS-1123 label',
    );
    await expect(injectorCommand.run(['--port', '70000'])).rejects.toThrow(
      '--port 70000: must be a port number 0..65535',
    );
    await expect(injectorCommand.run(['--bogus'])).rejects.toThrow(/bogus/);
  });

  it('--kube: patches the caBundle, reads namespace labels and injects', async () => {
    kube = await KubeApiServerDouble.start();
    kube.installResource({
      group: 'admissionregistration.k8s.io',
      versions: ['v1'],
      kind: 'MutatingWebhookConfiguration',
      plural: 'mutatingwebhookconfigurations',
      namespaced: false,
      custom: false,
      status: false,
    });
    const kc = kube.kubeConfig();
    const admission = kc.makeApiClient(AdmissionregistrationV1Api);
    await admission.createMutatingWebhookConfiguration({
      body: {
        metadata: { name: 'istio-sidecar-injector' },
        webhooks: [
          {
            name: 'namespace.sidecar-injector.istio.io',
            admissionReviewVersions: ['v1'],
            sideEffects: 'None',
            clientConfig: { url: 'https://127.0.0.1/inject' },
          },
        ],
      },
    });
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({
      body: { metadata: { name: 'bookinfo', labels: { 'istio-injection': 'enabled' } } },
    });
    await core.createNamespace({ body: { metadata: { name: 'plain' } } });
    dir = mkdtempSync(join(tmpdir(), 'petrel-injector-cli-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, kube.kubeconfigText());

    const running = await startInjector(
      ['--port', '0', '--kube', '--proxy-image', 'petrel/petrel:cli'],
      { KUBECONFIG: kubeconfig },
    );
    let caBundle: string | undefined;
    while (!caBundle) {
      const cfg = await admission.readMutatingWebhookConfiguration({
        name: 'istio-sidecar-injector',
      });
      caBundle = cfg.webhooks?.[0]?.clientConfig.caBundle;
      if (!caBundle) await new Promise((r) => setTimeout(r, 20));
    }
    const ca = Buffer.from(caBundle, 'base64').toString('utf8');

    const injected = (await post(`${running.url}/inject`, ca, review(reviewsPod()))).json()
      .response;
    expect(injected).toMatchObject({ allowed: true, patchType: 'JSONPatch' });
    expect(Buffer.from(injected.patch, 'base64').toString()).toContain('petrel/petrel:cli');
    const skipped = (
      await post(`${running.url}/inject`, ca, review(reviewsPod(), { namespace: 'plain' }))
    ).json().response;
    expect(skipped).toEqual({ uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: true });
    // One line for the missing validating configuration (a cluster without the validator chart).
    await running.logged(
      'petrel injector: caBundle of istio-sidecar-injector: patched, istio-validator-istio-system: missing',
    );
  });
});
