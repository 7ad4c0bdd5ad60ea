// The default logger: one line per event on stderr, Istio-style `time level scope message`.
import type { XdsLogger } from './types.ts';

function line(level: string, message: string): void {
  process.stderr.write(`${new Date().toISOString()}\t${level}\t${message}\n`);
}

export const stderrLogger: XdsLogger = {
  debug: (m) => {
    if (process.env.PETREL_LOG_LEVEL === 'debug') line('debug', m);
  },
  info: (m) => line('info', m),
  warn: (m) => line('warn', m),
  error: (m) => line('error', m),
};
