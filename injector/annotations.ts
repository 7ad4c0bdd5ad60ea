// The pod annotations that change what gets injected, parsed and checked in one
// place. A bad value fails the injection with one line naming the annotation
// (Istio's validateAnnotations does the same): a sidecar built from a value
// that was silently ignored would capture the wrong traffic.
import ipaddr from 'ipaddr.js';
import { parse as parseYaml } from 'yaml';
import type { InjectorConfig } from './config.ts';
import { InjectorError } from './errors.ts';
import { ANNOTATION } from './names.ts';

export type InterceptionMode = 'REDIRECT' | 'TPROXY' | 'NONE';

export interface CaptureSettings {
  mode: InterceptionMode;
  /** `-i`: CIDRs whose outbound traffic is captured, or `*`. */
  includeOutboundIPRanges: string;
  /** `-x`: CIDRs never captured outbound. */
  excludeOutboundIPRanges: string;
  /** `-b`: inbound ports captured, or `*`. */
  includeInboundPorts: string;
  /** From the annotation only; the proxy's own ports are added when the flags are built. */
  excludeInboundPorts: string;
  /** `-q`, only when the annotation is set. */
  includeOutboundPorts?: string;
  /** `-o`, only when the annotation is set. */
  excludeOutboundPorts?: string;
}

export interface ResourceList {
  cpu?: string;
  memory?: string;
}

export interface ProxyResources {
  requests?: ResourceList;
  limits?: ResourceList;
}

export interface PodSettings {
  capture: CaptureSettings;
  resources: ProxyResources;
  image: string;
  /** proxy.istio.io/config as given (a ProxyConfig subset), passed to the proxy as PROXY_CONFIG. */
  proxyConfig: Record<string, unknown>;
  holdApplicationUntilProxyStarts: boolean;
  rewriteProbes: boolean;
  mergeMetrics: boolean;
}

/** Istio's defaults for the sidecar (values.global.proxy.resources). */
export const DEFAULT_PROXY_RESOURCES: ProxyResources = {
  requests: { cpu: '100m', memory: '128Mi' },
  limits: { cpu: '2000m', memory: '1024Mi' },
};

// Kubernetes resource.Quantity: a decimal number, then a binary/decimal SI suffix or an exponent.
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

type Annotations = Readonly<Record<string, string>>;

/** Go's strconv.ParseBool, which Istio uses for boolean annotations. */
export function parseBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

function portList(value: string, allowStar: boolean): string | undefined {
  if (allowStar && value.trim() === '*') return '*';
  const parts = splitList(value);
  const ok = parts.every((p) => /^\d+$/.test(p) && Number(p) >= 1 && Number(p) <= 65535);
  return ok ? parts.join(',') : undefined;
}

function cidrList(value: string, allowStar: boolean): string | undefined {
  if (allowStar && value.trim() === '*') return '*';
  const parts = splitList(value);
  for (const p of parts) {
    try {
      ipaddr.parseCIDR(p);
    } catch {
      return undefined;
    }
  }
  return parts.join(',');
}

class Reader {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];
  readonly annotations: Annotations;
  constructor(annotations: Annotations) {
    this.annotations = annotations;
  }

  get(key: string): string | undefined {
    return this.annotations[key];
  }

  fail(key: string, problem: string): undefined {
    this.errors.push(`annotation ${key}: ${JSON.stringify(this.annotations[key])}: ${problem}`);
    return undefined;
  }

  ports(key: string, allowStar: boolean): string | undefined {
    const raw = this.get(key);
    if (raw === undefined) return undefined;
    return (
      portList(raw, allowStar) ??
      this.fail(
        key,
        `must be ${allowStar ? '"*" or ' : ''}a comma-separated list of ports 1..65535`,
      )
    );
  }

  cidrs(key: string, allowStar: boolean): string | undefined {
    const raw = this.get(key);
    if (raw === undefined) return undefined;
    return (
      cidrList(raw, allowStar) ??
      this.fail(
        key,
        `must be ${allowStar ? '"*" or ' : ''}a comma-separated list of CIDRs (like 10.0.0.0/8)`,
      )
    );
  }

  quantity(key: string): string | undefined {
    const raw = this.get(key);
    if (raw === undefined) return undefined;
    return QUANTITY.test(raw)
      ? raw
      : this.fail(key, 'must be a Kubernetes quantity (like 100m, 128Mi)');
  }

  bool(key: string, fallback: boolean): boolean {
    const raw = this.get(key);
    if (raw === undefined) return fallback;
    const value = parseBool(raw);
    if (value === undefined)
      this.warnings.push(
        `annotation ${key}: ${JSON.stringify(raw)} is not a boolean; using ${fallback}`,
      );
    return value ?? fallback;
  }
}

