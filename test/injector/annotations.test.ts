import { describe, expect, it } from 'vitest';
import { podSettings } from '../../injector/annotations.ts';
import { injectorConfig } from '../../injector/config.ts';

const config = injectorConfig({ proxyImage: 'petrel/petrel:test' });

describe('podSettings', () => {
  it("defaults to Istio's capture flags and resources", () => {
    const { settings, warnings } = podSettings({}, config);
    expect(settings.capture).toEqual({
      mode: 'REDIRECT',
      includeOutboundIPRanges: '*',
      excludeOutboundIPRanges: '',
      includeInboundPorts: '*',
      excludeInboundPorts: '',
    });
    expect(settings.resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '2000m', memory: '1024Mi' },
    });
    expect(settings).toMatchObject({
      image: 'petrel/petrel:test',
      holdApplicationUntilProxyStarts: false,
      rewriteProbes: true,
      mergeMetrics: true,
    });
    expect(warnings).toEqual([]);
  });

  it('reads the mesh default for holdApplicationUntilProxyStarts, and lets the pod override it', () => {
    const meshHold = injectorConfig({ holdApplicationUntilProxyStarts: true });
    expect(podSettings({}, meshHold).settings.holdApplicationUntilProxyStarts).toBe(true);
    expect(
      podSettings(
        { 'proxy.istio.io/config': '{"holdApplicationUntilProxyStarts": false}' },
        meshHold,
      ).settings.holdApplicationUntilProxyStarts,
    ).toBe(false);
  });

  it('takes the image annotation, interception mode and IPv6 ranges', () => {
    const { settings } = podSettings(
      {
        'sidecar.istio.io/proxyImage': 'registry.local/petrel:dev',
        'sidecar.istio.io/interceptionMode': 'TPROXY',
        'traffic.sidecar.istio.io/excludeOutboundIPRanges': '169.254.169.254/32, fd00::/8',
      },
      config,
    );
    expect(settings.image).toBe('registry.local/petrel:dev');
    expect(settings.capture.mode).toBe('TPROXY');
    expect(settings.capture.excludeOutboundIPRanges).toBe('169.254.169.254/32,fd00::/8');
  });

  it('rejects what Istio rejects: "*" where only lists are allowed, bad modes, bad YAML', () => {
    expect(() =>
      podSettings({ 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '*' }, config),
    ).toThrow(
      'annotation traffic.sidecar.istio.io/excludeOutboundIPRanges: "*": must be a comma-separated list of CIDRs (like 10.0.0.0/8)',
    );
    expect(() => podSettings({ 'sidecar.istio.io/interceptionMode': 'redirect' }, config)).toThrow(
      'annotation sidecar.istio.io/interceptionMode: "redirect": must be REDIRECT, TPROXY or NONE',
    );
    expect(() => podSettings({ 'proxy.istio.io/config': '[1, 2]' }, config)).toThrow(
      'annotation proxy.istio.io/config: "[1, 2]": must be a ProxyConfig mapping',
    );
    expect(() => podSettings({ 'proxy.istio.io/config': 'a: [' }, config)).toThrow(
      /^annotation proxy\.istio\.io\/config: "a: \[": not YAML: /,
    );
  });

  it('warns about a boolean annotation it cannot read, keeping the default', () => {
    const { settings, warnings } = podSettings(
      { 'sidecar.istio.io/rewriteAppHTTPProbers': 'nope' },
      config,
    );
    expect(settings.rewriteProbes).toBe(true);
    expect(warnings).toEqual([
      'annotation sidecar.istio.io/rewriteAppHTTPProbers: "nope" is not a boolean; using true',
    ]);
  });
});
