// What `petrel local` runs, read from the config dir as a kubelet would read its pods:
// every Pod whose image is `petrel/sample-<app>` becomes the app samples/apps/<app>.ts
// plus its sidecar, with the Pod's IP, labels and service account; the Gateways'
// selector names the gateway proxy. Without capture each pod also gets a second
// loopback address standing in for its own 127.0.0.1 (the sidecar's outbound
// listeners bind there), taken from --loopback-net by the pod IP's last octet.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { LocalError } from './errors.ts';

export interface PodPlan {
  name: string;
  namespace: string;
  app: string;
  labels: Record<string, string>;
  serviceAccount: string;
  /** The pod IP from the Pod's status (EndpointSlices point here). */
  ip: string;
  /** The pod's own "localhost" without capture (the sidecar's --bind-ip). */
  loopback: string;
  /** samples/apps/<app>.ts */
  appFile: string;
  adminPort: number;
}

export interface GatewayPlan {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  /** Gateway server ports the gateway will listen on (for the hints). */
  ports: number[];
  adminPort: number;
  /** Its status, health and stats ports (15020, 15021, 15090): host .254 of --loopback-net. */
  probeIp: string;
}

export interface LocalPlan {
  pods: PodPlan[];
  gateway: GatewayPlan;
}

export interface PlanOptions {
  configDir: string;
  appsDir: string;
  /** `127.0.2.0/24`: pod loopbacks are this network's host part = the pod IP's last octet. */
  loopbackNet: string;
  adminPortBase: number;
}

const IMAGE = /^petrel\/sample-([a-z0-9-]+)(?::.*)?$/;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

type Obj = Record<string, any>;

function objects(dir: string): { obj: Obj; where: string }[] {
  const out: { obj: Obj; where: string }[] = [];
  for (const file of yamlFiles(dir)) {
    const docs = parseAllDocuments(readFileSync(file, 'utf8'));
    for (const doc of docs) {
      // A broken file is pilot's to report (file:line); the plan only needs the good ones.
      if (doc.errors.length > 0) continue;
      const obj = doc.toJS() as Obj | null;
      if (obj && typeof obj === 'object') out.push({ obj, where: relative(process.cwd(), file) });
    }
  }
  return out;
}

function loopbackFor(ip: string, net: string, where: string): string {
  const m = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(net);
  if (!m) throw new LocalError('PETREL_LOCAL_PLAN', `--loopback-net ${net}: want A.B.C.0/24`);
  const last = ip.split('.')[3];
  if (!/^\d+$/.test(last ?? '') || ip.includes(':'))
    throw new LocalError('PETREL_LOCAL_PLAN', `${where}: pod IP ${ip} is not IPv4`);
  return `${m[1]}.${last}`;
}

export function readPlan(options: PlanOptions): LocalPlan {
  const pods: PodPlan[] = [];
  const gatewaySelectors: Record<string, string>[] = [];
  const gatewayPorts = new Set<number>();
  for (const { obj, where } of objects(options.configDir)) {
    if (obj.kind === 'Gateway' && obj.spec) {
      if (obj.spec.selector) gatewaySelectors.push(obj.spec.selector);
      for (const s of obj.spec.servers ?? [])
        if (s?.port?.number) gatewayPorts.add(Number(s.port.number));
    }
    if (obj.kind !== 'Pod') continue;
    const image = String(obj.spec?.containers?.[0]?.image ?? '');
    const app = IMAGE.exec(image)?.[1];
    if (!app) continue;
    const name = String(obj.metadata?.name ?? '');
    const ip = String(obj.status?.podIP ?? '');
    if (!name || !ip)
      throw new LocalError(
        'PETREL_LOCAL_PLAN',
        `${where}: Pod ${name || '(unnamed)'} needs metadata.name and status.podIP`,
      );
    pods.push({
      name,
      namespace: String(obj.metadata?.namespace ?? 'default'),
      app,
      labels: Object.fromEntries(
        Object.entries(obj.metadata?.labels ?? {}).map(([k, v]) => [k, String(v)]),
      ),
      serviceAccount: String(obj.spec?.serviceAccountName ?? 'default'),
      ip,
      loopback: loopbackFor(ip, options.loopbackNet, where),
      appFile: join(options.appsDir, `${app}.ts`),
      adminPort: 0,
    });
  }
  if (pods.length === 0)
    throw new LocalError(
      'PETREL_LOCAL_PLAN',
      `${options.configDir}: no Pod with an image petrel/sample-<app>; nothing to run`,
    );
  pods.sort((a, b) => ipNumber(a.ip) - ipNumber(b.ip));
  const gatewayProbe = loopbackFor('0.0.0.254', options.loopbackNet, '--loopback-net');
  const seen = new Map<string, string>([[gatewayProbe, 'the gateway']]);
  for (const p of pods) {
    const other = seen.get(p.loopback);
    if (other)
      throw new LocalError(
        'PETREL_LOCAL_PLAN',
        `pods ${other} and ${p.name} would share the loopback address ${p.loopback} (same last octet)`,
      );
    seen.set(p.loopback, p.name);
  }
  pods.forEach((p, i) => (p.adminPort = options.adminPortBase + 1 + i));
  const labels = gatewaySelectors[0] ?? { istio: 'ingressgateway' };
  return {
    pods,
    gateway: {
      name: 'istio-ingressgateway-local',
      namespace: 'istio-system',
      labels: { ...labels, app: labels.app ?? 'istio-ingressgateway' },
      ports: [...gatewayPorts].sort((a, b) => a - b),
      adminPort: options.adminPortBase,
      probeIp: gatewayProbe,
    },
  };
}

function ipNumber(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}
