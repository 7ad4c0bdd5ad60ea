// Flag parsing shared by subcommands: node:util parseArgs in strict mode, so an
// unknown flag or a missing value is one clear line rather than silently ignored.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { CliError } from './errors.ts';

export interface FlagSpec {
  options: ParseArgsOptionsConfig;
  /** One line per flag for --help. */
  help: string;
}

export function parseFlags(
  args: string[],
  spec: FlagSpec,
  command: string,
): Record<string, string | boolean | undefined> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(`usage: petrel ${command} [flags]\n\n${spec.help}`);
    process.exit(0);
  }
  try {
    const { values } = parseArgs({
      args,
      options: spec.options,
      strict: true,
      allowPositionals: false,
    });
    return values as Record<string, string | boolean | undefined>;
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

export function portFlag(values: Record<string, unknown>, name: string, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new CliError(`--${name} ${String(raw)}: must be a port number 0..65535`);
  return n;
}
