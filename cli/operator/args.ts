// Flags plus positional arguments for the operator commands (`proxy-config
// clusters reviews-v1.default`, `analyze a.yaml b.yaml`). cli/flags.ts takes
// flags only and exits the process on --help; this returns instead, so a
// command stays callable in-process (tests, `petrel local`).
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { CliError } from '../errors.ts';
import type { Io } from './io.ts';

export interface ArgSpec {
  /** `proxy-config <type> [<proxy>] [flags]` */
  usage: string;
  options: ParseArgsOptionsConfig;
  /** One line per flag. */
  help: string;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** The parsed arguments, or undefined when --help was asked for (the help is printed). */
export function parseCommandArgs(args: string[], spec: ArgSpec, io: Io): ParsedArgs | undefined {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(`usage: petrel ${spec.usage}\n\n${spec.help}\n`);
    return undefined;
  }
  try {
    const { values, positionals } = parseArgs({
      args,
      options: spec.options,
      strict: true,
      allowPositionals: true,
    });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

/** A string flag that may only take one of `choices`. */
export function choiceFlag<T extends string>(
  values: ParsedArgs['values'],
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const raw = values[name];
  if (raw === undefined) return fallback;
  if (typeof raw === 'string' && (choices as readonly string[]).includes(raw)) return raw as T;
  throw new CliError(`--${name} ${String(raw)}: want one of ${choices.join(', ')}`);
}

/** `host:port` (or a URL) as an http base URL. */
export function addressFlag(values: ParsedArgs['values'], name: string, fallback: string): string {
  const raw = values[name] ?? fallback;
  if (typeof raw !== 'string' || !raw) throw new CliError(`--${name}: want host:port`);
  if (/^https?:\/\//.test(raw)) return raw.replace(/\/+$/, '');
  if (!/^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):\d{1,5}$/.test(raw))
    throw new CliError(`--${name} ${raw}: want host:port`);
  return `http://${raw}`;
}

export function timeoutFlag(values: ParsedArgs['values'], fallbackMs: number): number {
  const raw = values.timeout;
  if (raw === undefined) return fallbackMs;
  const ms = Number(raw);
  if (!Number.isFinite(ms) || ms <= 0)
    throw new CliError(`--timeout ${String(raw)}: want milliseconds above 0`);
  return ms;
}
