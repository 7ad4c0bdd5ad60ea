// The proxy's ADS client. It subscribes the way Envoy does — CDS wildcard first;
// EDS for the EDS clusters CDS names; LDS wildcard once the clusters are warm; RDS
// for the route configs the listeners name; SDS for the secrets TLS contexts name —
// and applies in Envoy's warming order (see xds-config.ts). This file owns the
// connection: one gRPC channel, one stream at a time (SotW or delta), and
// redialling with jittered exponential backoff, resubscribing with what it holds.
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { loadAdsPackage } from '../../api/envoy/registry.ts';
import type { DataPlane } from '../types.ts';
import type { AdsStream } from './ads-stream.ts';
import { wireNode } from './ads-stream.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import { openDeltaStream } from './delta-stream.ts';
import { AgentError } from './errors.ts';
import type { ReadinessSource } from './health.ts';
import type { Logger } from './log.ts';
import type { NodeIdentity } from './node-identity.ts';
import { openSotwStream } from './sotw-stream.ts';
import { XdsConfig } from './xds-config.ts';
import type { InitPhase, XdsClientStatus, XdsShortName } from './xds-status.ts';

export interface XdsClientOptions {
  /** The control plane, `host:port`. */
  address: string;
  node: NodeIdentity;
  dataPlane: DataPlane;
  /** Incremental (delta) ADS instead of state-of-the-world. */
  delta?: boolean;
  credentials?: grpc.ChannelCredentials;
  channelOptions?: grpc.ChannelOptions;
  backoff?: BackoffOptions;
  /**
   * How long a new cluster/listener waits for its EDS/RDS when its config source
   * has no initial_fetch_timeout; Envoy's default is 15 s.
   */
  initialFetchTimeoutMs?: number;
  log?: Logger;
}

export interface XdsClientEvents {
  connected: [];
  disconnected: [reason: string];
  ack: [typeUrl: string, version: string, nonce: string];
  nack: [typeUrl: string, message: string, nonce: string];
  initialized: [];
}

export class XdsClient extends EventEmitter<XdsClientEvents> implements ReadinessSource {
  readonly #options: XdsClientOptions;
  readonly #backoff: Backoff;
  readonly #config: XdsConfig;
  #grpcClient: grpc.Client | undefined;
  #stream: AdsStream | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #connected = false;
  #closed = false;

  constructor(options: XdsClientOptions) {
    super();
    if (!/^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):\d{1,5}$/.test(options.address)) {
      throw new AgentError(
        'PETREL_AGENT_OPTION',
        `xDS address "${options.address}": want host:port`,
      );
    }
    this.#options = options;
    this.#backoff = new Backoff(options.backoff);
    this.#config = new XdsConfig({
      dataPlane: options.dataPlane,
      stream: () => this.#stream,
      events: {
        ack: (...args) => this.emit('ack', ...args),
        nack: (...args) => this.emit('nack', ...args),
        initialized: () => this.emit('initialized'),
      },
      fetchTimeoutMs: options.initialFetchTimeoutMs ?? 15_000,
      log: options.log,
    });
  }

  start(): void {
    if (this.#grpcClient || this.#closed) return;
    const { AggregatedDiscoveryService } = loadAdsPackage();
    this.#grpcClient = new AggregatedDiscoveryService(
      this.#options.address,
      this.#options.credentials ?? grpc.credentials.createInsecure(),
      this.#options.channelOptions ?? {},
    );
    this.#connect();
  }

  /** Closes the stream and the channel; no reconnect after this. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    this.#stream?.close();
    this.#stream = undefined;
    this.#config.clear();
    this.#connected = false;
    this.#grpcClient?.close();
  }

  initialized(): boolean {
    return this.#config.initialized;
  }

  /** Resolves once the first full config is applied. */
  whenInitialized(): Promise<void> {
    return this.#config.initialized
      ? Promise.resolve()
      : new Promise((resolve) => this.once('initialized', resolve));
  }

  phase(): InitPhase {
    return this.#config.phase();
  }

  notReadyReason(): string {
    const counts = (short: XdsShortName) => {
      const u = this.#config.updates(short);
      return `${short} updates: ${u.success} successful, ${u.rejected} rejected`;
    };
    const parts = [counts('cds'), counts('lds')];
    const eds = this.#config.warmingClusters();
    const rds = this.#config.warmingRoutes();
    if (eds.length) parts.push(`waiting for EDS ${eds.join(', ')}`);
    if (rds.length) parts.push(`waiting for RDS ${rds.join(', ')}`);
    if (!this.#connected) parts.push(`not connected to ${this.#options.address}`);
    return parts.join('; ');
  }

  status(): XdsClientStatus {
    return {
      node: this.#options.node,
      address: this.#options.address,
      mode: this.#options.delta ? 'delta' : 'sotw',
      connected: this.#connected,
      phase: this.#config.phase(),
      warmingClusters: this.#config.warmingClusters(),
      warmingRoutes: this.#config.warmingRoutes(),
      types: this.#config.types(),
    };
  }

  #connect(): void {
    if (this.#closed || !this.#grpcClient) return;
    const open = this.#options.delta ? openDeltaStream : openSotwStream;
    const stream: AdsStream = open(this.#grpcClient, wireNode(this.#options.node), {
      onUpdate: (update) => {
        if (this.#stream !== stream) return;
        this.#markConnected();
        this.#config.onUpdate(update);
      },
      onClose: (reason) => {
        if (this.#stream === stream) this.#onStreamClosed(reason);
      },
    });
    this.#stream = stream;
    this.#config.resubscribe(stream);
  }

  #markConnected(): void {
    // A stream that delivered a response worked: the next failure starts the backoff over.
    this.#backoff.reset();
    if (this.#connected) return;
    this.#connected = true;
    const mode = this.#options.delta ? 'delta' : 'sotw';
    this.#options.log?.info(`connected to ${this.#options.address} (${mode} ADS)`);
    this.emit('connected');
  }

  #onStreamClosed(reason: string): void {
    this.#stream = undefined;
    const wasConnected = this.#connected;
    this.#connected = false;
    if (this.#closed) return;
    const delay = this.#backoff.nextDelayMs();
    this.#options.log?.warn(
      `xDS stream to ${this.#options.address} closed (${reason}); reconnecting in ${delay} ms`,
    );
    if (wasConnected) this.emit('disconnected', reason);
    this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
  }
}
