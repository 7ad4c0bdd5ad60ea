// envoy.filters.network.tcp_proxy: joins a downstream connection to an upstream
// host of a cluster (or of one of weighted clusters), with connect attempts,
// circuit breaking and an idle timeout, and records the connection like a request.
// Istio's metadata exchange runs on either end when configured (metadata-exchange.ts).
import type net from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Issues } from '../config/issues.ts';
import {
  asArray,
  asNumber,
  asObj,
  asString,
  durationMs,
  wrappedNumber,
  type Obj,
} from '../config/values.ts';
import type { ConnectionInfo } from '../http/request-context.ts';
import type { ConnectionHandler } from '../listener/types.ts';
import { RequestRecord } from '../record.ts';
import { TCP_PROGRESS_INTERVAL_MS, type ProxyRuntime } from '../runtime.ts';
import type { Cluster } from '../upstream/cluster.ts';
import type { Host } from '../upstream/host.ts';
import { hash32 } from '../upstream/lb/hash.ts';
import { connectUpstream } from '../tls/upstream.ts';
import { startExchange } from './metadata-exchange.ts';

export const TCP_PROXY_TYPE = 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

export interface TcpProxyConfig {
  statPrefix: string;
  cluster: string | undefined;
  weighted: { name: string; weight: number }[];
  totalWeight: number;
  idleTimeoutMs: number;
  maxConnectAttempts: number;
  hashSourceIp: boolean;
  maxDurationMs: number;
}

export function compileTcpProxy(c: Obj, issues: Issues): TcpProxyConfig {
  for (const f of [
    'tunneling_config',
    'on_demand',
    'metadata_match',
    'backoff_options',
    'proxy_protocol_tlvs',
  ]) {
    if (c[f] !== undefined) issues.add(`${f} is not supported`, f);
  }
  const weighted: { name: string; weight: number }[] = [];
  asArray(asObj(c.weighted_clusters)?.clusters).forEach((w, i) => {
    const o = asObj(w);
    const name = asString(o?.name);
    if (!o || !name) return issues.add('name is required', `weighted_clusters.clusters[${i}].name`);
    weighted.push({ name, weight: asNumber(o.weight) ?? 0 });
  });
  const cluster = asString(c.cluster) || undefined;
  if ((cluster === undefined) === (weighted.length === 0))
    issues.add('needs exactly one of cluster, weighted_clusters');
  const totalWeight = weighted.reduce((a, w) => a + w.weight, 0);
  if (weighted.length > 0 && totalWeight <= 0)
    issues.add('the sum of weights must be positive', 'weighted_clusters');
  let hashSourceIp = false;
  asArray(c.hash_policy).forEach((h, i) => {
    if (asObj(h)?.source_ip !== undefined) hashSourceIp = true;
    else issues.add('only source_ip hash policies are supported', `hash_policy[${i}]`);
  });
  return {
    statPrefix: asString(c.stat_prefix) ?? '',
    cluster,
    weighted,
    totalWeight,
    idleTimeoutMs: durationMs(c.idle_timeout, issues, 'idle_timeout') ?? 3_600_000,
    maxConnectAttempts: Math.max(1, wrappedNumber(c.max_connect_attempts) ?? 1),
    hashSourceIp,
    maxDurationMs:
      durationMs(
        c.max_downstream_connection_duration,
        issues,
        'max_downstream_connection_duration',
      ) ?? 0,
  };
}

export class TcpProxyHandler implements ConnectionHandler {
  private readonly cfg: TcpProxyConfig;
  private readonly runtime: ProxyRuntime;
  private readonly open = new Set<net.Socket>();

  constructor(cfg: TcpProxyConfig, runtime: ProxyRuntime) {
    this.cfg = cfg;
    this.runtime = runtime;
  }

  private pickCluster(): string {
    if (this.cfg.cluster !== undefined) return this.cfg.cluster;
    let r = Math.random() * this.cfg.totalWeight;
    for (const w of this.cfg.weighted) {
      if (r < w.weight) return w.name;
      r -= w.weight;
    }
    return this.cfg.weighted[this.cfg.weighted.length - 1]!.name;
  }

  handle(down: net.Socket, conn: ConnectionInfo): void {
    const rec = new RequestRecord(conn.listenerName, 'TCP', performance.now());
    rec.setDownstream(conn);
    const name = this.pickCluster();
    rec.upstreamCluster = name;
    this.open.add(down);
    down.on('error', () => {});
    let finished = false;
    down.once('close', () => {
      this.open.delete(down);
      if (finished) return;
      finished = true;
      rec.bytesReceived = down.bytesRead;
      rec.bytesSent = down.bytesWritten;
      rec.duration = performance.now() - rec.startMono;
      this.runtime.onRequestComplete?.(rec);
    });
    const cluster = this.runtime.clusters.get(name);
    if (!cluster) {
      rec.addFlag('NC');
      down.destroy();
      return;
    }
    const go = (): void => this.connect(down, conn, cluster, rec, 1, []);
    const ready = cluster.whenReady();
    if (ready) ready.then(go, go);
    else go();
  }

