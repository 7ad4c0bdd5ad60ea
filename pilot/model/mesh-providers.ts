// MeshConfig `extensionProviders` (istio.io/api mesh/v1alpha1 config.proto,
// ExtensionProvider): the external authorizers that AuthorizationPolicies with
// `action: CUSTOM` name, with Istio's checks (pkg/config/validation/agent
// extensionprovider.go, pilot's authz builder extauthz.go). As in Istio, a bad
// provider never stops pilot: it is kept with its `problem`, and the CUSTOM
// policies naming it deny the requests they match. Providers of the other kinds
// (tracing, metrics, access logs) are accepted and left out: Petrel does not act
// on them, and says so in one warning line each.
import { ModelError } from './errors.ts';
import {
  Check,
  DNS_LABEL,
  grpcProvider,
  httpProvider,
  isRecord,
  type EnvoyExtAuthzGrpc,
  type EnvoyExtAuthzHttp,
} from './mesh-ext-authz.ts';

export type {
  EnvoyExtAuthzGrpc,
  EnvoyExtAuthzHttp,
  ExtAuthzRequestBody,
} from './mesh-ext-authz.ts';

export interface ExtensionProvider {
  name: string;
  envoyExtAuthzHttp?: EnvoyExtAuthzHttp;
  envoyExtAuthzGrpc?: EnvoyExtAuthzGrpc;
  /** Why it cannot be used, one line naming the fields; its CUSTOM policies then deny. */
  problem?: string;
}

export interface ReadProviders {
  /** The ext_authz providers, in order (a later one of the same name wins, as in Istio). */
  providers: ExtensionProvider[];
  /** One line per bad provider: `extensionProviders[1].envoyExtAuthzHttp.port: must be in 1..65535`. */
  problems: string[];
  /** Fields and provider kinds Petrel does not act on. */
  warnings: string[];
}

const AUTHZ_KINDS = ['envoyExtAuthzHttp', 'envoyExtAuthzGrpc'] as const;
const OTHER_KINDS = [
  'zipkin',
  'lightstep',
  'datadog',
  'stackdriver',
  'opencensus',
  'skywalking',
  'opentelemetry',
  'prometheus',
  'envoyFileAccessLog',
  'envoyHttpAls',
  'envoyTcpAls',
  'envoyOtelAls',
  'sds',
];

/** One entry: the provider (undefined for kinds Petrel leaves out) and its problems. */
function readEntry(
  entry: unknown,
  at: string,
  warnings: string[],
): { name?: string; provider?: ExtensionProvider; problems: string[] } {
  const c = new Check(warnings);
  if (!isRecord(entry)) return { problems: [`${at}: must be an object`] };
  // Already checked (a mesh config built from a read one): kept as it is.
  if (typeof entry.name === 'string' && typeof entry.problem === 'string')
    return { name: entry.name, provider: entry as unknown as ExtensionProvider, problems: [] };
  const name = typeof entry.name === 'string' ? entry.name : undefined;
  if (name === undefined || name === '') c.bad(`${at}.name`, 'must not be empty');
  const kinds = Object.keys(entry).filter(
    (k) => (AUTHZ_KINDS as readonly string[]).includes(k) || OTHER_KINDS.includes(k),
  );
  c.unknownFields(entry, at, ['name', ...AUTHZ_KINDS, ...OTHER_KINDS], 'ExtensionProvider');
  if (kinds.length > 1) c.bad(at, `sets ${kinds.join(' and ')}: one provider kind per entry`);
  const kind = kinds[0];
  if (kind === undefined) warnings.push(`${at}: sets no provider kind; ignored`);
  if (kind === undefined || !(AUTHZ_KINDS as readonly string[]).includes(kind)) {
    if (kind !== undefined) warnings.push(`${at}.${kind}: not supported by Petrel; ignored`);
    return { name, problems: c.problems };
  }
  if (name && !(name.length <= 63 && DNS_LABEL.test(name)))
    c.bad(
      `${at}.name`,
      'must be a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters)',
    );
  const spec = entry[kind];
  const provider: ExtensionProvider = { name: name ?? '' };
  if (!isRecord(spec)) c.bad(`${at}.${kind}`, 'must be an object');
  else if (kind === 'envoyExtAuthzHttp')
    provider.envoyExtAuthzHttp = httpProvider(c, spec, `${at}.${kind}`);
  else provider.envoyExtAuthzGrpc = grpcProvider(c, spec, `${at}.${kind}`);
  return { name, provider, problems: c.problems };
}

/**
 * Reads and checks MeshConfig `extensionProviders` (a list, else throws one line).
 * `at` names the field in messages.
 */
export function readExtensionProviders(value: unknown, at = 'extensionProviders'): ReadProviders {
  if (!Array.isArray(value))
    throw new ModelError('PETREL_MODEL_MESH', `mesh config: ${at}: must be a list`);
  const out: ReadProviders = { providers: [], problems: [], warnings: [] };
  const seen = new Map<string, number>();
  value.forEach((entry, i) => {
    const where = `${at}[${i}]`;
    const read = readEntry(entry, where, out.warnings);
    const problems = [...read.problems];
    if (read.name) {
      const first = seen.get(read.name);
      // Istio: names are unique; a duplicate is an error and replaces the first.
      if (first !== undefined)
        problems.unshift(`${where}.name: "${read.name}" is already the name of ${at}[${first}]`);
      else seen.set(read.name, i);
    }
    const line = problems.join('; ');
    if (line) out.problems.push(line);
    if (read.provider) {
      out.providers.push(line ? { name: read.provider.name, problem: line } : read.provider);
    } else if (line && read.name) {
      // A bad entry of another kind still takes its name: a CUSTOM policy naming it denies.
      out.providers.push({ name: read.name, problem: line });
    }
  });
  return out;
}
