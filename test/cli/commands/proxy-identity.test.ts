// `petrel proxy`'s identity flags: Istio's defaults (the CA at the xDS address over
// TLS, the mounted root and token when present) and one clear line when something
// the CA needs is missing.
import { describe, expect, it } from 'vitest';
import {
  identityConfigFromFlags,
  ISTIO_ROOT_CERT_PATH,
} from '../../../cli/commands/proxy-identity.ts';
import { ISTIO_TOKEN_PATH } from '../../../sidecar/identity/index.ts';

const none = () => false;
const mounted = (p: string) => p === ISTIO_ROOT_CERT_PATH || p === ISTIO_TOKEN_PATH;

describe('proxy identity flags', () => {
  it('without --xds-tls or --ca-address there is no CA: plaintext xDS, no certificate', () => {
    expect(identityConfigFromFlags({}, 'pilot:15010', none)).toEqual({
      xdsTls: false,
      rootCertFile: undefined,
      ca: undefined,
    });
  });

  it("with --xds-tls the CA is pilot's TLS address and Istio's mounted root and token are used", () => {
    const cfg = identityConfigFromFlags({ 'xds-tls': true }, 'istiod:15012', mounted);
    expect(cfg).toMatchObject({
      xdsTls: true,
      rootCertFile: ISTIO_ROOT_CERT_PATH,
      ca: { address: 'istiod:15012', tokenFile: ISTIO_TOKEN_PATH, token: undefined },
    });
  });

  it('a bootstrap token stands in for the token file; --cert-ttl is whole seconds', () => {
    const cfg = identityConfigFromFlags(
      {
        'ca-address': 'pilot:15012',
        'root-cert': '/tmp/root.pem',
        'bootstrap-token': 't',
        'cert-ttl': '3',
      },
      'pilot:15010',
      none,
    );
    expect(cfg.ca).toMatchObject({
      address: 'pilot:15012',
      token: 't',
      tokenFile: undefined,
      validitySeconds: 3,
    });
    expect(() =>
      identityConfigFromFlags(
        { 'xds-tls': true, 'root-cert': 'r', 'bootstrap-token': 't', 'cert-ttl': '1.5' },
        'p:1',
        none,
      ),
    ).toThrow(/^--cert-ttl 1\.5: must be a whole number of seconds above 0$/);
  });

  it('says which flag is missing: the root to verify pilot, a token for the CA', () => {
    expect(() => identityConfigFromFlags({ 'xds-tls': true }, 'p:15012', none)).toThrow(
      /--root-cert FILE is needed/,
    );
    expect(() =>
      identityConfigFromFlags({ 'ca-address': 'p:15012', 'root-cert': 'r' }, 'p:15010', none),
    ).toThrow(/--token-file FILE or --bootstrap-token TOKEN/);
  });
});
