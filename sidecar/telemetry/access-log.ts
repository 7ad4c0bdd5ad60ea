// The access log, as Istio's meshConfig configures it: off unless accessLogFile is
// set (usually /dev/stdout), TEXT (Istio's default format or accessLogFormat) or
// JSON (Istio's keys, or accessLogFormat as a JSON object of operators). Lines are
// gathered and written once per event-loop turn, so a busy proxy makes one write
// per batch instead of one per request.
import { createWriteStream, type WriteStream } from 'node:fs';
import {
  compileJsonFormat,
  compileTextFormat,
  ISTIO_JSON_FORMAT,
  ISTIO_TEXT_FORMAT,
  type LineFormatter,
} from './access-log-format.ts';
import { errorLine, TelemetryError } from './errors.ts';
import type { TelemetryRecord } from './record.ts';

export type AccessLogEncoding = 'TEXT' | 'JSON';

export interface AccessLogOptions {
  /** meshConfig.accessLogFile: a path, or /dev/stdout, /dev/stderr. */
  path: string;
  /** meshConfig.accessLogEncoding; TEXT by default. */
  encoding?: AccessLogEncoding;
  /** meshConfig.accessLogFormat: a text format, or for JSON a JSON object of key → operators. */
  format?: string;
  /** Write sink override (tests); receives whole batches of lines. */
  write?: (chunk: string) => void;
  onError?: (line: string) => void;
}

export function compileAccessLogFormat(
  encoding: AccessLogEncoding,
  format: string | undefined,
): LineFormatter {
  if (encoding === 'TEXT') return compileTextFormat(format || ISTIO_TEXT_FORMAT);
  if (encoding !== 'JSON') {
    throw new TelemetryError(
      'PETREL_TELEMETRY_CONFIG',
      `accessLogEncoding "${String(encoding)}": want TEXT or JSON`,
    );
  }
  if (!format) return compileJsonFormat(ISTIO_JSON_FORMAT);
  let parsed: unknown;
  try {
    parsed = JSON.parse(format);
  } catch (err) {
    throw new TelemetryError(
      'PETREL_TELEMETRY_CONFIG',
      `accessLogFormat: JSON encoding wants a JSON object (${errorLine(err)})`,
    );
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new TelemetryError(
      'PETREL_TELEMETRY_CONFIG',
      'accessLogFormat: JSON encoding wants a JSON object',
    );
  }
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== 'string')
      throw new TelemetryError('PETREL_TELEMETRY_CONFIG', `accessLogFormat.${k}: want a string`);
    fields[k] = v;
  }
  return compileJsonFormat(fields);
}

export class AccessLog {
  private readonly format: LineFormatter;
  private readonly write: (chunk: string) => void;
  private readonly stream: WriteStream | undefined;
  private readonly onError: ((line: string) => void) | undefined;
  private pending = '';
  private scheduled = false;
  private failed = false;

  constructor(options: AccessLogOptions) {
    this.format = compileAccessLogFormat(options.encoding ?? 'TEXT', options.format);
    this.onError = options.onError;
    if (options.write) {
      this.write = options.write;
    } else if (options.path === '/dev/stdout') {
      this.write = (c) => process.stdout.write(c);
    } else if (options.path === '/dev/stderr') {
      this.write = (c) => process.stderr.write(c);
    } else if (options.path) {
      const stream = createWriteStream(options.path, { flags: 'a' });
      stream.on('error', (err) => {
        // Once: the request path keeps going without a log rather than failing or spamming.
        if (this.failed) return;
        this.failed = true;
        this.onError?.(
          new TelemetryError(
            'PETREL_TELEMETRY_ACCESS_LOG',
            `access log ${options.path}: ${errorLine(err)}`,
          ).message,
        );
      });
      this.stream = stream;
      this.write = (c) => {
        if (!this.failed) stream.write(c);
      };
    } else {
      throw new TelemetryError('PETREL_TELEMETRY_CONFIG', 'accessLogFile: a path is required');
    }
  }

  log(rec: TelemetryRecord): void {
    this.pending += this.format(rec);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes what is pending now. */
  flush(): void {
    this.scheduled = false;
    if (this.pending === '') return;
    const chunk = this.pending;
    this.pending = '';
    this.write(chunk);
  }

  close(): Promise<void> {
    this.flush();
    const stream = this.stream;
    if (!stream) return Promise.resolve();
    return new Promise((resolve) => stream.end(() => resolve()));
  }
}