function interceptionMode(r: Reader): InterceptionMode {
  const raw = r.get(ANNOTATION.interceptionMode);
  if (raw === undefined) return 'REDIRECT';
  if (raw === 'REDIRECT' || raw === 'TPROXY' || raw === 'NONE') return raw;
  r.fail(ANNOTATION.interceptionMode, 'must be REDIRECT, TPROXY or NONE');
  return 'REDIRECT';
}

function proxyConfig(r: Reader): Record<string, unknown> {
  const raw = r.get(ANNOTATION.proxyConfig);
  if (raw === undefined) return {};
  let parsed: unknown;
  try {
    parsed = parseYaml(raw);
  } catch (err) {
    r.fail(ANNOTATION.proxyConfig, `not YAML: ${(err as Error).message.split('\n')[0]}`);
    return {};
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    r.fail(ANNOTATION.proxyConfig, 'must be a ProxyConfig mapping');
    return {};
  }
  const config = parsed as Record<string, unknown>;
  const hold = config.holdApplicationUntilProxyStarts;
  if (hold !== undefined && typeof hold !== 'boolean') {
    r.errors.push(
      `annotation ${ANNOTATION.proxyConfig}: holdApplicationUntilProxyStarts: must be a boolean`,
    );
  }
  return config;
}

function resources(r: Reader): ProxyResources {
  const requests: ResourceList = {};
  const limits: ResourceList = {};
  const set = (into: ResourceList, field: 'cpu' | 'memory', key: string) => {
    const q = r.quantity(key);
    if (q !== undefined) into[field] = q;
  };
  set(requests, 'cpu', ANNOTATION.proxyCPU);
  set(requests, 'memory', ANNOTATION.proxyMemory);
  set(limits, 'cpu', ANNOTATION.proxyCPULimit);
  set(limits, 'memory', ANNOTATION.proxyMemoryLimit);
  const anySet = [
    ANNOTATION.proxyCPU,
    ANNOTATION.proxyMemory,
    ANNOTATION.proxyCPULimit,
    ANNOTATION.proxyMemoryLimit,
  ].some((k) => r.get(k) !== undefined);
  // As in Istio's template: once any of the four is annotated, only the annotated values apply.
  if (!anySet) return structuredClone(DEFAULT_PROXY_RESOURCES);
  return {
    ...(Object.keys(requests).length ? { requests } : {}),
    ...(Object.keys(limits).length ? { limits } : {}),
  };
}

/** The settings for one pod; throws PETREL_INJECT_ANNOTATION naming every bad annotation. */
export function podSettings(
  annotations: Annotations,
  config: InjectorConfig,
): { settings: PodSettings; warnings: string[] } {
  const r = new Reader(annotations);
  const capture: CaptureSettings = {
    mode: interceptionMode(r),
    includeOutboundIPRanges: r.cidrs(ANNOTATION.includeOutboundIPRanges, true) ?? '*',
    excludeOutboundIPRanges: r.cidrs(ANNOTATION.excludeOutboundIPRanges, false) ?? '',
    includeInboundPorts: r.ports(ANNOTATION.includeInboundPorts, true) ?? '*',
    excludeInboundPorts: r.ports(ANNOTATION.excludeInboundPorts, false) ?? '',
  };
  const includeOutboundPorts = r.ports(ANNOTATION.includeOutboundPorts, false);
  if (includeOutboundPorts !== undefined) capture.includeOutboundPorts = includeOutboundPorts;
  const excludeOutboundPorts = r.ports(ANNOTATION.excludeOutboundPorts, false);
  if (excludeOutboundPorts !== undefined) capture.excludeOutboundPorts = excludeOutboundPorts;

  const pc = proxyConfig(r);
  const image = r.get(ANNOTATION.proxyImage);
  if (image !== undefined && (!image.trim() || /\s/.test(image)))
    r.fail(ANNOTATION.proxyImage, 'must be an image reference');
  const settings: PodSettings = {
    capture,
    resources: resources(r),
    image: image && image.trim() && !/\s/.test(image) ? image : config.proxyImage,
    proxyConfig: pc,
    holdApplicationUntilProxyStarts:
      typeof pc.holdApplicationUntilProxyStarts === 'boolean'
        ? pc.holdApplicationUntilProxyStarts
        : config.holdApplicationUntilProxyStarts,
    rewriteProbes: r.bool(ANNOTATION.rewriteAppHTTPProbers, config.rewriteAppProbers),
    mergeMetrics: r.bool(ANNOTATION.mergeMetrics, true),
  };
  if (r.errors.length) throw new InjectorError('PETREL_INJECT_ANNOTATION', r.errors.join('; '));
  return { settings, warnings: r.warnings };
}
