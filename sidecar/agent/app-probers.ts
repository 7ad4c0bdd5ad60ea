// ISTIO_KUBE_APP_PROBERS, as the injector writes it: JSON mapping a status-port
// path (`/app-health/<container>/readyz`) to the app's original probe (Istio's
// `Prober`: one of httpGet, tcpSocket, grpc, plus timeoutSeconds). Read once at
// startup. As pilot-agent does (status.NewServer fails, the agent exits), a bad
// value refuses the start rather than serving the valid entries: the variable is
// written by the injector, never by hand, so a bad one means injector/agent skew,
// and a sidecar crash-looping with this one line is easier to diagnose than a
// kubelet restarting the app on every probe the agent cannot answer.
import { z } from 'zod';
import { AgentError } from './errors.ts';

/** Istio's appProberPattern: the paths the status server takes over. */
export const APP_PROBER_PATH =
  /^\/(app-health|app-lifecycle)\/[^/]+\/(livez|readyz|startupz|prestopz|poststartz)$/;

// Unknown fields are ignored, as Go's json.Unmarshal into Istio's Prober does.
const port = z.number().int().min(1).max(65535);
const header = z.object({ name: z.string().min(1), value: z.string() });
const httpGet = z.object({
  path: z.string().optional(),
  port,
  host: z.string().optional(),
  scheme: z.enum(['HTTP', 'HTTPS']).optional(),
  httpHeaders: z.array(header).optional(),
});
const tcpSocket = z.object({ port, host: z.string().optional() });
const grpc = z.object({ port, service: z.string().optional() });
const prober = z
  .object({
    httpGet: httpGet.optional(),
    tcpSocket: tcpSocket.optional(),
    grpc: grpc.optional(),
    timeoutSeconds: z.number().int().min(0).optional(),
  })
  .refine((p) => [p.httpGet, p.tcpSocket, p.grpc].filter(Boolean).length === 1, {
    message: 'want exactly one of httpGet, tcpSocket or grpc',
  });

export type HttpGetAction = z.infer<typeof httpGet>;
export type Prober = z.infer<typeof prober>;
/** Path on the status port → the probe the agent runs for it. */
export type AppProbers = ReadonlyMap<string, Prober>;

function where(key: string, path: readonly PropertyKey[]): string {
  let out = JSON.stringify(key);
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `.${String(p)}`;
  return out;
}

function fail(problems: string[]): never {
  throw new AgentError('PETREL_AGENT_OPTION', `ISTIO_KUBE_APP_PROBERS: ${problems.join('; ')}`);
}

/** Parses and checks every entry; throws one AgentError line listing every problem with its path. */
export function parseAppProbers(text: string | undefined): AppProbers {
  const out = new Map<string, Prober>();
  if (text === undefined || text.trim() === '') return out;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    fail([`not JSON (${(err as Error).message})`]);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json))
    fail(['want a JSON object of path → prober']);
  const problems: string[] = [];
  for (const [key, value] of Object.entries(json)) {
    if (!APP_PROBER_PATH.test(key)) {
      problems.push(
        `${where(key, [])}: path must be /app-health/<container>/<readyz|livez|startupz>`,
      );
      continue;
    }
    const parsed = prober.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push(`${where(key, issue.path)}: ${issue.message}`);
      continue;
    }
    out.set(key, parsed.data);
  }
  if (problems.length > 0) fail(problems);
  return out;
}

/** The kubelet's default probe timeout when timeoutSeconds is unset (or 0). */
export function probeTimeoutMs(p: Prober): number {
  return (p.timeoutSeconds || 1) * 1000;
}

/** What the status server answers the kubelet for one probe. */
export interface ProbeResult {
  /** 200–399 passes the kubelet's probe. */
  status: number;
  body: string;
  /** Why the probe failed, for the `probes` log; unset on success. */
  error?: string;
}

/** Where one probe connects: the app's address, and the source to bind (see probe-target.ts). */
export interface ProbeTarget {
  host: string;
  port: number;
  source?: string;
}
