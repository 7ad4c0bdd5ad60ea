// pilot's xDS metrics under Istio's names (istio pilot/pkg/xds/monitoring.go and
// pkg/xds/monitoring.go), so dashboards and alerts written for istiod work.
// One prom-client Registry per server, so several servers can share a process.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { metricType } from './type-urls.ts';

const PUSH_BUCKETS = [0.01, 0.1, 1, 3, 5, 10, 20, 30];
const CONVERGENCE_BUCKETS = [0.1, 0.5, 1, 3, 5, 10, 20, 30];
const SIZE_BUCKETS = [1, 10000, 1000000, 4000000, 10000000, 40000000];

export class XdsMetrics {
  readonly registry = new Registry();

  readonly pushes = new Counter({
    name: 'pilot_xds_pushes',
    help: 'Pilot build and send errors for lds, rds, cds and eds.',
    labelNames: ['type'],
    registers: [this.registry],
  });
  readonly pushTime = new Histogram({
    name: 'pilot_xds_push_time',
    help: 'Total time in seconds Pilot takes to push lds, rds, cds and eds.',
    labelNames: ['type'],
    buckets: PUSH_BUCKETS,
    registers: [this.registry],
  });
  readonly convergence = new Histogram({
    name: 'pilot_proxy_convergence_time',
    help: 'Delay in seconds between config change and a proxy receiving all required configuration.',
    buckets: CONVERGENCE_BUCKETS,
    registers: [this.registry],
  });
  readonly debounceTime = new Histogram({
    name: 'pilot_debounce_time',
    help: 'Delay in seconds between the first config enters debouncing and the merged push request is pushed into the push queue.',
    buckets: PUSH_BUCKETS,
    registers: [this.registry],
  });
  readonly pushTriggers = new Counter({
    name: 'pilot_push_triggers',
    help: 'Total number of times a push was triggered, labeled by reason for the push.',
    labelNames: ['type'],
    registers: [this.registry],
  });
  readonly clients = new Gauge({
    name: 'pilot_xds',
    help: 'Number of endpoints connected to this pilot using XDS.',
    labelNames: ['version'],
    registers: [this.registry],
  });
  readonly rejects = new Counter({
    name: 'pilot_total_xds_rejects',
    help: 'Total number of XDS responses from pilot rejected by proxy.',
    labelNames: ['type'],
    registers: [this.registry],
  });
  readonly internalErrors = new Counter({
    name: 'pilot_total_xds_internal_errors',
    help: 'Total number of internal XDS errors in pilot.',
    registers: [this.registry],
  });
  readonly expiredNonce = new Counter({
    name: 'pilot_xds_expired_nonce',
    help: 'Total number of XDS requests with an expired nonce.',
    labelNames: ['type'],
    registers: [this.registry],
  });
  readonly configSize = new Histogram({
    name: 'pilot_xds_config_size_bytes',
    help: 'Distribution of configuration sizes pushed to clients',
    labelNames: ['type'],
    buckets: SIZE_BUCKETS,
    registers: [this.registry],
  });
  /** Istio keeps these per-type gauges for backwards compatibility beside pilot_total_xds_rejects. */
  private readonly typeRejects = new Map(
    (['lds', 'cds', 'rds', 'eds'] as const).map((t) => [
      t,
      new Gauge({
        name: `pilot_xds_${t}_reject`,
        help: `Pilot rejected ${t.toUpperCase()}.`,
        labelNames: ['node', 'err'],
        registers: [this.registry],
      }),
    ]),
  );

  recordReject(typeUrl: string, node: string, errCode: number): void {
    const type = metricType(typeUrl);
    this.rejects.inc({ type });
    this.typeRejects.get(type as 'lds')?.inc({ node, err: String(errCode) });
  }

  recordPush(typeUrl: string, seconds: number, bytes: number): void {
    const type = metricType(typeUrl);
    this.pushes.inc({ type });
    this.pushTime.observe({ type }, seconds);
    this.configSize.observe({ type }, bytes);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
