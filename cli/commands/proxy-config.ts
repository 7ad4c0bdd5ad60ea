// `petrel proxy-config clusters|listeners|routes|endpoints|secret [<proxy>]`:
// a proxy's xDS config as istioctl's tables (or -o json|yaml). Two sources:
// pilot's /debug/config_dump?proxyID= (what pilot sent; the default), or a
// proxy's admin /config_dump with --admin (what the proxy runs), where
// endpoints come from /clusters?format=json as istioctl reads them.
import { redact } from '../../sidecar/admin/dump-filters.ts';
import type { Command } from '../main.ts';
import { CliError } from '../errors.ts';
import { addressFlag, choiceFlag, parseCommandArgs, timeoutFlag } from '../operator/args.ts';
import { CLUSTER_HEADERS, clusterRows } from '../operator/cluster-rows.ts';
import {
  clustersOf,
  endpointsOf,
  obj,
  str,
  listenersOf,
  routesOf,
  secretsOf,
  type DumpedResource,
} from '../operator/config-dump.ts';
import {
  ENDPOINT_HEADERS,
  endpointRowsFromAdmin,
  endpointRowsFromEds,
} from '../operator/endpoint-rows.ts';
import { OperatorError } from '../operator/errors.ts';
import { getJson } from '../operator/http.ts';
import { processIo, type Io } from '../operator/io.ts';
import { LISTENER_HEADERS, listenerRows } from '../operator/listener-rows.ts';
import { printStructured } from '../operator/output.ts';
import { ROUTE_HEADERS, routeRows } from '../operator/route-rows.ts';
import { SECRET_HEADERS, secretRows } from '../operator/secret-rows.ts';
import { proxyName } from '../operator/sync-status.ts';
import { renderTable } from '../operator/table.ts';

type ConfigType = 'clusters' | 'listeners' | 'routes' | 'endpoints' | 'secret';

const ALIASES: Record<string, ConfigType> = {
  cluster: 'clusters',
  clusters: 'clusters',
  c: 'clusters',
  listener: 'listeners',
  listeners: 'listeners',
  l: 'listeners',
  route: 'routes',
  routes: 'routes',
  r: 'routes',
  endpoint: 'endpoints',
  endpoints: 'endpoints',
  ep: 'endpoints',
  secret: 'secret',
  secrets: 'secret',
  s: 'secret',
};

const TABLES: Record<
  ConfigType,
  {
    headers: string[];
    extract: (dump: unknown) => DumpedResource[];
    rows: (r: DumpedResource[]) => string[][];
  }
> = {
  clusters: { headers: CLUSTER_HEADERS, extract: clustersOf, rows: clusterRows },
  listeners: { headers: LISTENER_HEADERS, extract: listenersOf, rows: listenerRows },
  routes: { headers: ROUTE_HEADERS, extract: routesOf, rows: routeRows },
  endpoints: { headers: ENDPOINT_HEADERS, extract: endpointsOf, rows: endpointRowsFromEds },
  secret: { headers: SECRET_HEADERS, extract: secretsOf, rows: (r) => secretRows(r) },
};

const SPEC = {
  usage: 'proxy-config clusters|listeners|routes|endpoints|secret [<proxy>] [flags]',
  options: {
    pilot: { type: 'string' },
    admin: { type: 'string' },
    output: { type: 'string', short: 'o' },
    timeout: { type: 'string' },
  },
  help: [
    '  <proxy>              pod.namespace or full node id (required with --pilot, the default source)',
    '  --pilot HOST:PORT    read what pilot sent, from its monitoring port (default 127.0.0.1:15014)',
    '  --admin HOST:PORT    read what the proxy runs, from its admin port (e.g. 127.0.0.1:15000)',
    '  -o, --output FMT     table (default), json or yaml',
    '  --timeout MS         how long to wait for an answer (default 5000)',
  ].join('\n'),
} as const;

export function createProxyConfigCommand(io: Io = processIo): Command {
  return {
    summary:
      "a proxy's clusters, listeners, routes, endpoints or secrets, as pilot sent them or the proxy runs them",
    async run(args) {
      const parsed = parseCommandArgs(args, SPEC, io);
      if (!parsed) return 0;
      const { values, positionals } = parsed;
      const [typeArg, proxy, ...extra] = positionals;
      const type = typeArg === undefined ? undefined : ALIASES[typeArg];
      if (!type)
        throw new CliError(
          `want a config type (clusters, listeners, routes, endpoints, secret)${typeArg ? `, got "${typeArg}"` : ''}`,
        );
      if (extra.length) throw new CliError(`unexpected arguments: ${extra.join(' ')}`);
      if (values.pilot !== undefined && values.admin !== undefined)
        throw new CliError('give --pilot or --admin, not both');
      const fromAdmin = values.admin !== undefined;
      if (!fromAdmin && !proxy)
        throw new CliError('want a proxy (pod.namespace or node id) to ask pilot about');
      const format = choiceFlag(values, 'output', ['table', 'json', 'yaml'] as const, 'table');
      const timeoutMs = timeoutFlag(values, 5000);
      try {
        const base = fromAdmin
          ? addressFlag(values, 'admin', '')
          : addressFlag(values, 'pilot', '127.0.0.1:15014');
        if (fromAdmin && proxy) await checkAdminServes(base, proxy, timeoutMs);
        // Endpoints from a proxy: its live host list, as istioctl reads it.
        if (fromAdmin && type === 'endpoints') {
          const clusters = await getJson(base, '/clusters?format=json', 'proxy admin', timeoutMs);
          if (format !== 'table') printStructured(io, clusters, format);
          else io.out(renderTable(ENDPOINT_HEADERS, endpointRowsFromAdmin(clusters)));
          return 0;
        }
        const dump = fromAdmin
          ? await getJson(
              base,
              `/config_dump${type === 'endpoints' ? '?include_eds' : ''}`,
              'proxy admin',
              timeoutMs,
            )
          : await getJson(
              base,
              `/debug/config_dump?proxyID=${encodeURIComponent(proxy!)}`,
              'pilot',
              timeoutMs,
            );
        const table = TABLES[type];
        const resources = table.extract(dump);
        if (format !== 'table')
          printStructured(io, redact(resources.map((r) => r.resource)), format);
        else io.out(renderTable(table.headers, table.rows(resources)));
        return 0;
      } catch (err) {
        if (!(err instanceof OperatorError)) throw err;
        io.err(`petrel proxy-config: ${err.message}\n`);
        return 1;
      }
    },
  };
}

/** A proxy named together with --admin must be the one behind that admin port. */
async function checkAdminServes(base: string, proxy: string, timeoutMs: number): Promise<void> {
  const info = obj(await getJson(base, '/server_info', 'proxy admin', timeoutMs));
  const id = str(obj(info.node).id);
  if (id !== proxy && proxyName(id) !== proxy)
    throw new OperatorError(
      'PETREL_OPERATOR_PROXY_NOT_FOUND',
      `proxy admin ${base} serves ${proxyName(id) || 'an unnamed proxy'}, not ${proxy}`,
    );
}

export const proxyConfigCommand: Command = createProxyConfigCommand();
