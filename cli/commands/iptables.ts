// `petrel iptables`: the init container. Installs Istio's traffic-capture rules
// in the pod's network namespace (or prints them with --dry-run, or removes
// them with --cleanup), taking istio-iptables' own flags so injected pod specs
// read the same as Istio's.
import type { Command } from '../main.ts';
import { CliError } from '../errors.ts';
import { parseFlags, type FlagSpec } from '../flags.ts';
import {
  applyCapture,
  cleanupCapture,
  planCleanup,
  type CaptureResult,
} from '../../sidecar/capture/apply.ts';
import type { Variant } from '../../sidecar/capture/backend.ts';
import {
  parseCaptureConfig,
  type CaptureConfig,
  type CaptureInput,
} from '../../sidecar/capture/config.ts';
import { RealDependencies, type Dependencies } from '../../sidecar/capture/dependencies.ts';
import { CaptureError } from '../../sidecar/capture/errors.ts';
import { readNameservers } from '../../sidecar/capture/resolv-conf.ts';
import { captureRestore } from '../../sidecar/capture/rules.ts';

const spec: FlagSpec = {
  options: {
    'envoy-port': { type: 'string', short: 'p' },
    'inbound-capture-port': { type: 'string', short: 'z' },
    'inbound-tunnel-port': { type: 'string', short: 'e' },
    'proxy-uid': { type: 'string', short: 'u' },
    'proxy-gid': { type: 'string', short: 'g' },
    'istio-inbound-interception-mode': { type: 'string', short: 'm' },
    'istio-inbound-ports': { type: 'string', short: 'b' },
    'istio-local-exclude-ports': { type: 'string', short: 'd' },
    'istio-local-outbound-ports-exclude': { type: 'string', short: 'o' },
    'istio-outbound-ports': { type: 'string', short: 'q' },
    'istio-service-cidr': { type: 'string', short: 'i' },
    'istio-service-exclude-cidr': { type: 'string', short: 'x' },
    'redirect-dns': { type: 'boolean' },
    'capture-all-dns': { type: 'boolean' },
    ipv6: { type: 'boolean' },
    'dry-run': { type: 'boolean', short: 'n' },
    cleanup: { type: 'boolean' },
    'cleanup-only': { type: 'boolean' },
    'iptables-backend': { type: 'string' },
  },
  help: [
    '  -p, --envoy-port PORT                        outbound capture port (15001)',
    '  -z, --inbound-capture-port PORT              inbound capture port (15006)',
    '  -e, --inbound-tunnel-port PORT               HBONE tunnel port, never captured (15008)',
    '  -u, --proxy-uid UIDS                         proxy user ids whose traffic is not captured (1337)',
    '  -g, --proxy-gid GIDS                         proxy group ids whose traffic is not captured (the uids)',
    '  -m, --istio-inbound-interception-mode MODE   REDIRECT (TPROXY is not implemented)',
    "  -b, --istio-inbound-ports PORTS              inbound ports to capture, '*' for all ('' = none)",
    "  -d, --istio-local-exclude-ports PORTS        inbound ports left alone when -b is '*'",
    '  -o, --istio-local-outbound-ports-exclude PORTS  outbound ports left alone',
    '  -q, --istio-outbound-ports PORTS             outbound ports always captured',
    "  -i, --istio-service-cidr CIDRS               outbound ranges to capture, '*' for all",
    '  -x, --istio-service-exclude-cidr CIDRS       outbound ranges left alone',
    '      --redirect-dns                           send DNS to the agent on 15053 (resolv.conf servers)',
    "      --capture-all-dns                        with --redirect-dns: every DNS server, not only resolv.conf's",
    '      --ipv6                                   also install ip6tables rules (and ::6 on lo)',
    '  -n, --dry-run                                print the iptables-restore input, change nothing',
    '      --cleanup                                remove the capture chains and jumps (alias --cleanup-only)',
    '      --iptables-backend nft|legacy            skip detection of the iptables variant',
  ].join('\n'),
};

