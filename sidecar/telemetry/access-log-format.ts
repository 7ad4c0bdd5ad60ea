// Envoy's access log command operators (%START_TIME%, %REQ(X?Y)%, %RESPONSE_CODE%, …)
// compiled once into functions over a finished request, for Istio's default text
// format, its JSON format, and user formats (meshConfig accessLogFormat). An
// operator this proxy cannot fill is a config error naming it, never a silent '-'.
import { TelemetryError } from './errors.ts';
import type { TelemetryRecord } from './record.ts';

/** Istio's default text format for proxies (pilot/pkg/model/telemetry_logging.go EnvoyTextLogFormat). */
export const ISTIO_TEXT_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% ' +
  '%RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" ' +
  '%BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" ' +
  '"%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW% ' +
  '%UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%\n';

/** Istio's JSON access log keys (EnvoyJSONLogFormatIstio). */
export const ISTIO_JSON_FORMAT: Readonly<Record<string, string>> = {
  authority: '%REQ(:AUTHORITY)%',
  bytes_received: '%BYTES_RECEIVED%',
  bytes_sent: '%BYTES_SENT%',
  connection_termination_details: '%CONNECTION_TERMINATION_DETAILS%',
  downstream_local_address: '%DOWNSTREAM_LOCAL_ADDRESS%',
  downstream_remote_address: '%DOWNSTREAM_REMOTE_ADDRESS%',
  duration: '%DURATION%',
  method: '%REQ(:METHOD)%',
  path: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
  protocol: '%PROTOCOL%',
  request_id: '%REQ(X-REQUEST-ID)%',
  requested_server_name: '%REQUESTED_SERVER_NAME%',
  response_code: '%RESPONSE_CODE%',
  response_code_details: '%RESPONSE_CODE_DETAILS%',
  response_flags: '%RESPONSE_FLAGS%',
  route_name: '%ROUTE_NAME%',
  start_time: '%START_TIME%',
  upstream_cluster: '%UPSTREAM_CLUSTER_RAW%',
  upstream_host: '%UPSTREAM_HOST%',
  upstream_local_address: '%UPSTREAM_LOCAL_ADDRESS%',
  upstream_service_time: '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%',
  upstream_transport_failure_reason: '%UPSTREAM_TRANSPORT_FAILURE_REASON%',
  user_agent: '%REQ(USER-AGENT)%',
  x_forwarded_for: '%REQ(X-FORWARDED-FOR)%',
};

/** One operator's value; undefined prints as '-' in text and null in JSON. */
type Getter = (r: TelemetryRecord) => string | number | undefined;

const s = (v: string | undefined): string | undefined => (v ? v : undefined);

function addr(ip: string, port: number): string | undefined {
  if (!ip) return undefined;
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

const OPERATORS: Record<string, Getter> = {
  START_TIME: (r) => new Date(r.startTime).toISOString(),
  PROTOCOL: (r) => (r.protocol === 'TCP' ? undefined : r.protocol),
  RESPONSE_CODE: (r) => r.responseCode,
  RESPONSE_FLAGS: (r) => s(r.flags),
  RESPONSE_CODE_DETAILS: (r) => s(r.responseCodeDetails),
  CONNECTION_TERMINATION_DETAILS: (r) => s(r.connectionTerminationDetails),
  UPSTREAM_TRANSPORT_FAILURE_REASON: (r) => s(r.upstreamTransportFailureReason),
  BYTES_RECEIVED: (r) => r.bytesReceived,
  BYTES_SENT: (r) => r.bytesSent,
  DURATION: (r) => Math.floor(r.duration),
  UPSTREAM_HOST: (r) => s(r.upstreamHost),
  UPSTREAM_CLUSTER: (r) => s(r.upstreamCluster),
  UPSTREAM_CLUSTER_RAW: (r) => s(r.upstreamCluster),
  UPSTREAM_LOCAL_ADDRESS: (r) => s(r.upstreamLocalAddress),
  UPSTREAM_REQUEST_ATTEMPT_COUNT: (r) => r.attemptCount,
  DOWNSTREAM_LOCAL_ADDRESS: (r) => addr(r.downstreamLocalAddress, r.downstreamLocalPort),
  DOWNSTREAM_REMOTE_ADDRESS: (r) => addr(r.downstreamRemoteAddress, r.downstreamRemotePort),
  DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT: (r) => s(r.downstreamLocalAddress),
  DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT: (r) => s(r.downstreamRemoteAddress),
  DOWNSTREAM_LOCAL_PORT: (r) => r.downstreamLocalPort || undefined,
  DOWNSTREAM_REMOTE_PORT: (r) => r.downstreamRemotePort || undefined,
  REQUESTED_SERVER_NAME: (r) => s(r.requestedServerName),
  ROUTE_NAME: (r) => s(r.routeName),
  GRPC_STATUS_NUMBER: (r) => r.grpcStatus,
};

/** Request headers the record carries; others are not kept by the data path. */
const REQUEST_HEADERS: Record<string, Getter> = {
  ':method': (r) => s(r.method),
  ':path': (r) => s(r.path),
  ':authority': (r) => s(r.authority),
  host: (r) => s(r.authority),
  'user-agent': (r) => s(r.userAgent),
  'x-request-id': (r) => s(r.requestId),
  'x-forwarded-for': (r) => s(r.forwardedFor),
  'x-envoy-original-path': (r) => s(r.originalPath),
};

const RESPONSE_HEADERS: Record<string, Getter> = {
  'x-envoy-upstream-service-time': (r) =>
    r.upstreamServiceTime === undefined ? undefined : String(Math.round(r.upstreamServiceTime)),
};

function header(table: Record<string, Getter>, spec: string, op: string): Getter {
  // %REQ(X?Y):Z%: X, else Y; a trailing max length.
  const m = /^([^?)]+)(?:\?([^)]+))?$/.exec(spec);
  const names = m ? [m[1]!, m[2]].filter((x): x is string => !!x).map((x) => x.toLowerCase()) : [];
  const getters = names.map((n) => table[n]);
  if (names.length === 0 || getters.some((g) => g === undefined)) {
    throw new TelemetryError(
      'PETREL_TELEMETRY_CONFIG',
      `access log format: %${op}(${spec})% is not available in this proxy`,
    );
  }
  const [a, b] = getters as Getter[];
  return b ? (r) => a!(r) ?? b(r) : a!;
}

