import { afterEach, describe, expect, it, vi } from 'vitest';
import { injectorConfig } from '../../injector/config.ts';
import { istioWebhookConfigNames } from '../../injector/webhook-config.ts';

describe('injectorConfig system namespace', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('follows POD_NAMESPACE like istiod, so the caBundle keeper patches the installed webhooks', () => {
    vi.stubEnv('POD_NAMESPACE', 'mesh-control');
    const config = injectorConfig();
    expect(config.systemNamespace).toBe('mesh-control');
    expect(config.xdsAddress).toBe('istiod.mesh-control.svc:15012');
    expect(istioWebhookConfigNames(config.revision, config.systemNamespace).validating).toBe(
      'istio-validator-mesh-control',
    );
  });

  it('defaults to istio-system without POD_NAMESPACE, and an explicit value wins', () => {
    vi.stubEnv('POD_NAMESPACE', '');
    expect(injectorConfig().systemNamespace).toBe('istio-system');
    vi.stubEnv('POD_NAMESPACE', 'mesh-control');
    expect(injectorConfig({ systemNamespace: 'other' }).systemNamespace).toBe('other');
  });
});
