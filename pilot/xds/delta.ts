// Incremental ADS (DeltaAggregatedResources): per-resource versions (content
// hashes); responses carry only changed resources and removed names.
// Protocol: https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#incremental-xds
import { Connection } from './connection.ts';
import type { WireStatus } from './connection.ts';
import type { EncodedResource } from './encode.ts';
import type { WireNode } from './node.ts';
import type { Subscription } from './subscription.ts';
import { metricType } from './type-urls.ts';
import type { PushSnapshot } from './types.ts';

interface DeltaDiscoveryRequest {
  node?: WireNode | null;
  type_url?: string;
  resource_names_subscribe?: string[];
  resource_names_unsubscribe?: string[];
  initial_resource_versions?: Record<string, string>;
  response_nonce?: string;
  error_detail?: WireStatus | null;
}

export class DeltaConnection<Push extends PushSnapshot> extends Connection<Push> {
  readonly transport = 'delta' as const;

  protected onRequest(raw: unknown): void {
    const req = raw as DeltaDiscoveryRequest;
    const typeUrl = req.type_url ?? '';
    const existing = this.subs.get(typeUrl);
    const sub = existing ?? this.subscription(typeUrl, true);
    if (!sub) return;
    const nonce = req.response_nonce ?? '';
    if (existing && nonce) {
      if (nonce !== sub.sentNonce) {
        // An ACK/NACK of a response that has since been superseded: ignore the
        // ACK part (xds_protocol#resource-updates). Subscription changes below
        // still apply: they are deltas and would otherwise be lost.
        this.ctx.metrics.expiredNonce.inc({ type: metricType(typeUrl) });
        this.ctx.log.debug(
          `ads: connection ${this.id} ${metricType(typeUrl)}: stale nonce ${nonce}`,
        );
      } else if (req.error_detail) {
        // The proxy keeps its previous resources; we do not resend this version.
        this.recordNack(sub, nonce, '', req.error_detail);
      } else {
        sub.recordAck(nonce, sub.sentVersion ?? '');
      }
    }
    const subscribe = req.resource_names_subscribe ?? [];
    const unsubscribe = req.resource_names_unsubscribe ?? [];
    const revision = sub.namesRevision;
    if (!existing) {
      // Legacy wildcard: a first request naming nothing, on a wildcard type.
      if (subscribe.length === 0 && this.ctx.wildcardTypes.has(typeUrl)) sub.applyDelta(['*'], []);
      // Reconnect: what the proxy already has, so only differences are sent
      // (xds_protocol#reconnect).
      for (const [name, version] of Object.entries(req.initial_resource_versions ?? {}))
        sub.known.set(name, version);
    }
    sub.applyDelta(subscribe, unsubscribe);
    this.forgetUnwanted(sub);
    if (existing && sub.namesRevision === revision) return;
    const push = this.ctx.currentPush();
    // Before the first push the subscription is parked; the first push answers it.
    if (push) this.pushType(sub, push, !existing);
  }

  /** Drops what the proxy no longer subscribes to: it forgets those, no removal is sent. */
  private forgetUnwanted(sub: Subscription): void {
    for (const name of sub.known.keys()) {
      if (!sub.wants(name)) {
        sub.known.delete(name);
        sub.current.delete(name);
      }
    }
    for (const name of sub.absent) if (!sub.names.has(name)) sub.absent.delete(name);
  }

  pushType(sub: Subscription, push: Push, force: boolean): void {
    const startedAt = performance.now();
    sub.started = true;
    const resources = this.generate(sub, push);
    if (!resources) return;
    const changed: EncodedResource[] = [];
    let inKnown = 0;
    for (const r of resources) {
      const had = sub.known.get(r.name);
      if (had !== undefined) inKnown++;
      if (had !== r.version) changed.push(r);
      // Same hash as the proxy declared on reconnect: same content, keep it for config_dump.
      else if (!sub.current.has(r.name)) sub.current.set(r.name, r);
    }
    const removed: string[] = [];
    // Only look for removals when something can be missing: the common push
    // (everything still there) then costs one pass and no allocation.
    const someKnownGone = inKnown < sub.known.size;
    const someNamedMissing = sub.wildcard ? sub.names.size > 0 : resources.length < sub.names.size;
    if (someKnownGone || someNamedMissing) {
      const present = new Set(resources.map((r) => r.name));
      for (const name of sub.known.keys()) if (!present.has(name)) removed.push(name);
      // A subscribed name that does not exist is reported once as removed, so
      // the proxy need not wait for its does-not-exist timeout.
      for (const name of sub.names) {
        if (!present.has(name) && !sub.known.has(name) && !sub.absent.has(name)) removed.push(name);
      }
    }
    if (!force && changed.length === 0 && removed.length === 0) return;
    let bytes = 0;
    for (const r of changed) {
      sub.known.set(r.name, r.version);
      sub.current.set(r.name, r);
      sub.absent.delete(r.name);
      bytes += r.any.value.length;
    }
    for (const name of removed) {
      sub.known.delete(name);
      sub.current.delete(name);
      if (sub.names.has(name)) sub.absent.add(name);
    }
    const nonce = this.nextNonce();
    sub.recordSent(nonce, push.version);
    this.write(
      {
        system_version_info: push.version,
        resources: changed.map((r) => ({ name: r.name, version: r.version, resource: r.any })),
        type_url: sub.typeUrl,
        removed_resources: removed,
        nonce,
        control_plane: { identifier: this.ctx.identifier },
      },
      sub.typeUrl,
      bytes,
      startedAt,
    );
  }
}
