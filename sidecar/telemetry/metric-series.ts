// The series behind Istio's metrics: one object per label set holding every metric
// of that set (a request touches one object, not four), grouped under the label
// prefix they share so the hot path finds them with a numeric key.
import { Histogram } from './prometheus-text.ts';

export class HttpSeries {
  readonly labels: string;
  requests = 0;
  readonly duration: Histogram;
  readonly requestBytes: Histogram;
  readonly responseBytes: Histogram;
  constructor(labels: string, durationBuckets: readonly number[], bytesBuckets: readonly number[]) {
    this.labels = labels;
    this.duration = new Histogram(durationBuckets);
    this.requestBytes = new Histogram(bytesBuckets);
    this.responseBytes = new Histogram(bytesBuckets);
  }
}

export class TcpSeries {
  readonly labels: string;
  opened = 0;
  closed = 0;
  sent = 0;
  received = 0;
  constructor(labels: string) {
    this.labels = labels;
  }
}

/** All series sharing one (reporter, peer, service, principals) label prefix. */
export class LabelBase {
  readonly text: string;
  readonly securityPolicy: string;
  /** Series without response flags, by (code, grpc, grpc status) packed in a number. */
  readonly http = new Map<number, HttpSeries>();
  /** Everything else, by a string key. */
  readonly httpOther = new Map<string, HttpSeries>();
  readonly tcp = new Map<string, TcpSeries>();
  constructor(text: string, securityPolicy: string) {
    this.text = text;
    this.securityPolicy = securityPolicy;
  }
}
