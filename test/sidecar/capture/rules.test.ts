// Golden rule text: the exact commands `petrel iptables` runs and the exact
// iptables-restore input it feeds them, for the flag sets that matter.
import { describe, expect, it } from 'vitest';
import { runIptables } from '../../../cli/commands/iptables.ts';
import { parseCaptureConfig } from '../../../sidecar/capture/config.ts';
import { buildCaptureRules, captureRestore } from '../../../sidecar/capture/rules.ts';
import { compareGoldenText } from './golden.ts';
import { RecordingDependencies, type Answer } from './recording-deps.ts';

/** What Istio's injector passes to istio-init (and Petrel's injector to petrel iptables). */
const INJECTED = [
  '-p',
  '15001',
  '-z',
  '15006',
  '-u',
  '1337',
  '-m',
  'REDIRECT',
  '-i',
  '*',
  '-x',
  '',
  '-b',
  '*',
  '-d',
  '15090,15021,15020',
];

async function transcript(
  args: string[],
  opts: { answers?: Record<string, Answer>; nameservers?: string[] } = {},
) {
  const deps = new RecordingDependencies(opts.answers);
  const out: string[] = [];
  const errors: string[] = [];
  const code = await runIptables(args, {
    deps,
    print: (t) => out.push(t),
    printError: (t) => errors.push(t),
    nameservers: () => opts.nameservers ?? [],
  });
  return { code, deps, out: out.join('\n'), errors };
}

describe('capture rules (golden)', () => {
  it('injected defaults: everything in and out captured except the proxy ports', async () => {
    const r = await transcript(INJECTED);
    expect(r.code).toBe(0);
    compareGoldenText('injected-defaults', r.deps.transcript());
  });

  it('exclusions: inbound ports, outbound ports (tcp and udp) and outbound CIDRs', async () => {
    const r = await transcript([
      ...INJECTED.slice(0, -2),
      '-d',
      '15090,15021,15020,22',
      '-o',
      '25,3306',
      '-x',
      '10.96.0.0/12,192.168.1.7/32',
    ]);
    expect(r.code).toBe(0);
    compareGoldenText('exclusions', r.deps.transcript());
  });

  it('a single excluded outbound port uses --dport, not multiport', async () => {
    const r = await transcript([...INJECTED, '-o', '22']);
    compareGoldenText('outbound-port-exclude-single', r.deps.transcript());
  });

  it('inclusions: only listed inbound ports, outbound CIDRs and outbound ports', async () => {
    const r = await transcript([
      '-p',
      '15001',
      '-z',
      '15006',
      '-u',
      '1337',
      '-m',
      'REDIRECT',
      '-b',
      '8080,9090',
      '-i',
      '10.0.0.0/8,172.16.0.0/12',
      '-q',
      '3306,5432',
    ]);
    expect(r.code).toBe(0);
    compareGoldenText('inclusions', r.deps.transcript());
  });

  it('an included loopback range drops the app-to-self-over-lo RETURN rules', async () => {
    const r = await transcript(['-u', '1337', '-i', '127.1.2.3/32']);
    compareGoldenText('outbound-include-loopback', r.deps.transcript());
  });

  it('no -b: no inbound capture at all (no PREROUTING jump)', async () => {
    const r = await transcript(['-p', '15001', '-u', '1337', '-i', '*']);
    expect(r.deps.transcript()).not.toContain('PREROUTING');
  });

  it('DNS capture to 15053 for the resolv.conf servers, with conntrack zones in raw', async () => {
    const r = await transcript([...INJECTED, '--redirect-dns'], {
      nameservers: ['10.96.0.10', '169.254.20.10'],
    });
    expect(r.code).toBe(0);
    compareGoldenText('dns', r.deps.transcript());
  });

  it('DNS capture of every server with --capture-all-dns', async () => {
    const r = await transcript([...INJECTED, '--redirect-dns', '--capture-all-dns'], {
      nameservers: ['10.96.0.10'],
    });
    compareGoldenText('dns-capture-all', r.deps.transcript());
  });

  it('--redirect-dns without servers or --capture-all-dns turns DNS capture off, as in Istio', async () => {
    const r = await transcript([...INJECTED, '--redirect-dns'], { nameservers: [] });
    expect(r.deps.transcript()).not.toContain('15053');
  });

  it('IPv6: ip6tables rules with ::6 and ::1, v4/v6 CIDRs and DNS servers split by family', async () => {
    const r = await transcript(
      [
        ...INJECTED.slice(0, -6),
        '-x',
        'fd00:10::/64,10.96.0.0/12',
        '-b',
        '*',
        '-d',
        '15090,15021,15020',
        '--redirect-dns',
        '--ipv6',
      ],
      { nameservers: ['10.96.0.10', 'fd00:10::a'] },
    );
    expect(r.code).toBe(0);
    compareGoldenText('ipv6', r.deps.transcript());
  });

  it('re-apply over existing rules replaces them in one transaction per table', async () => {
    const prior = [
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':ISTIO_INBOUND - [0:0]',
      ':ISTIO_OUTPUT - [0:0]',
      ':ISTIO_OUTPUT_DNS - [0:0]',
      ':KUBE-OTHER - [0:0]',
      '-A PREROUTING -p tcp -j ISTIO_INBOUND',
      '-A PREROUTING -j KUBE-OTHER',
      '-A OUTPUT -j ISTIO_OUTPUT',
      '-A ISTIO_OUTPUT -j ISTIO_OUTPUT_DNS',
      'COMMIT',
      '*raw',
      ':OUTPUT ACCEPT [0:0]',
      ':ISTIO_OUTPUT_DNS - [0:0]',
      '-A OUTPUT -j ISTIO_OUTPUT_DNS',
      'COMMIT',
      '',
    ].join('\n');
    const r = await transcript(INJECTED, {
      answers: {
        'iptables-nft-save': { stdout: prior },
        'iptables-legacy-save': { code: 127 },
        'ip6tables-legacy-save': { code: 127 },
      },
    });
    expect(r.code).toBe(0);
    compareGoldenText('reapply', r.deps.transcript());
  });

  it('--cleanup deletes the jumps, then flushes and deletes every ISTIO_ chain, leaving other chains alone', async () => {
    const prior = [
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':ISTIO_INBOUND - [0:0]',
      ':ISTIO_IN_REDIRECT - [0:0]',
      ':ISTIO_OUTPUT - [0:0]',
      ':ISTIO_REDIRECT - [0:0]',
      '-A PREROUTING -p tcp -j ISTIO_INBOUND',
      '-A OUTPUT -j ISTIO_OUTPUT',
      '-A OUTPUT -p udp -j KUBE-X',
      '-A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT',
      '-A ISTIO_OUTPUT -j ISTIO_REDIRECT',
      'COMMIT',
      '',
    ].join('\n');
    const r = await transcript(['--cleanup'], {
      answers: { 'iptables-nft-save': { stdout: prior } },
    });
    expect(r.code).toBe(0);
    compareGoldenText('cleanup', r.deps.transcript());
  });
});

