// Dispatches `petrel <subcommand> [flags]`. Each subcommand lives in cli/commands/.
import { CliError } from './errors.ts';

export interface Command {
  summary: string;
  /** Returns the process exit code; long-running commands resolve when they stop. */
  run(args: string[]): Promise<number>;
}

const COMMANDS: Record<string, () => Promise<Command>> = {
  pilot: async () => (await import('./commands/pilot.ts')).pilotCommand,
  proxy: async () => {
    // First, before the proxy's modules load: re-executes with the proxy's V8 heap
    // flags (sidecar/agent/node-flags.ts says why) unless they are already set.
    (await import('../sidecar/agent/node-flags.ts')).reexecWithNodeFlags();
    return (await import('./commands/proxy.ts')).proxyCommand;
  },
  // The postStart hook's `petrel proxy wait` (and every pod start waits on it): loaded
  // alone, without the proxy's data plane and agent modules.
  'proxy wait': async () => ({
    summary: 'block until the proxy is ready',
    run: async (args) => (await import('./commands/proxy-wait.ts')).runProxyWait(args),
  }),
  local: async () => (await import('./commands/local.ts')).localCommand,
  'proxy-status': async () => (await import('./commands/proxy-status.ts')).proxyStatusCommand,
  'proxy-config': async () => (await import('./commands/proxy-config.ts')).proxyConfigCommand,
  analyze: async () => (await import('./commands/analyze.ts')).analyzeCommand,
  injector: async () => (await import('./commands/injector.ts')).injectorCommand,
  iptables: async () => (await import('./commands/iptables.ts')).iptablesCommand,
};

function usage(): string {
  const lines = ['usage: petrel <command> [flags]', '', 'commands:'];
  for (const name of Object.keys(COMMANDS)) if (!name.includes(' ')) lines.push(`  ${name}`);
  lines.push('', "Run `petrel <command> --help` for a command's flags.");
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const [first, ...more] = argv;
  const [name, rest] =
    first === 'proxy' && more[0] === 'wait' ? ['proxy wait', more.slice(1)] : [first, more];
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`petrel: unknown command "${name}"\n${usage()}`);
    return 2;
  }
  try {
    return await (await load()).run(rest);
  } catch (err) {
    if (err instanceof CliError) {
      console.error(`petrel ${name}: ${err.message}`);
      return 2;
    }
    throw err;
  }
}
