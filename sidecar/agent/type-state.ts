// Everything the client holds for one xDS type: the subscription, the resources
// last accepted, versions and nonces, the last NACK, update counters.
import type { XdsTypeInfo } from './xds-types.ts';
import type { NackRecord, ResourceEntry, XdsTypeStatus } from './xds-status.ts';

export class TypeState {
  readonly info: XdsTypeInfo;
  /** The client has asked for this type (it is resent on every new stream). */
  requested = false;
  /** Subscribed names, for non-wildcard types. */
  names = new Set<string>();
  resources = new Map<string, ResourceEntry>();
  /** Last accepted version_info (SotW) or system_version_info (delta). */
  ackedVersion = '';
  /** Nonce of the last response on the current stream ('' on a fresh stream). */
  nonce = '';
  lastNack: NackRecord | undefined;
  /** At least one response of this type has been applied. */
  applied = false;
  lastUpdated: Date | undefined;
  readonly updates = { attempt: 0, success: 0, rejected: 0 };

  constructor(info: XdsTypeInfo) {
    this.info = info;
  }

  get typeUrl(): string {
    return this.info.typeUrl;
  }

  /** resource_names for a SotW request: empty for wildcard types. */
  subscription(): string[] {
    return this.info.wildcard ? [] : [...this.names].sort();
  }

  /** Whether a request may be sent: an empty first request for a named type would mean wildcard. */
  hasSubscription(): boolean {
    return this.requested && (this.info.wildcard || this.names.size > 0);
  }

  status(): XdsTypeStatus {
    return {
      typeUrl: this.typeUrl,
      short: this.info.short,
      requested: this.requested,
      wildcard: this.info.wildcard,
      names: this.subscription(),
      ackedVersion: this.ackedVersion,
      nonce: this.nonce,
      lastNack: this.lastNack,
      resources: new Map(this.resources),
      updates: { ...this.updates },
      lastUpdated: this.lastUpdated,
    };
  }
}
