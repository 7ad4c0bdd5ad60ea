// Problems met while translating security config for a proxy (a CUSTOM provider
// that cannot be used, a provider that does not apply to TCP), as log lines.
// Generators are pure functions of (push, proxy), so a problem shows up once per
// proxy; it is logged once per push (the same line for every replica of a workload
// and every generator call of that push), which keeps it visible in pilot's log
// after each config change without flooding it. Pilot's own logger replaces the
// default stderr sink with setTranslationLog.
import { memoPerPush } from '../common/push-memo.ts';

export type TranslationLevel = 'debug' | 'warn' | 'error';
export type TranslationLog = Record<TranslationLevel, (message: string) => void>;

const stderrSink: TranslationLog = {
  debug: (m) => {
    if (process.env.PETREL_LOG_LEVEL === 'debug') console.error(`debug\t${m}`);
  },
  warn: (m) => console.error(`warn\t${m}`),
  error: (m) => console.error(`error\t${m}`),
};

/** Registered loggers, newest last: the newest running pilot's gets the lines. */
const sinks: { log: TranslationLog }[] = [];
const LOGGED = {};

/**
 * Routes translation problems to `log` (pilot's logger) until the returned function
 * is called. Pilots in one process (tests, benchmarks) may stop in any order: each
 * removes only its own logger, and the lines go to the newest one still running.
 */
export function setTranslationLog(log: TranslationLog): () => void {
  // Its own entry, so the same logger registered twice is removed once per call.
  const entry = { log };
  sinks.push(entry);
  return () => {
    const i = sinks.indexOf(entry);
    if (i >= 0) sinks.splice(i, 1);
  };
}

/** Logs `message` at `level`, once per push. */
export function reportTranslation(push: object, level: TranslationLevel, message: string): void {
  const logged = memoPerPush(push, LOGGED, 'lines', () => new Set<string>());
  if (logged.has(message)) return;
  logged.add(message);
  (sinks.at(-1)?.log ?? stderrSink)[level](`authz: ${message}`);
}
