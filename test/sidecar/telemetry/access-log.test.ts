// Access log lines in Istio's default text format and its JSON format, user formats,
// the file sink, and config errors naming the operator.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AccessLog, compileAccessLogFormat } from '../../../sidecar/telemetry/access-log.ts';
import { Telemetry } from '../../../sidecar/telemetry/telemetry.ts';
import { nodeId, nodeMetadata, record } from './support/records.ts';

const START = Date.parse('2020-11-25T21:26:18.409Z');

function outbound() {
  return record({
    direction: 'outbound',
    startTime: START,
    method: 'GET',
    path: '/status/418',
    authority: 'httpbin:8000',
    requestId: '3e9ba5d5-9d1f-9a3b-b3ac-83f1d8c0c1aa',
    userAgent: 'curl/7.73.0-DEV',
    routeName: 'default',
    cluster: 'outbound|8000||httpbin.foo.svc.cluster.local',
    upstreamHost: '10.44.1.27:80',
    upstreamLocalAddress: '10.44.1.23:37652',
    code: 418,
    details: 'via_upstream',
    bytesSent: 135,
    duration: 4.6,
    upstreamServiceTime: 4,
    local: ['10.0.45.184', 8000],
    remote: ['10.44.1.23', 46520],
  });
}

describe('access log', () => {
  it("writes Istio's default text line", () => {
    const line = compileAccessLogFormat('TEXT', undefined)(outbound());
    expect(line).toBe(
      '[2020-11-25T21:26:18.409Z] "GET /status/418 HTTP/1.1" 418 - via_upstream - "-" 0 135 4 4 "-" "curl/7.73.0-DEV" ' +
        '"3e9ba5d5-9d1f-9a3b-b3ac-83f1d8c0c1aa" "httpbin:8000" "10.44.1.27:80" outbound|8000||httpbin.foo.svc.cluster.local ' +
        '10.44.1.23:37652 10.0.45.184:8000 10.44.1.23:46520 - default\n',
    );
  });

  it("writes Istio's JSON keys with Envoy's typing: numbers stay numbers, missing values are null", () => {
    const rec = outbound();
    rec.forwardedFor = '203.0.113.7';
    rec.originalPath = '/orig';
    const o = JSON.parse(compileAccessLogFormat('JSON', undefined)(rec));
    expect(o).toEqual({
      authority: 'httpbin:8000',
      bytes_received: 0,
      bytes_sent: 135,
      connection_termination_details: null,
      downstream_local_address: '10.0.45.184:8000',
      downstream_remote_address: '10.44.1.23:46520',
      duration: 4,
      method: 'GET',
      path: '/orig',
      protocol: 'HTTP/1.1',
      request_id: '3e9ba5d5-9d1f-9a3b-b3ac-83f1d8c0c1aa',
      requested_server_name: null,
      response_code: 418,
      response_code_details: 'via_upstream',
      response_flags: null,
      route_name: 'default',
      start_time: '2020-11-25T21:26:18.409Z',
      upstream_cluster: 'outbound|8000||httpbin.foo.svc.cluster.local',
      upstream_host: '10.44.1.27:80',
      upstream_local_address: '10.44.1.23:37652',
      upstream_service_time: '4',
      upstream_transport_failure_reason: null,
      user_agent: 'curl/7.73.0-DEV',
      x_forwarded_for: '203.0.113.7',
    });
  });

  it('logs TCP connections with the request fields empty', () => {
    const tcp = record({
      protocol: 'TCP',
      startTime: START,
      cluster: 'outbound|3306||mysql.default.svc.cluster.local',
      upstreamHost: '10.0.0.30:3306',
      bytesReceived: 300,
      bytesSent: 1200,
      duration: 40,
      flags: 'UF',
    });
    expect(compileAccessLogFormat('TEXT', undefined)(tcp)).toBe(
      '[2020-11-25T21:26:18.409Z] "- - -" 0 UF - - "-" 300 1200 40 - "-" "-" "-" "-" "10.0.0.30:3306" ' +
        'outbound|3306||mysql.default.svc.cluster.local - 10.0.0.5:9080 10.0.0.9:40000 - -\n',
    );
  });

  it('takes user formats, text and JSON, and refuses operators it cannot fill', () => {
    const text = compileAccessLogFormat(
      'TEXT',
      '%REQ(:METHOD)% %RESPONSE_CODE% %UPSTREAM_REQUEST_ATTEMPT_COUNT% %REQ(USER-AGENT):4% 100%%',
    );
    expect(text(outbound())).toBe('GET 418 0 curl 100%\n');
    const json = compileAccessLogFormat(
      'JSON',
      '{"m":"%REQ(:METHOD)%","line":"%RESPONSE_CODE% via %UPSTREAM_HOST%"}',
    );
    expect(JSON.parse(json(outbound()))).toEqual({ line: '418 via 10.44.1.27:80', m: 'GET' });
    expect(() => compileAccessLogFormat('TEXT', '%REQ(X-B3-TRACEID)%')).toThrow(
      /^access log format: %REQ\(X-B3-TRACEID\)% is not available in this proxy$/,
    );
    expect(() => compileAccessLogFormat('TEXT', '%NOPE%')).toThrow(
      /^access log format: %NOPE% is not supported by this proxy$/,
    );
    expect(() => compileAccessLogFormat('JSON', '[1]')).toThrow(
      /^accessLogFormat: JSON encoding wants a JSON object$/,
    );
  });

  it('appends batched lines to the access log file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'petrel-al-'));
    try {
      const path = join(dir, 'access.log');
      const t = new Telemetry({
        node: { id: nodeId('reviews', '10.0.0.5'), metadata: nodeMetadata('reviews', 'v1') },
        accessLog: { path, encoding: 'JSON' },
      });
      for (let i = 0; i < 3; i++)
        t.onRequestComplete(Object.assign(outbound(), { path: `/p/${i}` }));
      await t.close();
      const lines = readFileSync(path, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => l.path)).toEqual(['/p/0', '/p/1', '/p/2']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports an unwritable file once and keeps the proxy going', async () => {
    const errors: string[] = [];
    const log = new AccessLog({
      path: '/nonexistent-dir/access.log',
      onError: (l) => errors.push(l),
    });
    log.log(outbound());
    log.flush();
    log.log(outbound());
    log.flush();
    await new Promise((r) => setTimeout(r, 50));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^access log \/nonexistent-dir\/access\.log: .*ENOENT/);
  });

  it('is off unless a path is configured', () => {
    const t = new Telemetry({
      node: { id: nodeId('reviews', '10.0.0.5'), metadata: nodeMetadata('reviews', 'v1') },
    });
    expect(t.accessLog).toBeUndefined();
  });
});
