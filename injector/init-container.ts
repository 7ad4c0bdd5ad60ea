// `istio-init`: the init container that installs the capture rules with
// `petrel iptables`, taking Istio's istio-iptables flags so the rule set is
// the one tools and docs describe.
import type { CaptureSettings } from './annotations.ts';
import { INIT_CONTAINER, PORTS, PROXY_GID, PROXY_UID } from './names.ts';
import type { Container } from './pod-types.ts';

/** `-d`: the proxy's own ports (stats, health, status) are never redirected inbound, plus the annotation's. */
export function excludedInboundPorts(fromAnnotation: string): string {
  const ports = [
    String(PORTS.stats),
    String(PORTS.health),
    ...fromAnnotation.split(',').filter(Boolean),
    String(PORTS.status),
  ];
  return [...new Set(ports)].join(',');
}

export function iptablesArgs(c: CaptureSettings): string[] {
  const args = [
    'iptables',
    '-p',
    String(PORTS.outboundCapture),
    '-z',
    String(PORTS.inboundCapture),
    '-u',
    String(PROXY_UID),
    '-g',
    String(PROXY_GID),
    '-m',
    c.mode,
    '-i',
    c.includeOutboundIPRanges,
    '-x',
    c.excludeOutboundIPRanges,
    '-b',
    c.includeInboundPorts,
    '-d',
    excludedInboundPorts(c.excludeInboundPorts),
  ];
  if (c.includeOutboundPorts !== undefined) args.push('-q', c.includeOutboundPorts);
  if (c.excludeOutboundPorts !== undefined) args.push('-o', c.excludeOutboundPorts);
  return args;
}

export function initContainer(image: string, capture: CaptureSettings): Container {
  return {
    name: INIT_CONTAINER,
    image,
    args: iptablesArgs(capture),
    resources: {
      requests: { cpu: '10m', memory: '40Mi' },
      limits: { cpu: '2000m', memory: '1024Mi' },
    },
    // Root with NET_ADMIN/NET_RAW only for the time it takes to write the nat table.
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: false,
      runAsGroup: 0,
      runAsNonRoot: false,
      runAsUser: 0,
    },
  };
}
