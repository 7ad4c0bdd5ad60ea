// MeshConfig extensionProviders: the ext_authz providers CUSTOM policies name, with
// Istio's checks. Every check failing gives one line naming the field; a bad
// provider is kept (with its problem) rather than stopping pilot; the other
// provider kinds are accepted with one warning each.
import { describe, expect, it } from 'vitest';
import { meshConfig } from '../../../pilot/model/mesh-config.ts';
import { parseMeshFile } from '../../../pilot/model/mesh-file.ts';
import { readExtensionProviders } from '../../../pilot/model/mesh-providers.ts';

const HTTP = {
  name: 'http-authz',
  envoyExtAuthzHttp: {
    service: 'ext-authz.foo.svc.cluster.local',
    port: 8000,
    timeout: '10s',
    pathPrefix: '/check',
    failOpen: true,
    statusOnError: '503',
    includeRequestHeadersInCheck: ['x-ext-authz', 'x-prefix-*', '*-suffix'],
    includeAdditionalHeadersInCheck: { 'x-added': 'yes' },
    includeRequestBodyInCheck: { maxRequestBytes: 4096, allowPartialMessage: true },
    headersToUpstreamOnAllow: ['x-user'],
    headersToDownstreamOnDeny: ['x-reason'],
    headersToDownstreamOnAllow: ['set-cookie'],
  },
};
const GRPC = {
  name: 'grpc-authz',
  envoyExtAuthzGrpc: { service: 'foo/ext-authz.foo.svc.cluster.local', port: 9000 },
};

/** The one problem line of a single provider `{ name: 'p', <kind>: spec }`. */
function problemOf(spec: Record<string, unknown>, kind = 'envoyExtAuthzHttp'): string[] {
  return readExtensionProviders([{ name: 'p', [kind]: spec }]).problems;
}

const base = { service: 'ext-authz.foo.svc.cluster.local', port: 8000 };

