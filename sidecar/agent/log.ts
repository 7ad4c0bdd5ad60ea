// Named loggers with Envoy's level names, so the admin `/logging?level=` and
// `/logging?<name>=<level>` endpoints work as they do on Envoy. Lines follow
// istio-proxy's shape: `<RFC3339 time>\t<level>\t<scope>\t<message>`.

export const LOG_LEVELS = [
  'trace',
  'debug',
  'info',
  'warning',
  'error',
  'critical',
  'off',
] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text);
}

export interface Logger {
  readonly name: string;
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

type Sink = (line: string) => void;

/** The set of loggers of one proxy process; the admin server changes their levels. */
export class LogRegistry {
  readonly #levels = new Map<string, LogLevel>();
  readonly #loggers = new Map<string, Logger>();
  #sink: Sink;
  #defaultLevel: LogLevel;

  constructor(options: { level?: LogLevel; sink?: Sink } = {}) {
    this.#defaultLevel = options.level ?? 'info';
    this.#sink = options.sink ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** The logger called `name`, created at the default level on first use. */
  get(name: string): Logger {
    const known = this.#loggers.get(name);
    if (known) return known;
    if (!this.#levels.has(name)) this.#levels.set(name, this.#defaultLevel);
    const at = (level: LogLevel) => (message: string) => this.#write(name, level, message);
    const logger: Logger = {
      name,
      trace: at('trace'),
      debug: at('debug'),
      info: at('info'),
      warn: at('warning'),
      error: at('error'),
    };
    this.#loggers.set(name, logger);
    return logger;
  }

  /** Sets every logger (and those created later) to `level`. */
  setAll(level: LogLevel): void {
    this.#defaultLevel = level;
    for (const name of this.#levels.keys()) this.#levels.set(name, level);
  }

  /** Sets one logger; false when no logger has that name. */
  set(name: string, level: LogLevel): boolean {
    if (!this.#levels.has(name)) return false;
    this.#levels.set(name, level);
    return true;
  }

  /** Every logger and its level, sorted by name. */
  levels(): Array<[string, LogLevel]> {
    return [...this.#levels.entries()].sort(([a], [b]) => a.localeCompare(b));
  }

  #write(name: string, level: LogLevel, message: string): void {
    const threshold = this.#levels.get(name) ?? this.#defaultLevel;
    if (threshold === 'off' || LOG_LEVELS.indexOf(level) < LOG_LEVELS.indexOf(threshold)) return;
    this.#sink(
      `${new Date().toISOString()}\t${level === 'warning' ? 'warn' : level}\t${name}\t${message}`,
    );
  }
}
