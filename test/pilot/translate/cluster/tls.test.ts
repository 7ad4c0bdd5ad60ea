// Auto mTLS and DestinationRule TLS on outbound clusters, and the SDS sources their
// secrets come from: the proxy's own (sds-grpc) for the workload certificate, root and
// files; pilot over ADS for credentialName.
import { describe, expect, it } from 'vitest';
import { named, resourcesOf, scenarioFromYaml } from '../support/scenario.ts';

type Obj = Record<string, unknown>;

const PROXY = `
kind: TestProxy
name: productpage
node:
  id: sidecar~10.1.0.1~productpage-v1-7d9b8.default~default.svc.cluster.local
  metadata: {NAMESPACE: default, LABELS: {app: productpage}}
`;

const cluster = (yaml: string, name: string): Obj =>
  named(
    resourcesOf(
      scenarioFromYaml(`kind: TestInclude\nfile: base/bookinfo.yaml\n---\n${yaml}\n---\n${PROXY}`),
      'cds',
    ),
    name,
  );

const REVIEWS = 'outbound|9080||reviews.default.svc.cluster.local';

describe('auto mTLS', () => {
  it('is on by default: tlsMode-istio gets ISTIO_MUTUAL with the workloads\u2019 identities, the rest plaintext', () => {
    const c = cluster('', REVIEWS);
    expect(c.transport_socket).toBeUndefined();
    const [istio, disabled] = c.transport_socket_matches as Obj[];
    expect(istio).toMatchObject({
      name: 'tlsMode-istio',
      match: { tlsMode: 'istio' },
      transport_socket: {
        typed_config: {
          sni: 'outbound_.9080_._.reviews.default.svc.cluster.local',
          common_tls_context: {
            alpn_protocols: ['istio-peer-exchange', 'istio'],
            combined_validation_context: {
              default_validation_context: {
                match_subject_alt_names: [
                  { exact: 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews' },
                ],
              },
            },
          },
        },
      },
    });
    expect(disabled).toMatchObject({ name: 'tlsMode-disabled', match: {} });
  });

  it('is off when the mesh turns it off, and for a DestinationRule that sets tls', () => {
    expect(
      cluster('kind: TestMesh\nmesh: {enableAutoMtls: false}', REVIEWS).transport_socket_matches,
    ).toBeUndefined();
    const dr = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec: {host: reviews, trafficPolicy: {tls: {mode: DISABLE}}}`;
    const c = cluster(dr, REVIEWS);
    expect([c.transport_socket_matches, c.transport_socket]).toEqual([undefined, undefined]);
  });

  it('is off for a namespace whose PeerAuthentication is DISABLE', () => {
    const pa = `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: default}
spec: {mtls: {mode: DISABLE}}`;
    expect(cluster(pa, REVIEWS).transport_socket_matches).toBeUndefined();
  });

  it('takes the workload certificate and root from the proxy itself (sds-grpc), never over ADS', () => {
    const socket = (cluster('', REVIEWS).transport_socket_matches as Obj[])[0]!
      .transport_socket as Obj;
    const ctx = (socket.typed_config as Obj).common_tls_context as Obj;
    const cert = (ctx.tls_certificate_sds_secret_configs as Obj[])[0]!;
    expect(cert).toMatchObject({
      name: 'default',
      sds_config: {
        api_config_source: {
          api_type: 'GRPC',
          grpc_services: [{ envoy_grpc: { cluster_name: 'sds-grpc' } }],
        },
      },
    });
    expect((cert.sds_config as Obj).ads).toBeUndefined();
  });
});

describe('DestinationRule TLS', () => {
  it('SIMPLE and MUTUAL with a credentialName ask pilot for kubernetes:// secrets over ADS', () => {
    const dr = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec: {host: reviews, trafficPolicy: {tls: {mode: MUTUAL, credentialName: reviews-client, sni: reviews.example}}}`;
    const ctx = ((cluster(dr, REVIEWS).transport_socket as Obj).typed_config as Obj)
      .common_tls_context as Obj;
    expect((ctx.tls_certificate_sds_secret_configs as Obj[])[0]).toMatchObject({
      name: 'kubernetes://reviews-client',
      sds_config: { ads: {} },
    });
    expect(ctx.combined_validation_context).toMatchObject({
      validation_context_sds_secret_config: {
        name: 'kubernetes://reviews-client-cacert',
        sds_config: { ads: {} },
      },
    });
  });
});

describe('DestinationRule caCrl', () => {
  const validation = (yaml: string, name = REVIEWS): Obj => {
    const socket = cluster(yaml, name).transport_socket as Obj | undefined;
    const ctx = (socket?.typed_config as Obj | undefined)?.common_tls_context as Obj | undefined;
    return (ctx?.combined_validation_context ?? ctx?.validation_context ?? {}) as Obj;
  };
  const dr = (trafficPolicy: string, subsets = '') => `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy: ${trafficPolicy}
${subsets}`;

  it('SIMPLE and MUTUAL: the CRL file goes beside the file-root CA, as Istio builds it', () => {
    expect(
      validation(
        dr('{tls: {mode: SIMPLE, caCertificates: /etc/ca.pem, caCrl: /etc/ca.crl, sni: r}}'),
      ),
    ).toMatchObject({
      default_validation_context: { crl: { filename: '/etc/ca.crl' } },
      validation_context_sds_secret_config: { name: 'file-root:/etc/ca.pem' },
    });
    expect(
      validation(
        dr(
          '{tls: {mode: MUTUAL, clientCertificate: /c.pem, privateKey: /k.pem, caCrl: /etc/ca.crl}}',
        ),
      ),
    ).toMatchObject({
      default_validation_context: { crl: { filename: '/etc/ca.crl' } },
      validation_context_sds_secret_config: { name: 'file-root:system' },
    });
  });

  it('port-level settings and subsets carry their own caCrl', () => {
    const yaml = dr(
      `
    portLevelSettings:
    - port: {number: 9080}
      tls: {mode: SIMPLE, caCertificates: /etc/ca.pem, caCrl: /etc/port.crl}`,
      `  subsets:
  - name: v1
    labels: {version: v1}
    trafficPolicy: {tls: {mode: SIMPLE, caCertificates: /etc/ca.pem, caCrl: /etc/v1.crl}}`,
    );
    expect(validation(yaml)).toMatchObject({
      default_validation_context: { crl: { filename: '/etc/port.crl' } },
    });
    expect(validation(yaml, 'outbound|9080|v1|reviews.default.svc.cluster.local')).toMatchObject({
      default_validation_context: { crl: { filename: '/etc/v1.crl' } },
    });
  });

  it('ISTIO_MUTUAL and insecureSkipVerify leave it out, as Istio does', () => {
    const mutual = validation(dr('{tls: {mode: ISTIO_MUTUAL, caCrl: /etc/ca.crl}}'));
    expect(mutual.validation_context_sds_secret_config).toMatchObject({ name: 'ROOTCA' });
    expect(mutual.default_validation_context).not.toHaveProperty('crl');
    expect(
      validation(dr('{tls: {mode: SIMPLE, insecureSkipVerify: true, caCrl: /etc/ca.crl}}')),
    ).toEqual({});
  });
});