describe('extensionProviders', () => {
  it('reads HTTP and gRPC ext_authz providers as given, with no problem and no warning', () => {
    const read = readExtensionProviders([HTTP, GRPC]);
    expect(read.providers).toEqual([HTTP, GRPC]);
    expect(read.problems).toEqual([]);
    expect(read.warnings).toEqual([]);
  });

  it.each([
    [
      'port out of range',
      { ...base, port: 70000 },
      'extensionProviders[0].envoyExtAuthzHttp.port: must be in 1..65535',
    ],
    [
      'port missing',
      { service: base.service },
      'extensionProviders[0].envoyExtAuthzHttp.port: must be in 1..65535',
    ],
    [
      'service missing',
      { port: 80 },
      'extensionProviders[0].envoyExtAuthzHttp.service: must not be empty',
    ],
    [
      'service with a wildcard',
      { ...base, service: '*.foo.svc.cluster.local' },
      'extensionProviders[0].envoyExtAuthzHttp.service: must be a hostname (no wildcard), an IP address or namespace/hostname',
    ],
    [
      'service with a bad namespace',
      { ...base, service: 'Foo_Bar/ext-authz.foo' },
      'extensionProviders[0].envoyExtAuthzHttp.service: must be namespace/hostname with a namespace name',
    ],
    [
      'statusOnError not an HTTP status',
      { ...base, statusOnError: '999' },
      'extensionProviders[0].envoyExtAuthzHttp.statusOnError: must be an HTTP status Envoy knows, like "403" or "503"',
    ],
    [
      'statusOnError not a string',
      { ...base, statusOnError: 403 },
      'extensionProviders[0].envoyExtAuthzHttp.statusOnError: must be an HTTP status as a string, like "403"',
    ],
    [
      'pathPrefix without a leading /',
      { ...base, pathPrefix: 'check' },
      'extensionProviders[0].envoyExtAuthzHttp.pathPrefix: must begin with `/`',
    ],
    [
      'a lone * in a header list',
      { ...base, headersToUpstreamOnAllow: ['x-a', '*'] },
      'extensionProviders[0].envoyExtAuthzHttp.headersToUpstreamOnAllow[1]: a lone "*" is not supported; use a prefix ("x-*") or suffix ("*-id") match',
    ],
    [
      'a lone * in the deprecated includeHeadersInCheck',
      { ...base, includeHeadersInCheck: ['*'] },
      'extensionProviders[0].envoyExtAuthzHttp.includeHeadersInCheck[0]: a lone "*" is not supported; use a prefix ("x-*") or suffix ("*-id") match',
    ],
    [
      'a timeout that is not a duration',
      { ...base, timeout: 'soon' },
      'extensionProviders[0].envoyExtAuthzHttp.timeout: must be a duration like "10s"',
    ],
    [
      'failOpen not a boolean',
      { ...base, failOpen: 'yes' },
      'extensionProviders[0].envoyExtAuthzHttp.failOpen: must be true or false',
    ],
    [
      'a request body without maxRequestBytes (Envoy requires it)',
      { ...base, includeRequestBodyInCheck: { allowPartialMessage: true } },
      'extensionProviders[0].envoyExtAuthzHttp.includeRequestBodyInCheck.maxRequestBytes: must be a number of bytes above 0',
    ],
    [
      'an added header with a bad name',
      { ...base, includeAdditionalHeadersInCheck: { 'bad header': 'v' } },
      'extensionProviders[0].envoyExtAuthzHttp.includeAdditionalHeadersInCheck.bad header: must be a header name',
    ],
  ])('%s: one line naming the field', (_what, spec, line) => {
    expect(problemOf(spec)).toEqual([line]);
  });

  it('checks the gRPC kind the same way', () => {
    expect(problemOf({ service: 'ext-authz', port: 0 }, 'envoyExtAuthzGrpc')).toEqual([
      'extensionProviders[0].envoyExtAuthzGrpc.port: must be in 1..65535',
    ]);
  });

  it('checks names: not empty, a DNS-1123 label, unique (a duplicate is bad and wins)', () => {
    const spec = { envoyExtAuthzGrpc: { service: 'a.b', port: 1 } };
    expect(readExtensionProviders([{ ...spec }]).problems).toEqual([
      'extensionProviders[0].name: must not be empty',
    ]);
    expect(readExtensionProviders([{ name: 'My_Authz', ...spec }]).problems).toEqual([
      'extensionProviders[0].name: must be a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters)',
    ]);
    const dup = readExtensionProviders([
      { name: 'authz', ...spec },
      { name: 'authz', ...spec },
    ]);
    expect(dup.problems).toEqual([
      'extensionProviders[1].name: "authz" is already the name of extensionProviders[0]',
    ]);
    expect(dup.providers.map((p) => p.problem)).toEqual([
      undefined,
      'extensionProviders[1].name: "authz" is already the name of extensionProviders[0]',
    ]);
  });

  it('refuses two provider kinds in one entry', () => {
    expect(
      readExtensionProviders([
        { name: 'x', envoyExtAuthzGrpc: { service: 'a.b', port: 1 }, zipkin: {} },
      ]).problems,
    ).toEqual([
      'extensionProviders[0]: sets envoyExtAuthzGrpc and zipkin: one provider kind per entry',
    ]);
  });

  it('joins every problem of one provider in its one line', () => {
    expect(problemOf({ service: '', port: -1, pathPrefix: 'x' })).toEqual([
      'extensionProviders[0].envoyExtAuthzHttp.service: must not be empty; extensionProviders[0].envoyExtAuthzHttp.port: must be in 1..65535; extensionProviders[0].envoyExtAuthzHttp.pathPrefix: must begin with `/`',
    ]);
  });

  it('accepts the other kinds with one warning each, and leaves them out', () => {
    const read = readExtensionProviders([
      { name: 'zipkin', zipkin: { service: 'zipkin.istio-system.svc.cluster.local', port: 9411 } },
      { name: 'otel', opentelemetry: { service: 'otel.svc', port: 4317 } },
      { name: 'log', envoyFileAccessLog: { path: '/dev/stdout' } },
      { name: 'x', envoyExtAuthzGrpc: { service: 'a.b', port: 1, clearRouteCache: true, typo: 1 } },
    ]);
    expect(read.providers.map((p) => p.name)).toEqual(['x']);
    expect(read.problems).toEqual([]);
    expect(read.warnings).toEqual([
      'extensionProviders[0].zipkin: not supported by Petrel; ignored',
      'extensionProviders[1].opentelemetry: not supported by Petrel; ignored',
      'extensionProviders[2].envoyFileAccessLog: not supported by Petrel; ignored',
      'extensionProviders[3].envoyExtAuthzGrpc.typo: not a EnvoyExternalAuthorizationGrpcProvider field; ignored',
      'extensionProviders[3].envoyExtAuthzGrpc.clearRouteCache: not supported by Petrel; ignored',
    ]);
  });

  it('keeps a bad provider in the mesh settings with its problem: meshConfig does not throw', () => {
    const mesh = meshConfig({
      extensionProviders: [GRPC, { name: 'bad', envoyExtAuthzHttp: { ...base, port: 0 } }] as never,
    });
    expect(mesh.extensionProviders).toEqual([
      GRPC,
      { name: 'bad', problem: 'extensionProviders[1].envoyExtAuthzHttp.port: must be in 1..65535' },
    ]);
    // Checking again (a push context built from these settings) changes nothing.
    expect(meshConfig(mesh).extensionProviders).toEqual(mesh.extensionProviders);
    expect(() => meshConfig({ extensionProviders: {} as never })).toThrow(
      'mesh config: extensionProviders: must be a list',
    );
  });
});

describe('extensionProviders in the --mesh-config file', () => {
  it('reads them, and gives a bad one as a warning line that says its CUSTOM policies deny', () => {
    const read = parseMeshFile(
      'mesh',
      `extensionProviders:
- name: grpc-authz
  envoyExtAuthzGrpc:
    service: foo/ext-authz.foo.svc.cluster.local
    port: 9000
- name: broken
  envoyExtAuthzHttp:
    service: ext-authz.foo.svc.cluster.local
    port: 99999
- name: tracing
  zipkin: { service: zipkin.istio-system.svc.cluster.local, port: 9411 }
`,
    );
    expect(read.mesh.extensionProviders).toEqual([
      GRPC,
      {
        name: 'broken',
        problem: 'extensionProviders[1].envoyExtAuthzHttp.port: must be in 1..65535',
      },
    ]);
    expect(read.warnings).toEqual([
      'mesh: extensionProviders[2].zipkin: not supported by Petrel; ignored',
      'mesh: extensionProviders[1].envoyExtAuthzHttp.port: must be in 1..65535 (provider "broken" is not used: CUSTOM policies naming it deny the requests they match)',
    ]);
  });

  it('refuses a file whose extensionProviders is not a list, naming file and field', () => {
    expect(() => parseMeshFile('mesh', 'extensionProviders: { name: x }\n')).toThrow(
      'mesh: extensionProviders: must be a list',
    );
  });
});