describe('capture rules', () => {
  it('--dry-run prints the restore input and runs nothing', async () => {
    const r = await transcript([...INJECTED, '--dry-run', '--ipv6']);
    expect(r.code).toBe(0);
    expect(r.deps.calls).toEqual([]);
    const cfg = parseCaptureConfig({
      outboundIncludeCidrs: '*',
      inboundPorts: '*',
      inboundExcludePorts: '15090,15021,15020',
      ipv6: true,
    });
    expect(r.out).toBe(
      `# iptables-restore --noflush\n${captureRestore(cfg, 4).trimEnd()}\n# ip6tables-restore --noflush\n${captureRestore(cfg, 6).trimEnd()}`,
    );
  });

  it('splits more than 15 excluded ports over several multiport rules', () => {
    const ports = Array.from({ length: 17 }, (_, i) => String(1000 + i));
    const rules = buildCaptureRules(
      parseCaptureConfig({ outboundExcludePorts: ports.join(',') }),
    ).rules(4);
    const multiport = rules
      .filter((r) => r.spec.includes('--dports') && r.spec.includes('tcp'))
      .map((r) => r.spec[r.spec.indexOf('--dports') + 1]);
    expect(multiport).toEqual([ports.slice(0, 15).join(','), ports.slice(15).join(',')]);
  });

  it('several proxy uids and gids each get the three owner rules, uids first', () => {
    const rules = buildCaptureRules(
      parseCaptureConfig({ proxyUid: '1337,1338', proxyGid: '2000' }),
    ).rules(4);
    const owners = rules
      .filter((r) => r.spec.includes('owner'))
      .map((r) => r.spec.slice(r.spec.indexOf('owner') + 1).join(' '));
    expect(owners).toEqual([
      '--uid-owner 1337 -j ISTIO_IN_REDIRECT',
      '! --uid-owner 1337 -j RETURN',
      '--uid-owner 1337 -j RETURN',
      '--uid-owner 1338 -j ISTIO_IN_REDIRECT',
      '! --uid-owner 1338 -j RETURN',
      '--uid-owner 1338 -j RETURN',
      '--gid-owner 2000 -j ISTIO_IN_REDIRECT',
      '! --gid-owner 2000 -j RETURN',
      '--gid-owner 2000 -j RETURN',
    ]);
  });

  it('without --ipv6 no ip6tables rules are built', () => {
    expect(buildCaptureRules(parseCaptureConfig({ outboundIncludeCidrs: '*' })).rules(6)).toEqual(
      [],
    );
  });
});
