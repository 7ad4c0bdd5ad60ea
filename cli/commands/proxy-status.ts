// `petrel proxy-status [<proxy>]`: each connected proxy's sync state per xDS
// type (SYNCED, STALE, NACK, NOT SENT) from pilot's /debug/syncz, as
// `istioctl proxy-status` shows it; with a proxy (`pod.namespace` or its full
// node id) the per-type detail, including the error of a NACK.
import type { Command } from '../main.ts';
import { CliError } from '../errors.ts';
import { addressFlag, choiceFlag, parseCommandArgs, timeoutFlag } from '../operator/args.ts';
import { OperatorError } from '../operator/errors.ts';
import { getJson } from '../operator/http.ts';
import { processIo, type Io } from '../operator/io.ts';
import { printStructured } from '../operator/output.ts';
import { asSyncz, findProxy, statusDetail, statusTable } from '../operator/sync-status.ts';

const SPEC = {
  usage: 'proxy-status [<proxy>] [flags]',
  options: {
    pilot: { type: 'string' },
    output: { type: 'string', short: 'o' },
    timeout: { type: 'string' },
  },
  help: [
    '  <proxy>              one proxy: pod.namespace or its full node id (default: all proxies)',
    '  --pilot HOST:PORT    pilot monitoring address (default 127.0.0.1:15014)',
    '  -o, --output FMT     table (default), json or yaml',
    '  --timeout MS         how long to wait for pilot (default 5000)',
  ].join('\n'),
} as const;

export function createProxyStatusCommand(io: Io = processIo): Command {
  return {
    summary: "each proxy's xDS sync state per type, from pilot",
    async run(args) {
      const parsed = parseCommandArgs(args, SPEC, io);
      if (!parsed) return 0;
      const { values, positionals } = parsed;
      if (positionals.length > 1)
        throw new CliError(`want at most one proxy, got ${positionals.join(' ')}`);
      const base = addressFlag(values, 'pilot', '127.0.0.1:15014');
      const format = choiceFlag(values, 'output', ['table', 'json', 'yaml'] as const, 'table');
      try {
        let proxies = asSyncz(
          await getJson(base, '/debug/syncz', 'pilot', timeoutFlag(values, 5000)),
        );
        const name = positionals[0];
        if (name !== undefined) {
          proxies = findProxy(proxies, name);
          if (proxies.length === 0)
            throw new OperatorError(
              'PETREL_OPERATOR_PROXY_NOT_FOUND',
              `proxy ${name} is not connected to pilot at ${base}`,
            );
        }
        if (format !== 'table') printStructured(io, proxies, format);
        else if (name === undefined) io.out(statusTable(proxies, base.replace(/^https?:\/\//, '')));
        else io.out(proxies.map(statusDetail).join('\n'));
        return 0;
      } catch (err) {
        if (!(err instanceof OperatorError)) throw err;
        io.err(`petrel proxy-status: ${err.message}\n`);
        return 1;
      }
    },
  };
}

export const proxyStatusCommand: Command = createProxyStatusCommand();
