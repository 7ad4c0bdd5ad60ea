// ISTIO_KUBE_APP_PROBERS as the agent reads it: every problem named by path and
// field on one line, and nothing accepted when anything is wrong (as pilot-agent).
import { describe, expect, it } from 'vitest';
import { parseAppProbers, probeTimeoutMs } from '../../../sidecar/agent/app-probers.ts';
import { AgentError } from '../../../sidecar/agent/errors.ts';

function failure(text: string): AgentError {
  try {
    parseAppProbers(text);
  } catch (err) {
    expect(err).toBeInstanceOf(AgentError);
    return err as AgentError;
  }
  throw new Error('parseAppProbers accepted bad input');
}

describe('parseAppProbers', () => {
  it('reads the three kinds of prober and ignores fields Istio does not know', () => {
    const probers = parseAppProbers(
      JSON.stringify({
        '/app-health/reviews/readyz': {
          httpGet: {
            path: '/ready',
            port: 9080,
            scheme: 'HTTPS',
            httpHeaders: [{ name: 'X', value: '1' }],
          },
          timeoutSeconds: 3,
        },
        '/app-health/reviews/livez': { tcpSocket: { port: 9080 }, extra: true },
        '/app-health/reviews/startupz': { grpc: { port: 9090, service: 'reviews' } },
      }),
    );
    expect([...probers.keys()].sort()).toEqual([
      '/app-health/reviews/livez',
      '/app-health/reviews/readyz',
      '/app-health/reviews/startupz',
    ]);
    expect(probers.get('/app-health/reviews/livez')).toEqual({ tcpSocket: { port: 9080 } });
    expect(probeTimeoutMs(probers.get('/app-health/reviews/readyz')!)).toBe(3000);
    // The kubelet's default when timeoutSeconds is unset.
    expect(probeTimeoutMs(probers.get('/app-health/reviews/livez')!)).toBe(1000);
  });

  it('treats an unset or empty variable as no probers', () => {
    expect(parseAppProbers(undefined).size).toBe(0);
    expect(parseAppProbers('').size).toBe(0);
  });

  it('names every bad entry by path and field, on one line, with the stable code', () => {
    const err = failure(
      JSON.stringify({
        '/app-health/a/readyz': { httpGet: { port: 'http' } },
        '/healthz/ready': { tcpSocket: { port: 1 } },
        '/app-health/b/livez': { tcpSocket: { port: 1 }, grpc: { port: 2 } },
        '/app-health/c/livez': {
          httpGet: { port: 80, scheme: 'FTP', httpHeaders: [{ value: 'v' }] },
        },
        '/app-health/d/readyz': { tcpSocket: { port: 70000 } },
      }),
    );
    expect(err.code).toBe('PETREL_AGENT_OPTION');
    expect(err.message).not.toContain('\n');
    expect(err.message).toMatch(/^ISTIO_KUBE_APP_PROBERS: /);
    expect(err.message).toContain('"/app-health/a/readyz".httpGet.port: ');
    expect(err.message).toContain('"/healthz/ready": path must be /app-health/<container>/');
    expect(err.message).toContain(
      '"/app-health/b/livez": want exactly one of httpGet, tcpSocket or grpc',
    );
    expect(err.message).toContain('"/app-health/c/livez".httpGet.scheme: ');
    expect(err.message).toContain('"/app-health/c/livez".httpGet.httpHeaders[0].name: ');
    expect(err.message).toContain('"/app-health/d/readyz".tcpSocket.port: ');
  });

  it('rejects text that is not a JSON object', () => {
    expect(failure('{"/app-health/a/readyz":').message).toMatch(
      /^ISTIO_KUBE_APP_PROBERS: not JSON \(/,
    );
    expect(failure('[1]').message).toBe(
      'ISTIO_KUBE_APP_PROBERS: want a JSON object of path → prober',
    );
  });
});
