// Tracing as Envoy's tracers do it in an Istio sidecar, on OpenTelemetry JS: one span
// per request (CLIENT on outbound, SERVER on inbound), parented on the incoming W3C
// traceparent or B3 headers, its context injected into the request sent upstream
// (W3C, B3 or both), Envoy's span tags plus Istio's custom tags, and OTLP/HTTP
// export in batches (Jaeger and the OpenTelemetry collector accept it).
//
// Sampling is Envoy's: a parent's sampled flag decides; without a parent, a random
// draw against the sampling percentage (Istio's default is 1%); x-envoy-force-trace
// forces it. An unsampled request allocates no span: it only forwards a fresh span
// id with the sampled flag off, so the next hops make the same decision.
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
  type Span,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  type Tracer,
} from '@opentelemetry/api';
import { CompositePropagator, TraceState, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BatchSpanProcessor,
  TracerProvider,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import type { HeaderMap } from '../proxy/upstream/types.ts';
import { TelemetryError } from './errors.ts';
import { directionOf, type TelemetryRecord } from './record.ts';
import { ReportingExporter } from './span-exporter.ts';
import { hasB3, injectUnsampled, parseTraceparent00, PooledIdGenerator } from './trace-context.ts';
import type { WorkloadInfo } from './workload.ts';

export type TracePropagation = 'w3c' | 'b3';

export interface TracingOptions {
  /** Percentage of requests without a sampling decision that get traced (0–100). */
  samplingPercent?: number;
  /** OTLP/HTTP traces endpoint, e.g. http://jaeger-collector:4318/v1/traces. */
  endpoint?: string;
  /** Replaces the OTLP exporter (tests, other backends). */
  exporter?: SpanExporter;
  /** Formats injected upstream; W3C by default. Both are always accepted on extraction. */
  propagation?: readonly TracePropagation[];
  local: WorkloadInfo;
  nodeId: string;
  meshId?: string;
  /** The service name spans are reported under; Istio uses `<canonical service>.<namespace>`. */
  serviceName?: string;
  scheduledDelayMillis?: number;
  maxExportBatchSize?: number;
  onError?: (line: string) => void;
}

const getter: TextMapGetter<HeaderMap> = {
  keys: (h) => Object.keys(h),
  get: (h, key) => h[key],
};
const setter: TextMapSetter<HeaderMap> = {
  set: (h, key, value) => {
    h[key] = value;
  },
};

function checkPercent(p: number): number {
  if (!Number.isFinite(p) || p < 0 || p > 100) {
    throw new TelemetryError(
      'PETREL_TELEMETRY_CONFIG',
      `tracing sampling: ${p} is not a percentage in [0, 100]`,
    );
  }
  return p;
}

export class Tracing {
  private readonly provider: TracerProvider;
  private readonly tracer: Tracer;
  private readonly extractor: TextMapPropagator;
  private readonly injector: TextMapPropagator;
  private readonly ids = new PooledIdGenerator();
  private readonly injectW3c: boolean;
  private readonly injectB3: boolean;
  private readonly fraction: number;
  private readonly nodeId: string;
  private readonly istioTags: Record<string, string>;

  constructor(options: TracingOptions) {
    this.fraction = checkPercent(options.samplingPercent ?? 1) / 100;
    let exporter = options.exporter;
    if (!exporter) {
      if (!options.endpoint)
        throw new TelemetryError(
          'PETREL_TELEMETRY_CONFIG',
          'tracing: an OTLP endpoint is required',
        );
      try {
        new URL(options.endpoint);
      } catch {
        throw new TelemetryError(
          'PETREL_TELEMETRY_CONFIG',
          `tracing endpoint "${options.endpoint}" is not a URL`,
        );
      }
      exporter = new OTLPTraceExporter({ url: options.endpoint });
    }
    const local = options.local;
    this.provider = new TracerProvider({
      sampler: new AlwaysOnSampler(),
      idGenerator: this.ids,
      resource: resourceFromAttributes({
        'service.name':
          options.serviceName ||
          `${local.canonicalService || 'unknown'}.${local.namespace || 'default'}`,
      }),
      spanProcessors: [
        new BatchSpanProcessor({
          exporter: new ReportingExporter(exporter, options.onError),
          scheduledDelayMillis: options.scheduledDelayMillis ?? 5000,
          maxExportBatchSize: options.maxExportBatchSize ?? 512,
        }),
      ],
    });
    this.tracer = this.provider.getTracer('petrel-proxy');
    // B3 first: the composite lets the later propagator win, and traceparent should.
    this.extractor = new CompositePropagator({
      propagators: [new B3Propagator(), new W3CTraceContextPropagator()],
    });
    const inject: TextMapPropagator[] = [];
    const formats = options.propagation ?? ['w3c'];
    this.injectW3c = formats.includes('w3c');
    this.injectB3 = formats.includes('b3');
    for (const p of formats) {
      if (p === 'w3c') inject.push(new W3CTraceContextPropagator());
      else if (p === 'b3')
        inject.push(new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }));
      else
        throw new TelemetryError(
          'PETREL_TELEMETRY_CONFIG',
          `tracing propagation "${String(p)}": want w3c or b3`,
        );
    }
    this.injector = new CompositePropagator({ propagators: inject });
    this.nodeId = options.nodeId;
    // Istio's custom tags on every span (pilot tracing.go), with its defaults.
    this.istioTags = {
      'istio.canonical_revision': local.canonicalRevision || 'latest',
      'istio.canonical_service': local.canonicalService || 'unknown',
      'istio.mesh_id': options.meshId || 'unknown',
      'istio.namespace': local.namespace || 'default',
      'istio.cluster_id': local.clusterId || 'unknown',
    };
  }

  /**
   * At request start (after routing, before the request goes upstream): decides
   * sampling, starts the span when sampled, and writes the new context into `headers`.
   */
  start(rec: TelemetryRecord, headers: HeaderMap): void {
    // The parent: a plain version-00 traceparent is read by hand (the common case in a
    // mesh); anything else that looks like trace context goes to OpenTelemetry, W3C first.
    let parent: SpanContext | undefined;
    const tp = headers.traceparent;
    const tpText = Array.isArray(tp) ? tp[0] : tp;
    const fast = tpText === undefined ? undefined : parseTraceparent00(tpText);
    if (fast !== undefined) {
      parent = {
        traceId: fast.traceId,
        spanId: fast.spanId,
        traceFlags: fast.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
        isRemote: true,
      };
    } else if (tpText !== undefined || hasB3(headers)) {
      const sc = trace.getSpanContext(this.extractor.extract(ROOT_CONTEXT, headers, getter));
      if (sc !== undefined && trace.isSpanContextValid(sc)) parent = sc;
    }

    let sampled: boolean;
    if (headers['x-envoy-force-trace'] !== undefined) sampled = true;
    else if (parent !== undefined) sampled = (parent.traceFlags & TraceFlags.SAMPLED) !== 0;
    else sampled = this.fraction > 0 && Math.random() < this.fraction;

    if (!sampled) {
      // No span: a fresh span id with the sampled flag off, so later hops decide alike.
      // tracestate, if any, travels on unchanged, as W3C asks of a vendor that adds nothing.
      const traceId = parent !== undefined ? parent.traceId : this.ids.generateTraceId();
      injectUnsampled(headers, traceId, this.ids.generateSpanId(), this.injectW3c, this.injectB3);
      return;
    }
    let parentCtx = ROOT_CONTEXT;
    if (parent !== undefined) {
      if (fast !== undefined && parent.traceState === undefined) {
        const ts = headers.tracestate;
        const tsText = Array.isArray(ts) ? ts.join(',') : ts;
        if (tsText) parent = { ...parent, traceState: new TraceState(tsText) };
      }
      parentCtx = trace.setSpanContext(ROOT_CONTEXT, parent);
    }
    const inbound = directionOf(rec) === 'inbound';
    const span = this.tracer.startSpan(
      spanName(rec),
      { kind: inbound ? SpanKind.SERVER : SpanKind.CLIENT, startTime: rec.startTime },
      parentCtx,
    );
    rec.span = span;
    this.injector.inject(trace.setSpan(ROOT_CONTEXT, span), headers, setter);
  }

  /** At request end: Envoy's tags, then the span ends at start + duration. */
  finish(rec: TelemetryRecord): void {
    const span = rec.span as Span | undefined;
    if (span === undefined) return;
    rec.span = undefined;
    const code = rec.responseCode;
    const attrs: Record<string, string> = {
      ...this.istioTags,
      component: 'proxy',
      node_id: this.nodeId,
      'guid:x-request-id': rec.requestId,
      'http.url': `http://${rec.authority}${rec.path}`,
      'http.method': rec.method,
      'http.protocol': rec.protocol,
      downstream_cluster: '-',
      user_agent: rec.userAgent || '-',
      'peer.address': rec.downstreamRemoteAddress,
      request_size: String(rec.bytesReceived),
      response_size: String(rec.bytesSent),
      response_flags: rec.flags || '-',
      'http.status_code': String(code),
      upstream_cluster: rec.upstreamCluster || '-',
      'upstream_cluster.name': rec.upstreamCluster || '-',
    };
    if (rec.upstreamHost) attrs.upstream_address = rec.upstreamHost;
    if (rec.grpcStatus !== undefined) attrs['grpc.status_code'] = String(rec.grpcStatus);
    span.setAttributes(attrs);
    // The route (and its decorator) may have been chosen after the span started.
    span.updateName(spanName(rec));
    // Envoy marks a span failed on 5xx or when no response was sent.
    if (code === 0 || code >= 500) {
      span.setAttribute('error', 'true');
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end(rec.startTime + rec.duration);
  }

  /** Exports every finished span now; a failed export was already reported through onError. */
  flush(): Promise<void> {
    return this.provider.forceFlush().catch(() => {});
  }

  /** Exports what is left, then stops; failures were reported through onError. */
  shutdown(): Promise<void> {
    return this.provider.shutdown().catch(() => {});
  }
}

/** Envoy's span name: the route decorator's operation, else host and path without the query. */
function spanName(rec: TelemetryRecord): string {
  if (rec.operationName) return rec.operationName;
  const q = rec.path.indexOf('?');
  return `${rec.authority}${q < 0 ? rec.path : rec.path.slice(0, q)}`;
}
