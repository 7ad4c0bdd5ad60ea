// `petrel local`: starts pilot, then every pod's app and sidecar and the gateway, as
// child processes; keeps a live status line; serves the dashboard and the merged
// istio_* metrics; and on stop (Ctrl-C) drains and stops them in order — proxies and
// apps, then pilot — escalating to SIGKILL, and tears down what capture set up.
import { mkdirSync } from 'node:fs';
import { startDashboard, type RunningDashboard } from '../../dashboard/server.ts';
import type { MetricsTarget } from '../../dashboard/metrics/scrape.ts';
import { Child, type ChildSpec } from './child.ts';
import { LocalError } from './errors.ts';
import { hints } from './hints.ts';
import type { LocalPlan } from './plan.ts';
import { appSpec, gatewaySpec, pilotSpec, sidecarSpec, type Placement } from './processes.ts';
import { StatusLine, type StatusRow } from './status-line.ts';

export interface SupervisorOptions {
  plan: LocalPlan;
  placement: Placement;
  /** The directory the user edits (shown in hints). */
  configDir: string;
  /** The directory pilot reads (the same, or a mirror with capture). */
  pilotConfigDir: string;
  dashboardPort: number;
  startTimeoutMs: number;
  status?: StatusLine;
  /** Rewrites child output lines before printing (capture maps mirror paths back). */
  mapLine?: (line: string) => string;
  /** Runs after every child stopped (capture: remove namespaces). */
  teardown?: () => Promise<void>;
}

export interface LocalMesh {
  children: Child[];
  dashboard: RunningDashboard;
  stop(): Promise<void>;
}

export async function startLocalMesh(o: SupervisorOptions): Promise<LocalMesh> {
  const p = o.placement;
  mkdirSync(p.logDir, { recursive: true });
  const status = o.status ?? new StatusLine();
  const rows: StatusRow[] = [];
  const onLine = (child: Child, line: string) =>
    status.log([`[${child.spec.name}] ${o.mapLine ? o.mapLine(line) : line}`]);
  const add = (spec: ChildSpec, detail: string): Child => {
    const child = new Child(spec);
    rows.push({ child, detail });
    return child;
  };
  const pilot = add(
    pilotSpec(p, o.pilotConfigDir),
    `xDS ${p.pilotHost}:${p.xdsPort}  debug http://${p.pilotHost}:${p.monitoringPort}/debug/syncz`,
  );
  const gw = o.plan.gateway;
  const gateway = add(
    gatewaySpec(p, gw),
    `${gw.ports.map((port) => `${p.host}:${port}`).join(' ')}  admin 127.0.0.1:${gw.adminPort}`,
  );
  const pods = o.plan.pods.flatMap((pod) => [
    add(appSpec(p, pod), `${pod.ip}:8080`),
    add(
      sidecarSpec(p, pod),
      `${pod.ip}:${p.capture ? '15006' : 'ingress'}${p.capture ? '' : `  egress ${pod.loopback}`}  admin ${p.capture ? 'in netns' : `127.0.0.1:${pod.adminPort}`}`,
    ),
  ]);
  const children = rows.map((r) => r.child);
  status.header = `petrel local: ${children.length} processes (logs in ${p.logDir}); Ctrl-C stops everything`;

  let dashboard: RunningDashboard | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (timer) clearInterval(timer);
      await dashboard?.close();
      // Proxies drain while apps still answer; pilot goes last so proxies keep their config.
      await Promise.all([gateway, ...pods].map((c) => c.stop(p.drainMs + 3000)));
      await pilot.stop(3000);
      status.render(rows);
      status.done();
      await o.teardown?.();
    })());

  try {
    pilot.start(onLine);
    await waitReady([pilot], rows, status, o.startTimeoutMs);
    for (const c of [gateway, ...pods]) c.start(onLine);
    await waitReady([gateway, ...pods], rows, status, o.startTimeoutMs);
    const targets: MetricsTarget[] = [
      {
        name: gw.name,
        urls: [
          `http://${gw.probeIp}:15020/stats/prometheus`,
          `http://127.0.0.1:${gw.adminPort}/stats/prometheus`,
        ],
      },
      ...o.plan.pods.map((pod) => ({
        name: pod.name,
        urls: [
          `http://${pod.ip}:15020/stats/prometheus`,
          ...(p.capture ? [] : [`http://127.0.0.1:${pod.adminPort}/stats/prometheus`]),
        ],
      })),
    ];
    dashboard = await startDashboard({
      host: p.host,
      port: o.dashboardPort,
      pilot: `http://${p.pilotHost}:${p.monitoringPort}`,
      targets: () => targets,
    });
  } catch (err) {
    await stop();
    throw err;
  }
  status.log(
    hints(o.plan, {
      host: p.host,
      dashboardPort: o.dashboardPort,
      monitoringPort: p.monitoringPort,
      pilotHost: p.pilotHost,
      configDir: o.configDir,
      capture: p.capture,
    }),
  );
  timer = setInterval(() => {
    void Promise.all(children.map((c) => c.probe())).then(() => {
      if (!stopping) status.render(rows);
    });
  }, 1000);
  status.render(rows);
  return { children, dashboard, stop };
}

async function waitReady(
  children: Child[],
  rows: StatusRow[],
  status: StatusLine,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await Promise.all(children.map((c) => c.probe()));
    status.render(rows);
    const dead = children.find((c) => c.state === 'exited');
    if (dead)
      throw new LocalError(
        'PETREL_LOCAL_START',
        `${dead.spec.name} exited (${dead.exitCode}) while starting: ${dead.tail().slice(-3).join(' | ') || 'no output'} (log: ${dead.spec.logFile})`,
      );
    if (ok.every(Boolean)) return;
    if (Date.now() > deadline) {
      const slow = children.filter((_, i) => !ok[i]).map((c) => c.spec.name);
      throw new LocalError(
        'PETREL_LOCAL_START',
        `not ready after ${timeoutMs} ms: ${slow.join(', ')} (logs in ${status.header.match(/logs in ([^)]*)/)?.[1] ?? 'the log dir'})`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
