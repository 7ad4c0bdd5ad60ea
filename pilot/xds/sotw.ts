// State-of-the-world ADS (StreamAggregatedResources): Listener and Cluster
// responses carry every resource the proxy needs; other types carry the
// resources that changed or were newly requested.
// Protocol: https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol
import { Connection } from './connection.ts';
import type { Reply, WireStatus } from './stream-types.ts';
import { sameResources } from './encode.ts';
import type { EncodedResource } from './encode.ts';
import type { WireNode } from './node.ts';
import type { Subscription } from './subscription.ts';
import { metricType } from './type-urls.ts';
import { sotwResponse } from './wire.ts';
import type { PushSnapshot } from './types.ts';

interface DiscoveryRequest {
  version_info?: string;
  node?: WireNode | null;
  resource_names?: string[];
  type_url?: string;
  response_nonce?: string;
  error_detail?: WireStatus | null;
}

export class SotwConnection<Push extends PushSnapshot> extends Connection<Push> {
  readonly transport = 'sotw' as const;

  protected onRequest(raw: unknown): void {
    const req = raw as DiscoveryRequest;
    const typeUrl = req.type_url ?? '';
    const nonce = req.response_nonce ?? '';
    const existing = this.subs.get(typeUrl);
    const sub = existing ?? this.subscription(typeUrl, true);
    if (!sub) return;
    if (existing) {
      // Only the latest response of a type can be ACKed or NACKed; a request
      // carrying an older nonce was sent before the proxy saw our latest
      // response, so it is superseded: "the request does not match the stream
      // nonce, ignore it" (xds_protocol#resource-updates). Before any response
      // the only matching nonce is the empty one.
      if (nonce !== (sub.sentNonce ?? '')) {
        this.ctx.metrics.expiredNonce.inc({ type: metricType(typeUrl) });
        this.ctx.log.debug(
          `ads: connection ${this.id} ${metricType(typeUrl)}: stale nonce ${nonce}, ignored`,
        );
        return;
      }
      if (req.error_detail) {
        // NACK: the proxy keeps its last good config; we neither resend the
        // rejected version nor stop pushing later changes.
        this.recordNack(sub, nonce, req.version_info ?? '', req.error_detail);
        return;
      }
      if (nonce) sub.recordAck(nonce, req.version_info ?? '');
    }
    // New subscription, or an ACK that may carry a changed resource_names.
    const change = this.applyNames(sub, req.resource_names ?? []);
    if (!existing || (change && (sub.complete || change.added))) {
      const push = this.ctx.currentPush();
      // Before the first push the request is parked; the first push answers it.
      if (push) this.pushType(sub, push, !existing || sub.complete);
    }
  }

  /**
   * An ACK of the latest response that repeats the subscribed names: recorded
   * at once (the queue would only hold its decoded names longer).
   */
  protected override handledInline(raw: unknown): boolean {
    const req = raw as DiscoveryRequest;
    const sub = this.subs.get(req.type_url ?? '');
    const nonce = req.response_nonce ?? '';
    if (!sub || !nonce || nonce !== sub.sentNonce || req.error_detail) return false;
    const names = req.resource_names ?? [];
    if (names.length === 0 || names.includes('*') || !sub.unchanged(names, false)) return false;
    sub.recordAck(nonce, req.version_info ?? '');
    return true;
  }

  /** Applies resource_names; undefined when the subscription did not change. */
  private applyNames(sub: Subscription, names: readonly string[]): { added: boolean } | undefined {
    // Every ACK repeats the names (thousands for EDS): copy them only when '*' is among them.
    const star = names.includes('*');
    const explicit = star ? names.filter((n) => n !== '*') : names;
    if (explicit.length > 0) sub.everNamed = true;
    // '*' subscribes to everything; an empty list does too on wildcard types,
    // as long as the proxy never named resources (legacy wildcard).
    const wildcard =
      star || (names.length === 0 && !sub.everNamed && this.ctx.wildcardTypes.has(sub.typeUrl));
    return sub.replaceNames(explicit, wildcard);
  }

  protected respond(sub: Subscription, reply: Reply<Push>): void {
    const { push, resources, force, startedAt, scoped } = reply;
    let send: EncodedResource[];
    if (sub.complete) {
      if (!force && sameResources(sub.sent, resources)) return;
      send = resources;
      sub.sent = resources;
    } else {
      const held = sub.holding;
      // An equal list to one the proxy holds in full: nothing to look up.
      const whole = held.whole;
      if (!force && whole && sameResources(whole, resources)) return;
      // RDS, EDS, SDS, …: only what the proxy does not hold yet. A resource
      // that disappeared is not announced; its parent (listener, cluster)
      // stops referring to it (xds_protocol#deleting-resources).
      send = resources.filter((r) => held.version(r.name) !== r.version);
      // Now the proxy holds all of `resources`; a part (scoped) says nothing of the rest.
      if (scoped) for (const r of send) held.hold(r);
      else held.rebase(resources);
      if (!force && send.length === 0) return;
      // All of it (a first response): the shared list itself, whose framing wire.ts keeps.
      if (send.length === resources.length) send = resources;
    }
    let bytes = 0;
    for (const r of send) bytes += r.any.value.length;
    this.write(sotwResponse(this.nextHeader(sub, push), send), sub.typeUrl, bytes, startedAt);
  }
}
