// Failure paths of apply and the command: one line naming what failed and where.
import { describe, expect, it } from 'vitest';
import { runIptables } from '../../../cli/commands/iptables.ts';
import { CliError } from '../../../cli/errors.ts';
import { applyCapture } from '../../../sidecar/capture/apply.ts';
import { parseCaptureConfig } from '../../../sidecar/capture/config.ts';
import { CaptureError } from '../../../sidecar/capture/errors.ts';
import { RecordingDependencies, type Answer } from './recording-deps.ts';

function io(answers: Record<string, Answer> = {}) {
  const errors: string[] = [];
  const out: string[] = [];
  const deps = new RecordingDependencies(answers);
  return {
    deps,
    errors,
    out,
    print: (t: string) => out.push(t),
    printError: (t: string) => errors.push(t),
    nameservers: () => [],
  };
}

describe('applying capture rules', () => {
  it('a rejected iptables-restore gives one line with the command, its message and our input line', async () => {
    const x = io({
      'iptables-restore': {
        code: 2,
        stderr:
          'iptables-restore v1.8.9 (nf_tables): unknown option "--uid-owner"\nError occurred at line: 13\nTry `iptables-restore -h\' for more information.\n',
      },
    });
    const code = await runIptables(['-b', '*', '-i', '*'], x);
    expect(code).toBe(1);
    expect(x.errors).toEqual([
      'petrel iptables: PETREL_CAPTURE_COMMAND: iptables-restore --noflush failed (exit 2): iptables-restore v1.8.9 (nf_tables): unknown option "--uid-owner" (input line 13: -A ISTIO_OUTPUT -o lo ! -d 127.0.0.1/32 -p tcp ! --dport 15008 -m owner --uid-owner 1337 -j ISTIO_IN_REDIRECT)',
    ]);
  });

  it('a failing iptables-save stops before anything is written', async () => {
    const deps = new RecordingDependencies({
      'iptables-save': { code: 4, stderr: 'iptables-save: Permission denied (you must be root)\n' },
    });
    await expect(applyCapture(parseCaptureConfig({}), deps)).rejects.toThrow(CaptureError);
    expect(deps.calls.some((c) => c.cmd.endsWith('-restore'))).toBe(false);
  });

  it('--ipv6 adds ::6 to lo (the inbound passthrough source) before writing rules', async () => {
    const deps = new RecordingDependencies();
    await applyCapture(parseCaptureConfig({ ipv6: true }), deps);
    const lines = deps.calls.map((c) => [c.cmd, ...c.args].join(' '));
    expect(lines.indexOf('ip -6 addr replace ::6/128 dev lo')).toBeGreaterThanOrEqual(0);
    expect(lines.indexOf('ip -6 addr replace ::6/128 dev lo')).toBeLessThan(
      lines.indexOf('ip6tables-restore --noflush'),
    );
  });

  it('without --ipv6, IPv6 capture left by an earlier run is removed', async () => {
    const prior =
      '*nat\n:OUTPUT ACCEPT [0:0]\n:ISTIO_OUTPUT - [0:0]\n-A OUTPUT -j ISTIO_OUTPUT\nCOMMIT\n';
    const deps = new RecordingDependencies({ 'ip6tables-save': { stdout: prior } });
    await applyCapture(parseCaptureConfig({}), deps);
    const v6 = deps.calls.find((c) => c.cmd === 'ip6tables-restore');
    expect(v6?.stdin).toBe(
      '* nat\n-D OUTPUT -j ISTIO_OUTPUT\n-F ISTIO_OUTPUT\n-X ISTIO_OUTPUT\nCOMMIT\n',
    );
  });

  it('bad flags are usage errors (exit 2 through the CLI), naming the flag', async () => {
    await expect(runIptables(['--bogus'], io())).rejects.toThrow(CliError);
    await expect(runIptables(['-b', 'http'], io())).rejects.toThrow(
      'PETREL_CAPTURE_OPTION: -b/--istio-inbound-ports "http": "http" is not a port (1..65535) or a range lo:hi',
    );
    await expect(runIptables(['--iptables-backend', 'ebpf'], io())).rejects.toThrow(
      '--iptables-backend "ebpf": must be nft or legacy',
    );
  });
});