export interface IptablesIo {
  deps: Dependencies;
  print(text: string): void;
  printError(text: string): void;
  nameservers(): string[];
}

function str(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

function toConfig(values: Record<string, unknown>, io: IptablesIo): CaptureConfig {
  const redirectDns = values['redirect-dns'] === true;
  const captureAllDns = values['capture-all-dns'] === true;
  const input: CaptureInput = {
    proxyPort: str(values, 'envoy-port'),
    inboundCapturePort: str(values, 'inbound-capture-port'),
    inboundTunnelPort: str(values, 'inbound-tunnel-port'),
    proxyUid: str(values, 'proxy-uid'),
    proxyGid: str(values, 'proxy-gid'),
    interceptionMode: str(values, 'istio-inbound-interception-mode'),
    inboundPorts: str(values, 'istio-inbound-ports'),
    inboundExcludePorts: str(values, 'istio-local-exclude-ports'),
    outboundExcludePorts: str(values, 'istio-local-outbound-ports-exclude'),
    outboundIncludePorts: str(values, 'istio-outbound-ports'),
    outboundIncludeCidrs: str(values, 'istio-service-cidr'),
    outboundExcludeCidrs: str(values, 'istio-service-exclude-cidr'),
    redirectDns,
    captureAllDns,
    dnsServers: redirectDns && !captureAllDns ? io.nameservers() : [],
    ipv6: values.ipv6 === true,
  };
  try {
    return parseCaptureConfig(input);
  } catch (err) {
    if (err instanceof CaptureError) throw new CliError(`${err.code}: ${err.message}`);
    throw err;
  }
}

function backendFlag(values: Record<string, unknown>): Variant | undefined {
  const v = str(values, 'iptables-backend');
  if (v === undefined) return undefined;
  if (v !== 'nft' && v !== 'legacy')
    throw new CliError(`--iptables-backend ${JSON.stringify(v)}: must be nft or legacy`);
  return v;
}

function report(result: CaptureResult, verb: string, io: IptablesIo): void {
  io.print(`# ${result.backend.bin(4)} (${result.backend.reason})`);
  for (const step of result.steps) {
    if (step.input === '') continue;
    io.print(`# ${verb}: ${step.command}\n${step.input.trimEnd()}`);
  }
}

/** The command with its OS access injected (tests pass recording dependencies). */
export async function runIptables(args: string[], io: IptablesIo): Promise<number> {
  const values = parseFlags(args, spec, 'iptables');
  const forced = backendFlag(values);
  const cleanup = values.cleanup === true || values['cleanup-only'] === true;
  const dryRun = values['dry-run'] === true;
  try {
    if (cleanup) {
      if (dryRun) report(await planCleanup(io.deps, forced), 'would run', io);
      else report(await cleanupCapture(io.deps, forced), 'ran', io);
      return 0;
    }
    const cfg = toConfig(values, io);
    if (dryRun) {
      // A dry run touches nothing and needs no iptables: the input for a namespace without capture rules.
      io.print(`# iptables-restore --noflush\n${captureRestore(cfg, 4).trimEnd()}`);
      if (cfg.ipv6) io.print(`# ip6tables-restore --noflush\n${captureRestore(cfg, 6).trimEnd()}`);
      return 0;
    }
    report(await applyCapture(cfg, io.deps, forced), 'ran', io);
    return 0;
  } catch (err) {
    if (err instanceof CaptureError) {
      io.printError(`petrel iptables: ${err.code}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

export const iptablesCommand: Command = {
  summary:
    'init container: install (or --dry-run print, or --cleanup remove) the traffic-capture iptables rules',
  run: (args) =>
    runIptables(args, {
      deps: new RealDependencies(),
      print: (text) => console.log(text),
      printError: (text) => console.error(text),
      nameservers: () => readNameservers(),
    }),
};
