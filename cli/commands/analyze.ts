// `petrel analyze [-f file…] [--config-dir DIR] [--kube]`: reads config the way
// pilot does (same admission, same PushContext), runs pilot/analyze's
// analyzers and prints istioctl-style messages. Exit codes as istioctl's: 0
// without errors (warnings and info allowed), 79 when an analyzer reports an
// error, 65 when only some input could not be parsed; unlike istioctl they hold
// for -o json|yaml too, so CI can use either.
import { stat } from 'node:fs/promises';
import type { Command } from '../main.ts';
import { CliError } from '../errors.ts';
import { choiceFlag, parseCommandArgs } from '../operator/args.ts';
import { processIo, type Io } from '../operator/io.ts';
import { printStructured } from '../operator/output.ts';
import {
  ANALYZERS,
  InputBuilder,
  addKube,
  addPaths,
  analyze,
  isReportedAsMessage,
  messageJson,
  messageLine,
  type LoadProblem,
} from '../../pilot/analyze/index.ts';
import { AnalyzeError } from '../../pilot/analyze/errors.ts';

export const EXIT_ANALYZER_FOUND_ISSUES = 79;
export const EXIT_DATA_ERROR = 65;

const SPEC = {
  usage: 'analyze [<file|dir>…] [-f FILE…] [--config-dir DIR] [--kube] [flags]',
  options: {
    filename: { type: 'string', short: 'f', multiple: true },
    'config-dir': { type: 'string' },
    kube: { type: 'boolean' },
    output: { type: 'string', short: 'o' },
    'list-analyzers': { type: 'boolean', short: 'L' },
  },
  help: [
    '  <file|dir>, -f FILE    YAML files (or directories) to analyse; repeatable',
    '  --config-dir DIR       every *.yaml/*.yml under DIR, as `petrel pilot --config-dir` reads it',
    '  --kube                 the cluster (in-cluster or KUBECONFIG); files given too replace its objects',
    '  -o, --output FMT       text (default), json or yaml',
    '  -L, --list-analyzers   list the analyzers and exit',
    '',
    'exit codes: 0 no errors, 79 errors found, 65 some input could not be parsed, 2 bad flags',
  ].join('\n'),
} as const;

function problemLine(p: LoadProblem): string {
  const where = p.file ? `${p.file}${p.line ? `:${p.line}` : ''}: ` : '';
  return `${p.severity === 'error' ? 'Error' : 'Warning'}: ${where}${p.detail}`;
}

export function createAnalyzeCommand(io: Io = processIo): Command {
  return {
    summary: 'check Istio config for problems, as istioctl analyze does',
    async run(args) {
      const parsed = parseCommandArgs(args, SPEC, io);
      if (!parsed) return 0;
      const { values, positionals } = parsed;
      if (values['list-analyzers']) {
        for (const a of ANALYZERS) io.out(`${a.name}: ${a.description}\n`);
        return 0;
      }
      const format = choiceFlag(values, 'output', ['text', 'json', 'yaml'] as const, 'text');
      const files = [...((values.filename as string[] | undefined) ?? []), ...positionals];
      const configDir = values['config-dir'] as string | undefined;
      const kube = values.kube === true;
      if (configDir !== undefined && !(await isDirectory(configDir)))
        throw new CliError(`--config-dir ${configDir}: not a directory`);
      const paths = configDir !== undefined ? [configDir, ...files] : files;
      if (paths.length === 0 && !kube)
        throw new CliError('give files (-f FILE), --config-dir DIR or --kube');

      const builder = new InputBuilder();
      if (kube) {
        try {
          await addKube(builder);
        } catch (err) {
          if (!(err instanceof AnalyzeError)) throw err;
          io.err(`petrel analyze: ${err.message}\n`);
          return 1;
        }
        builder.newLayer();
      }
      await addPaths(builder, paths);
      const messages = analyze(builder.input());

      const unparsed = builder.problems.filter((p) => !isReportedAsMessage(p));
      for (const p of unparsed) io.err(`${problemLine(p)}\n`);
      if (format === 'text') {
        for (const m of messages) io.out(`${messageLine(m)}\n`);
        if (messages.length === 0 && !unparsed.some((p) => p.severity === 'error')) {
          const target = [...paths, ...(kube ? ['the cluster'] : [])].join(', ');
          io.err(`\u2714 No validation issues found when analyzing ${target}.\n`);
        }
      } else printStructured(io, messages.map(messageJson), format);

      if (messages.some((m) => m.type.level === 'Error')) return EXIT_ANALYZER_FOUND_ISSUES;
      if (unparsed.some((p) => p.severity === 'error')) return EXIT_DATA_ERROR;
      return 0;
    },
  };
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

export const analyzeCommand: Command = createAnalyzeCommand();