/** Compiles one operator name (with its argument, without the % signs). */
function operator(token: string): Getter {
  const m = /^([A-Z_]+)(?:\(([^)]*)\))?(?::(\d+))?$/.exec(token);
  if (!m)
    throw new TelemetryError(
      'PETREL_TELEMETRY_CONFIG',
      `access log format: %${token}% is not a command operator`,
    );
  const [, op, arg, max] = m;
  let g: Getter | undefined;
  if (op === 'REQ') g = header(REQUEST_HEADERS, arg ?? '', op);
  else if (op === 'RESP') g = header(RESPONSE_HEADERS, arg ?? '', op);
  else if (arg === undefined) g = OPERATORS[op!];
  if (!g)
    throw new TelemetryError(
      'PETREL_TELEMETRY_CONFIG',
      `access log format: %${token}% is not supported by this proxy`,
    );
  if (max === undefined) return g;
  const n = Number(max);
  const inner = g;
  return (r) => {
    const v = inner(r);
    return typeof v === 'string' ? v.slice(0, n) : v;
  };
}

type Part = string | Getter;

function parts(format: string): Part[] {
  const out: Part[] = [];
  const re = /%([A-Z_]+(?:\([^)]*\))?(?::\d+)?)%/g;
  let last = 0;
  for (let m = re.exec(format); m; m = re.exec(format)) {
    if (m.index > last) out.push(format.slice(last, m.index));
    out.push(operator(m[1]!));
    last = re.lastIndex;
  }
  if (last < format.length) out.push(format.slice(last));
  return out.map((p) => (typeof p === 'string' ? p.replace(/%%/g, '%') : p));
}

export type LineFormatter = (r: TelemetryRecord) => string;

/** A text format; like Envoy, a format without a trailing newline gets one. */
export function compileTextFormat(format: string): LineFormatter {
  const ps = parts(format.endsWith('\n') ? format : `${format}\n`);
  return (r) => {
    let line = '';
    for (const p of ps) {
      if (typeof p === 'string') line += p;
      else {
        const v = p(r);
        line += v === undefined ? '-' : v;
      }
    }
    return line;
  };
}

/**
 * A JSON format: a value that is exactly one operator keeps its type (numbers stay
 * numbers, missing values are null), anything else is a string, as Envoy's
 * json_format does. Keys are written in sorted order.
 */
export function compileJsonFormat(format: Readonly<Record<string, string>>): LineFormatter {
  const fields = Object.keys(format)
    .sort()
    .map((key) => {
      const ps = parts(format[key]!);
      const single = ps.length === 1 && typeof ps[0] !== 'string' ? (ps[0] as Getter) : undefined;
      return { key, ps, single };
    });
  return (r) => {
    const o: Record<string, unknown> = {};
    for (const f of fields) {
      if (f.single) o[f.key] = f.single(r) ?? null;
      else o[f.key] = f.ps.map((p) => (typeof p === 'string' ? p : (p(r) ?? '-'))).join('');
    }
    return `${JSON.stringify(o)}\n`;
  };
}
