// The exporter wrapper that turns OTLP export failures into one reported line.
import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { errorLine, TelemetryError } from './errors.ts';

/**
 * Reports the first failed export of a run of failures (and counts the spans lost),
 * so an unreachable collector gives one line rather than one per batch; the batch
 * processor itself stays silent.
 */
export class ReportingExporter implements SpanExporter {
  private readonly inner: SpanExporter;
  private readonly onError: ((line: string) => void) | undefined;
  private failing = false;
  /** Spans that could not be exported. */
  lost = 0;
  constructor(inner: SpanExporter, onError: ((line: string) => void) | undefined) {
    this.inner = inner;
    this.onError = onError;
  }
  export(spans: ReadableSpan[], done: Parameters<SpanExporter['export']>[1]): void {
    this.inner.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) {
        this.failing = false;
      } else {
        this.lost += spans.length;
        if (!this.failing)
          this.onError?.(
            new TelemetryError(
              'PETREL_TELEMETRY_EXPORT',
              `exporting ${spans.length} spans: ${errorLine(result.error ?? 'failed')}`,
            ).message,
          );
        this.failing = true;
      }
      done(result);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
