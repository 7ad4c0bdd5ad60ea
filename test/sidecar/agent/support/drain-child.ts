// A child process for the real-signal drain test: a health server, a data plane
// whose drain takes a while, and the lifecycle's SIGTERM handler. Prints each step.
import { Readiness, startHealthServer } from '../../../../sidecar/agent/health.ts';
import { Lifecycle } from '../../../../sidecar/agent/lifecycle.ts';

const say = (line: string) => process.stdout.write(`${line}\n`);
const readiness = new Readiness({ initialized: () => true, notReadyReason: () => '' });
const health = await startHealthServer({ readiness, port: 0, host: '127.0.0.1' });
const lifecycle = new Lifecycle({
  readiness,
  dataPlane: {
    applyConfig: () => ({ errors: [] }),
    drain: async () => {
      say('drain');
      await new Promise((r) => setTimeout(r, 400));
      say('drained');
    },
  },
  xds: { close: () => void say('xds closed') },
  servers: [health],
  drainDurationMs: 5000,
});
lifecycle.installSignalHandlers();
say(`READY ${health.port}`);
