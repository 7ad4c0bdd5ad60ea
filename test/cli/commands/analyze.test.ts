// `petrel analyze` as a user runs it: istioctl's message lines on stdout, the
// file problems on stderr, and istioctl's exit codes (0, 79 on errors, 65 when
// only parsing failed) for files, a config dir and a cluster.
import { KubernetesObjectApi } from '@kubernetes/client-node';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createAnalyzeCommand } from '../../../cli/commands/analyze.ts';
import { CliError } from '../../../cli/errors.ts';
import { bufferIo } from '../../../cli/operator/io.ts';
import { KubeApiServerDouble } from '../../support/kube/api-server.ts';

const FIXTURES = relative(process.cwd(), join(import.meta.dirname, '../../pilot/analyze/fixtures'));
const BOOKINFO = join(FIXTURES, 'bookinfo.yaml');
let dir: string;

async function analyze(...args: string[]) {
  const io = bufferIo();
  const code = await createAnalyzeCommand(io).run(args);
  return { code, out: io.stdout, err: io.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'petrel-analyze-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('petrel analyze', () => {
  it('exits 0 and says so on stderr when there is nothing to report', async () => {
    const { code, out, err } = await analyze('-f', BOOKINFO);
    expect(code).toBe(0);
    expect(out).toBe('');
    expect(err).toBe(`\u2714 No validation issues found when analyzing ${BOOKINFO}.\n`);
  });

  it('exits 79 with one line per message when an analyzer finds an error', async () => {
    const { code, out } = await analyze(BOOKINFO, join(FIXTURES, 'vs-unknown-host.yaml'));
    expect(code).toBe(79);
    expect(out).toBe(
      `Error [IST0101] (VirtualService default/ratings ${join(FIXTURES, 'vs-unknown-host.yaml')}:9) Referenced host not found: "ratingz"\n`,
    );
  });

  it('exits 0 when only warnings and info are found', async () => {
    const { code, out } = await analyze(
      '-f',
      BOOKINFO,
      '-f',
      join(FIXTURES, 'port-names.yaml'),
      '-f',
      join(FIXTURES, 'dr-unknown-host.yaml'),
    );
    expect(code).toBe(0);
    expect(
      out
        .trim()
        .split('\n')
        .map((l) => l.split(' ', 2).join(' ')),
    ).toEqual(['Warning [IST0174]', 'Info [IST0118]']);
  });

  it('reads a --config-dir as pilot does, and analyses samples/mesh', async () => {
    const { code, out } = await analyze('--config-dir', 'samples/mesh');
    expect(code).toBe(79);
    expect(out).toBe(
      'Error [IST0101] (Gateway default/bookinfo-gateway samples/mesh/bookinfo-gateway.yaml:6) Referenced selector not found: "istio=ingressgateway"\n',
    );
  });

  it('reports a file that does not parse on stderr and exits 65 when nothing else is wrong', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: v1\nkind: Service\nmetadata: {}\nmetadata: {}\n');
    const { code, out, err } = await analyze(BOOKINFO, bad);
    expect(code).toBe(65);
    expect(out).toBe('');
    expect(err).toMatch(
      new RegExp(`^Error: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4: YAML: .*\\n$`),
    );
  });

  it('prints istioctl-shaped JSON and YAML, with the same exit code', async () => {
    const json = await analyze('-o', 'json', BOOKINFO, join(FIXTURES, 'gateway-no-workload.yaml'));
    expect(json.code).toBe(79);
    expect(JSON.parse(json.out)).toEqual([
      expect.objectContaining({
        code: 'IST0101',
        level: 'Error',
        origin: 'Gateway default/egress',
        message: 'Referenced selector not found: "istio=egressgateway"',
      }),
    ]);
    const yaml = await analyze('-o', 'yaml', BOOKINFO);
    expect(yaml.code).toBe(0);
    expect(parse(yaml.out)).toEqual([]);
  });

  it('lists its analyzers', async () => {
    const { code, out } = await analyze('-L');
    expect(code).toBe(0);
    expect(out).toContain('virtualservice.DestinationHostAnalyzer: ');
    expect(out).toContain('auth.MTLSConflictAnalyzer: ');
  });

  it('rejects a run with nothing to analyse, and a --config-dir that is no directory', async () => {
    await expect(analyze()).rejects.toBeInstanceOf(CliError);
    await expect(analyze('--config-dir', BOOKINFO)).rejects.toThrow(
      `--config-dir ${BOOKINFO}: not a directory`,
    );
    await expect(analyze('-o', 'xml', BOOKINFO)).rejects.toThrow('--output xml');
  });

  describe('--kube', () => {
    let apiServer: KubeApiServerDouble;
    const saved = process.env.KUBECONFIG;

    beforeAll(async () => {
      apiServer = await KubeApiServerDouble.start();
      const kubeconfig = join(dir, 'kubeconfig');
      writeFileSync(kubeconfig, apiServer.kubeconfigText());
      process.env.KUBECONFIG = kubeconfig;
      const api = KubernetesObjectApi.makeApiClient(apiServer.kubeConfig());
      await api.create({
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'ratings', namespace: 'default' },
        spec: { hosts: ['ratings'], http: [{ route: [{ destination: { host: 'ratingz' } }] }] },
      } as never);
    });

    afterAll(async () => {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
      await apiServer?.close();
    });

    it('analyses the cluster named by KUBECONFIG', async () => {
      const { code, out } = await analyze('--kube');
      expect(code).toBe(79);
      expect(out).toBe(
        'Error [IST0101] (VirtualService default/ratings) Referenced host not found: "ratingz"\n',
      );
    });

    it('lets files given with --kube replace the cluster objects they name', async () => {
      const fixed = join(dir, 'ratings.yaml');
      writeFileSync(
        fixed,
        'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: ratings, namespace: default }\nspec:\n  hosts: [ratings]\n  http: [{ route: [{ destination: { host: ratings } }] }]\n',
      );
      const { code, out } = await analyze('--kube', '-f', BOOKINFO, '-f', fixed);
      expect(out).toBe('');
      expect(code).toBe(0);
    });
  });
});
