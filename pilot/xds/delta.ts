// Incremental ADS (DeltaAggregatedResources): per-resource versions (content
// hashes); responses carry only changed resources and removed names.
// Protocol: https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#incremental-xds
import { Connection } from './connection.ts';
import type { Reply, WireStatus } from './stream-types.ts';
import type { EncodedResource } from './encode.ts';
import type { WireNode } from './node.ts';
import type { Subscription } from './subscription.ts';
import { metricType } from './type-urls.ts';
import { deltaResponse } from './wire.ts';
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
        sub.holding.declare(name, version);
    }
    sub.applyDelta(subscribe, unsubscribe);
    // An ACK leaves the names as they were: nothing became unwanted, nothing to send.
    if (existing && sub.namesRevision === revision) return;
    this.forgetUnwanted(sub);
    const push = this.ctx.currentPush();
    // Before the first push the subscription is parked; the first push answers it.
    if (push) this.pushType(sub, push, !existing);
  }

  /** Drops what the proxy no longer subscribes to: it forgets those, no removal is sent. */
  private forgetUnwanted(sub: Subscription): void {
    for (const name of sub.holding.names()) if (!sub.wants(name)) sub.holding.drop(name);
    for (const name of sub.absent) if (!sub.names.has(name)) sub.absent.delete(name);
  }

  protected respond(sub: Subscription, reply: Reply<Push>): void {
    const { push, resources, force, startedAt, scoped } = reply;
    const held = sub.holding;
    const changed: EncodedResource[] = [];
    let inKnown = 0;
    for (const r of resources) {
      const had = held.version(r.name);
      if (had !== undefined) inKnown++;
      if (had !== r.version) changed.push(r);
      // Same hash as the proxy declared on reconnect: same content, keep it for config_dump.
      else if (held.resource(r.name) === undefined) held.hold(r);
    }
    const removed = removedAmong(sub, resources, scoped, inKnown);
    if (!force && changed.length === 0 && removed.length === 0) return;
    let bytes = 0;
    for (const r of changed) {
      held.hold(r);
      sub.absent.delete(r.name);
      bytes += r.any.value.length;
    }
    for (const name of removed) {
      held.drop(name);
      if (sub.names.has(name)) sub.absent.add(name);
    }
    this.write(
      deltaResponse(this.nextHeader(sub, push), changed, removed),
      sub.typeUrl,
      bytes,
      startedAt,
    );
  }
}

/**
 * Names to announce as removed: held ones the output lacks, and subscribed
 * ones that do not exist, reported once so the proxy need not wait for its
 * does-not-exist timeout. `among`: only those names were generated (an
 * incremental push), so only they can be judged; otherwise every held and
 * subscribed name, looked at only when something can be missing (`inKnown`:
 * how many of `resources` the proxy holds), so the common push (everything
 * still there) costs no allocation.
 */
function removedAmong(
  sub: Subscription,
  resources: readonly EncodedResource[],
  among: readonly string[] | undefined,
  inKnown: number,
): string[] {
  const removed: string[] = [];
  if (!among) {
    const someKnownGone = inKnown < sub.holding.versionCount();
    const someNamedMissing = sub.wildcard ? sub.names.size > 0 : resources.length < sub.names.size;
    if (!someKnownGone && !someNamedMissing) return removed;
  }
  const present = new Set(resources.map((r) => r.name));
  const known = (name: string) => sub.holding.version(name) !== undefined;
  const gone = (name: string) => !present.has(name) && known(name);
  const missing = (name: string) => !present.has(name) && !known(name) && !sub.absent.has(name);
  if (among) {
    for (const name of among)
      if (gone(name) || (sub.names.has(name) && missing(name))) removed.push(name);
    return removed;
  }
  for (const name of sub.holding.names()) if (gone(name)) removed.push(name);
  for (const name of sub.names) if (missing(name)) removed.push(name);
  return removed;
}
