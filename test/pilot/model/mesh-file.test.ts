// Istio's mesh config file: the fields pilot and the injector act on, a warning
// line per field they do not, and one error line naming file and field for a bad value.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { meshConfig } from '../../../pilot/model/mesh-config.ts';
import { parseMeshFile, readMeshFile } from '../../../pilot/model/mesh-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'petrel-mesh-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ISTIO_MESH = `# as in Istio's istio ConfigMap, key mesh
trustDomain: example.org
rootNamespace: mesh-root
enableAutoMtls: false
connectTimeout: 2.5s
outboundTrafficPolicy:
  mode: REGISTRY_ONLY
defaultServiceExportTo: ["."]
ingressClass: istio
ingressControllerMode: DEFAULT
ingressService: edge-gateway
ingressSelector: edge
accessLogFile: /dev/stdout
enablePrometheusMerge: true
extensionProviders: []
trustDomainAliaes: [old.example.org]
defaultConfig:
  discoveryAddress: istiod.mesh-root.svc:15012
  holdApplicationUntilProxyStarts: true
  meshId: mesh1
  proxyMetadata: {}
  concurrency: 2
`;

describe('--mesh-config file', () => {
  it('reads the fields pilot acts on into mesh settings, and the proxy defaults the injector acts on', () => {
    const read = parseMeshFile('mesh', ISTIO_MESH);
    expect(read.mesh).toEqual({
      trustDomain: 'example.org',
      rootNamespace: 'mesh-root',
      enableAutoMtls: false,
      connectTimeoutMs: 2500,
      outboundTrafficPolicy: 'REGISTRY_ONLY',
      defaultServiceExportTo: ['.'],
      ingressClass: 'istio',
      ingressControllerMode: 'DEFAULT',
      ingressService: 'edge-gateway',
      ingressSelector: 'edge',
    });
    expect(read.proxy).toEqual({
      discoveryAddress: 'istiod.mesh-root.svc:15012',
      holdApplicationUntilProxyStarts: true,
      meshId: 'mesh1',
    });
    expect(meshConfig(read.mesh).ingressNamespace).toBe('istio-system');
  });

  it('warns once per field it does not act on, and names a field Istio does not have; empty values pass quietly', () => {
    expect(parseMeshFile('mesh', ISTIO_MESH).warnings).toEqual([
      'mesh: accessLogFile: not supported by Petrel; ignored',
      'mesh: enablePrometheusMerge: not supported by Petrel; ignored',
      'mesh: trustDomainAliaes: not a MeshConfig field; ignored',
      'mesh: defaultConfig.concurrency: not supported by Petrel; ignored',
    ]);
  });

  it('reads a whole ConfigMap istio from its mesh key', () => {
    const cm = `apiVersion: v1
kind: ConfigMap
metadata: { name: istio, namespace: istio-system }
data:
  mesh: |-
    ingressControllerMode: OFF
    trustDomain: cm.example
`;
    expect(parseMeshFile('cm.yaml', cm).mesh).toEqual({
      ingressControllerMode: 'OFF',
      trustDomain: 'cm.example',
    });
  });

  it('takes an empty file as all defaults', () => {
    expect(parseMeshFile('mesh', '')).toEqual({ mesh: {}, proxy: {}, warnings: [] });
  });

  it.each([
    [
      'outboundTrafficPolicy: { mode: DENY }',
      'm: outboundTrafficPolicy.mode: must be one of ALLOW_ANY, REGISTRY_ONLY',
    ],
    [
      'ingressControllerMode: SOMETIMES',
      'm: ingressControllerMode: must be one of UNSPECIFIED, OFF, DEFAULT, STRICT',
    ],
    ['connectTimeout: soon', 'm: connectTimeout: must be a duration of at least 1ms like "10s"'],
    ['enableAutoMtls: "yes"', 'm: enableAutoMtls: must be true or false'],
    [
      'defaultVirtualServiceExportTo: ["Bad NS"]',
      'm: defaultVirtualServiceExportTo[0]: must be ".", "*", "~" or a namespace name',
    ],
    ['trustDomain: ""', 'm: trustDomain: must be a non-empty string'],
    [
      'ingressSelector: "a b"',
      "m: ingressSelector: must be a label value (the gateway pods' `istio` label)",
    ],
    [
      'defaultConfig: { discoveryAddress: istiod }',
      'm: defaultConfig.discoveryAddress: must be host:port',
    ],
    ['- a list', 'm: must be a MeshConfig YAML mapping'],
    ['trustDomain: a\ntrustDomain: b', 'm:2: Map keys must be unique'],
  ])('refuses %j with one line naming the field', (yaml, line) => {
    expect(() => parseMeshFile('m', yaml)).toThrow(line);
    try {
      parseMeshFile('m', yaml);
    } catch (err) {
      expect((err as Error).message.split('\n')).toHaveLength(1);
      expect((err as { code?: string }).code).toBe('PETREL_MODEL_MESH');
    }
  });

  it('reads a file, and names a file it cannot read', () => {
    const file = join(dir, 'mesh');
    writeFileSync(file, 'ingressClass: edge\n');
    expect(readMeshFile(file).mesh).toEqual({ ingressClass: 'edge' });
    expect(() => readMeshFile(join(dir, 'missing'))).toThrow(
      `${join(dir, 'missing')}: cannot read the mesh config`,
    );
  });
});
