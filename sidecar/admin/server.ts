// The admin server on 127.0.0.1 (--admin-port, 15000): the subset of Envoy's admin
// API that Istio's tools and operators use, with Envoy's paths, methods and output
// shapes. Mutations require POST (a GET answers 400 and changes nothing), as Envoy.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen, type ListeningServer } from '../agent/http-listen.ts';
import { isLogLevel } from '../agent/log.ts';
import type { Logger } from '../agent/log.ts';
import { errorLine } from '../agent/errors.ts';
import { buildConfigDump } from './config-dump.ts';
import { clustersJson, clustersText } from './clusters.ts';
import { AdminError } from './errors.ts';
import { listenersJson, listenersText } from './listeners.ts';
import type { AdminSources, Stat } from './sources.ts';
import { agentStats, statsJson, statsPrometheus, statsText } from './stats.ts';

export interface AdminServerOptions {
  sources: AdminSources;
  port: number;
  /** Loopback only unless told otherwise: the admin API can shut the proxy down. */
  host?: string;
  log?: Logger;
  version?: string;
}

type Handler = (req: IncomingMessage, url: URL, res: ServerResponse) => void | Promise<void>;
interface Route {
  help: string;
  mutates: boolean;
  handle: Handler;
}

function send(
  res: ServerResponse,
  status: number,
  body: string,
  type = 'text/plain; charset=UTF-8',
): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-cache, max-age=0',
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}

function sendJson(res: ServerResponse, body: unknown, status = 200): void {
  send(res, status, `${JSON.stringify(body, null, 1)}\n`, 'application/json');
}

function regexParam(url: URL, name: string): RegExp | undefined {
  const text = url.searchParams.get(name);
  if (text === null || text === '') return undefined;
  try {
    return new RegExp(text);
  } catch {
    throw new AdminError('PETREL_ADMIN_QUERY', 400, `Invalid regex for ${name}: "${text}"`);
  }
}

function durationSeconds(ms: number): string {
  return `${Math.floor(ms / 1000)}s`;
}

/**
 * The server's own stats (/stats, and envoy_* in /stats/prometheus): the agent's and
 * the data path's. Exported so the stats port (15090) renders the same set.
 */
export function serverStats(
  sources: Pick<AdminSources, 'xds' | 'serverState' | 'startedAt' | 'dataPlane'>,
): Stat[] {
  const status = sources.xds.status();
  const uptime = (Date.now() - sources.startedAt.getTime()) / 1000;
  return [
    ...agentStats(status, sources.serverState(), uptime),
    ...(sources.dataPlane?.stats?.() ?? []),
  ];
}