  private connect(
    down: net.Socket,
    conn: ConnectionInfo,
    cluster: Cluster,
    rec: RequestRecord,
    attempt: number,
    tried: Host[],
  ): void {
    if (down.destroyed) return;
    let host: Host | undefined;
    if (cluster.spec.type === 'ORIGINAL_DST')
      host = cluster.originalDestinationHost(conn.destination.address, conn.destination.port);
    else {
      const hash = this.cfg.hashSourceIp ? hash32(conn.remoteAddress) : undefined;
      host = cluster.choose({ hash, rejected: 0 });
      if (host && tried.includes(host)) host = cluster.choose({ hash, rejected: 1 }) ?? host;
    }
    if (!host) {
      rec.addFlag('UH');
      down.destroy();
      return;
    }
    const admitted = cluster.breaker.admit(true, () =>
      this.join(down, conn, cluster, rec, host, attempt, tried),
    );
    if (admitted === null) {
      rec.addFlag('UO');
      down.destroy();
    } else if (admitted !== true) {
      down.once('close', () => cluster.breaker.cancel(admitted));
    }
  }

  private join(
    down: net.Socket,
    conn: ConnectionInfo,
    cluster: Cluster,
    rec: RequestRecord,
    host: Host,
    attempt: number,
    tried: Host[],
  ): void {
    if (down.destroyed) {
      cluster.breaker.release(true);
      return;
    }
    rec.upstreamHost = host.key;
    rec.attemptCount = attempt;
    host.activeRequests++;
    host.cxTotal++;
    const o = host.options;
    const { socket: up, readyEvent } = connectUpstream(
      o.transport,
      {
        host: host.address,
        port: host.port,
        localAddress: o.sourceAddress,
        sni: o.sni,
        sanDns: o.sanDns,
        allowHalfOpen: true,
      },
      o.onPeer,
    );
    if (o.transport && rec.direction !== 'inbound') {
      // Client side of mTLS: who we are and whom we reached (telemetry's source/destination principal).
      up.once('secureConnect', () => {
        rec.localPrincipal = o.transport!.localPrincipal;
        rec.peerPrincipal = host.peerPrincipal;
      });
    }
    let connected = false;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      host.activeRequests--;
      cluster.breaker.release(true);
    };
    const timer = setTimeout(
      () => up.destroy(new Error('connect timeout')),
      cluster.spec.connectTimeoutMs,
    );
    up.once(readyEvent, () => {
      connected = true;
      clearTimeout(timer);
      cluster.reportResult(host, 200);
      const idle = this.cfg.idleTimeoutMs;
      if (idle > 0) {
        const onIdle = (): void => {
          down.destroy();
          up.destroy();
        };
        down.setTimeout(idle, onIdle);
        up.setTimeout(idle, onIdle);
      }
      if (this.cfg.maxDurationMs > 0) {
        const t = setTimeout(() => down.destroy(), this.cfg.maxDurationMs);
        down.once('close', () => clearTimeout(t));
      }
      // Istio's metadata exchange: each direction flows once its peer's header is off
      // the front of the stream; the connection counts as opened once both are known.
      const downMx = conn.exchange;
      const mxCfg = this.runtime.clusterExchanges.get(cluster.spec.name);
      const upMx =
        mxCfg && o.transport
          ? startExchange(up, (up as TLSSocket).alpnProtocol || '', mxCfg, this.runtime)
          : undefined;
      const live = (): boolean => !up.destroyed && !down.destroyed;
      if (upMx) void upMx.done.then(() => live() && up.pipe(down));
      else up.pipe(down);
      if (downMx) void downMx.done.then(() => live() && down.pipe(up));
      else down.pipe(up);
      if (!downMx && !upMx) return this.reportConnected(down, rec);
      void Promise.all([downMx?.done, upMx?.done]).then(() => {
        const fromDownstream =
          rec.direction === 'inbound' || rec.upstreamCluster.startsWith('inbound|');
        const peer = fromDownstream ? downMx?.peer : upMx?.peer;
        if (peer !== undefined) rec.peer = peer;
        if (live()) this.reportConnected(down, rec);
      });
    });
    up.on('error', () => {
      clearTimeout(timer);
      if (connected) return;
      release();
      cluster.reportResult(host, 0);
      if (attempt < this.cfg.maxConnectAttempts) {
        this.connect(down, conn, cluster, rec, attempt + 1, [...tried, host]);
      } else {
        rec.addFlag('UF');
        down.destroy();
      }
    });
    up.on('close', () => {
      if (!connected) return;
      release();
      // The upstream closed; let what was piped flush, then close downstream.
      if (!down.destroyed) down.end();
    });
    down.once('close', () => {
      if (!connected) {
        clearTimeout(timer);
        release();
      }
      up.destroy();
    });
  }

  /** Telemetry: opened now, then the running byte counts of long connections. */
  private reportConnected(down: net.Socket, rec: RequestRecord): void {
    const hooks = this.runtime.telemetry;
    if (!hooks) return;
    hooks.onTcpConnected(rec);
    if (!hooks.onTcpProgress) return;
    const timer = setInterval(() => {
      rec.bytesReceived = down.bytesRead;
      rec.bytesSent = down.bytesWritten;
      this.runtime.telemetry?.onTcpProgress?.(rec);
    }, TCP_PROGRESS_INTERVAL_MS);
    timer.unref();
    down.once('close', () => clearInterval(timer));
  }

  drain(): void {}

  close(): void {
    for (const s of this.open) s.destroy();
  }
}
