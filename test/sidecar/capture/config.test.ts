import { describe, expect, it } from 'vitest';
import { parseCaptureConfig } from '../../../sidecar/capture/config.ts';
import { CaptureError } from '../../../sidecar/capture/errors.ts';

function errorOf(fn: () => unknown): CaptureError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CaptureError) return err;
    throw err;
  }
  throw new Error('expected a CaptureError');
}

describe('capture config', () => {
  it("defaults to Istio's: 15001/15006/15008, uid and gid 1337, REDIRECT, nothing captured", () => {
    const cfg = parseCaptureConfig({});
    expect(cfg).toMatchObject({
      proxyPort: '15001',
      inboundCapturePort: '15006',
      inboundTunnelPort: '15008',
      proxyUids: ['1337'],
      proxyGids: ['1337'],
      interceptionMode: 'REDIRECT',
      inboundPorts: [],
    });
    expect(cfg.outboundIncludeCidrs).toEqual({
      wildcard: false,
      v4: [],
      v6: [],
      hasLoopback: false,
    });
  });

  it('the gid list defaults to the uid list', () => {
    expect(parseCaptureConfig({ proxyUid: '1000,1001' }).proxyGids).toEqual(['1000', '1001']);
  });

  it('CIDRs are split by family and canonicalised to their network', () => {
    const cfg = parseCaptureConfig({
      outboundExcludeCidrs: '10.1.2.3/8, fd00:0:0:0::5/64',
      outboundIncludeCidrs: '127.0.0.1/32',
    });
    expect(cfg.outboundExcludeCidrs.v4).toEqual(['10.0.0.0/8']);
    expect(cfg.outboundExcludeCidrs.v6).toEqual(['fd00::/64']);
    expect(cfg.outboundIncludeCidrs.hasLoopback).toBe(true);
  });

  it("'' means none and '*' means all, as in istio-iptables", () => {
    expect(
      parseCaptureConfig({
        inboundPorts: '*',
        outboundIncludeCidrs: '*',
        outboundExcludeCidrs: '',
      }),
    ).toMatchObject({
      inboundPorts: '*',
      outboundIncludeCidrs: { wildcard: true },
      outboundExcludeCidrs: { wildcard: false, v4: [], v6: [] },
    });
  });

  it('port ranges lo:hi are accepted, as iptables accepts them', () => {
    expect(
      parseCaptureConfig({ outboundExcludePorts: '1000:2000,22' }).outboundExcludePorts,
    ).toEqual(['1000:2000', '22']);
  });

  it('a bad port names the flag, the value and the item', () => {
    const err = errorOf(() => parseCaptureConfig({ inboundExcludePorts: '15090,abc' }));
    expect(err.code).toBe('PETREL_CAPTURE_OPTION');
    expect(err.message).toBe(
      '-d/--istio-local-exclude-ports "15090,abc": "abc" is not a port (1..65535) or a range lo:hi',
    );
  });

  it('a bad CIDR names the flag and the item', () => {
    expect(
      errorOf(() => parseCaptureConfig({ outboundIncludeCidrs: '10.0.0.0/8,10.0.0.300/8' }))
        .message,
    ).toBe(
      '-i/--istio-service-cidr "10.0.0.0/8,10.0.0.300/8": "10.0.0.300/8" is not a CIDR range like 10.0.0.0/8 or fd00::/8',
    );
  });

  it("'*' is refused for excluded ranges (it would disable capture silently)", () => {
    expect(errorOf(() => parseCaptureConfig({ outboundExcludeCidrs: '*' })).message).toContain(
      "'*' is not allowed here",
    );
  });

  it('TPROXY is reported as not implemented, not silently treated as REDIRECT', () => {
    const err = errorOf(() => parseCaptureConfig({ interceptionMode: 'TPROXY' }));
    expect(err.code).toBe('PETREL_CAPTURE_UNSUPPORTED');
  });

  it('a port out of range for a single-port flag is refused', () => {
    expect(errorOf(() => parseCaptureConfig({ proxyPort: '70000' })).message).toBe(
      '-p/--envoy-port "70000": must be a port number 1..65535',
    );
  });
});