export function startAdminServer(options: AdminServerOptions): Promise<ListeningServer> {
  const { sources } = options;
  const version = options.version ?? `petrel/0.1.0/Clean/RELEASE/node-${process.versions.node}`;
  const allStats = (): Stat[] => serverStats(sources);
  const loggersText = () =>
    `active loggers:\n${sources.logs
      .levels()
      .map(([n, l]) => `  ${n}: ${l}\n`)
      .join('')}`;

  const routes: Record<string, Route> = {
    '/config_dump': {
      help: 'dump current Envoy configs (?include_eds, ?resource=, ?mask=, ?name_regex=)',
      mutates: false,
      handle: (_req, url, res) => {
        const mask = url.searchParams.get('mask');
        sendJson(
          res,
          buildConfigDump(sources, {
            includeEds: url.searchParams.has('include_eds'),
            resource: url.searchParams.get('resource') || undefined,
            mask: mask ? mask.split(',').filter(Boolean) : undefined,
            nameRegex: regexParam(url, 'name_regex'),
          }),
        );
      },
    },
    '/clusters': {
      help: 'upstream cluster status (?format=json)',
      mutates: false,
      handle: (_req, url, res) => {
        const status = sources.xds.status();
        if (url.searchParams.get('format') === 'json')
          sendJson(res, clustersJson(status, sources.dataPlane));
        else send(res, 200, clustersText(status, sources.dataPlane));
      },
    },
    '/listeners': {
      help: 'print listener info (?format=json)',
      mutates: false,
      handle: (_req, url, res) => {
        const status = sources.xds.status();
        if (url.searchParams.get('format') === 'json')
          sendJson(res, listenersJson(status, sources.dataPlane));
        else send(res, 200, listenersText(status, sources.dataPlane));
      },
    },
    '/stats': {
      help: 'print server stats (?filter=, ?format=json|prometheus)',
      mutates: false,
      handle: async (_req, url, res) => {
        const filter = regexParam(url, 'filter');
        const format = url.searchParams.get('format');
        if (format === 'json') return sendJson(res, statsJson(allStats(), filter));
        if (format === 'prometheus')
          return send(res, 200, await prometheus(), 'text/plain; version=0.0.4; charset=UTF-8');
        send(res, 200, statsText(allStats(), filter));
      },
    },
    '/stats/prometheus': {
      help: 'print server stats in prometheus format',
      mutates: false,
      handle: async (_req, _url, res) =>
        send(res, 200, await prometheus(), 'text/plain; version=0.0.4; charset=UTF-8'),
    },
    '/logging': {
      help: 'query/change logging levels (?level=, ?<logger>=<level>, ?paths=<logger>:<level>,…)',
      mutates: true,
      handle: (_req, url, res) => {
        const changes: Array<[string, string]> = [];
        for (const [key, value] of url.searchParams) {
          if (key === 'paths') {
            for (const pair of value.split(',').filter(Boolean)) {
              const colon = pair.lastIndexOf(':');
              changes.push([pair.slice(0, colon), pair.slice(colon + 1)]);
            }
          } else changes.push([key, value]);
        }
        for (const [name, level] of changes) {
          if (!isLogLevel(level))
            return send(res, 400, `error: unknown logger level "${level}"\n${loggersText()}`);
          if (name !== 'level' && !sources.logs.levels().some(([n]) => n === name)) {
            return send(res, 400, `error: unknown logger "${name}"\n${loggersText()}`);
          }
        }
        for (const [name, level] of changes) {
          if (!isLogLevel(level)) continue;
          if (name === 'level') sources.logs.setAll(level);
          else sources.logs.set(name, level);
        }
        send(res, 200, loggersText());
      },
    },
    '/ready': {
      help: 'print server state, return 200 if LIVE, otherwise return 503',
      mutates: false,
      handle: (_req, _url, res) => {
        const state = sources.serverState();
        send(res, state === 'LIVE' ? 200 : 503, `${state}\n`);
      },
    },
    '/server_info': {
      help: 'print server version/status information',
      mutates: false,
      handle: (_req, _url, res) => {
        const uptime = durationSeconds(Date.now() - sources.startedAt.getTime());
        sendJson(res, {
          version,
          state: sources.serverState(),
          hot_restart_version: 'disabled',
          command_line_options: sources.commandLineOptions ?? {},
          node: sources.xds.status().node,
          uptime_current_epoch: uptime,
          uptime_all_epochs: uptime,
        });
      },
    },
    '/quitquitquit': {
      help: 'exit the server (drains first)',
      mutates: true,
      handle: (_req, _url, res) => {
        send(res, 200, 'OK\n');
        sources.quit();
      },
    },
  };

  async function prometheus(): Promise<string> {
    return sources.prometheus ? await sources.prometheus(allStats()) : statsPrometheus(allStats());
  }

  const helpText = () =>
    `admin commands are:\n${Object.entries(routes)
      .map(([path, r]) => `  ${path}: ${r.help}\n`)
      .join('')}`;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    if (url.pathname === '/' || url.pathname === '/help') return send(res, 200, helpText());
    const route = routes[url.pathname];
    if (!route) return send(res, 404, `invalid path. ${helpText()}`);
    if (route.mutates && req.method !== 'POST')
      return send(res, 400, 'This command requires a POST.\n');
    Promise.resolve()
      .then(() => route.handle(req, url, res))
      .catch((err: unknown) => {
        if (err instanceof AdminError) return send(res, err.status, `${err.message}\n`);
        options.log?.error(`admin ${url.pathname}: ${errorLine(err)}`);
        send(res, 500, `${errorLine(err)}\n`);
      });
  });
  return listen(server, 'admin server', options.host ?? '127.0.0.1', options.port);
}
