// Telemetry's error catalogue: one class, stable codes, one line each. Telemetry
// never fails a request: these errors reach the log (or a caller at startup), and
// the request path carries on without the piece that failed.

export type TelemetryErrorCode =
  /** A bad telemetry option (sampling percentage, OTLP endpoint, access log format or path, annotations). */
  | 'PETREL_TELEMETRY_CONFIG'
  /** An x-envoy-peer-metadata header that is not base64 of a google.protobuf.Struct. */
  | 'PETREL_TELEMETRY_PEER_METADATA'
  /** The application's own metrics endpoint could not be scraped (15020 then serves the proxy's alone). */
  | 'PETREL_TELEMETRY_APP_SCRAPE'
  /** The access log file could not be opened or written. */
  | 'PETREL_TELEMETRY_ACCESS_LOG'
  /** Spans could not be exported to the OTLP endpoint. */
  | 'PETREL_TELEMETRY_EXPORT';

export class TelemetryError extends Error {
  readonly code: TelemetryErrorCode;
  constructor(code: TelemetryErrorCode, message: string) {
    super(message);
    this.name = 'TelemetryError';
    this.code = code;
  }
}

/** The message of anything thrown, on one line. */
export function errorLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s*\n\s*/g, ' ');
}
