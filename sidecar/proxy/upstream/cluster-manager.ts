// Holds the clusters (CDS) and the endpoint assignments (EDS) and swaps each set
// whole. An unchanged cluster keeps its runtime (pools, outlier state); a changed
// one hands its hosts over; a removed one finishes its in-flight requests and closes.
import { Issues, resourceLines } from '../config/issues.ts';
import { asString, isObj, type Obj } from '../config/values.ts';
import { Cluster } from './cluster.ts';
import { compileCluster, type ClusterSpec } from './cluster-spec.ts';
import { parseLoadAssignment, type EndpointSpec } from './endpoints.ts';
import { SecretStore } from '../tls/secret-store.ts';

export class ClusterManager {
  private clusters = new Map<string, Cluster>();
  private sources = new Map<string, string>();
  private assignments = new Map<string, EndpointSpec[]>();
  private readonly changeListeners = new Set<() => void>();
  /** Where clusters' TLS transport sockets find their SDS secrets. */
  readonly secrets: SecretStore;

  constructor(secrets: SecretStore = new SecretStore()) {
    this.secrets = secrets;
  }

  get(name: string): Cluster | undefined {
    return this.clusters.get(name);
  }

  /** A cluster's metadata as CDS sent it (`filter_metadata` by filter name). */
  clusterMetadata(name: string): Record<string, unknown> | undefined {
    return this.clusters.get(name)?.spec.metadata;
  }

  /** An upstream host's endpoint metadata as EDS (or the static assignment) sent it; host is "ip:port". */
  hostMetadata(cluster: string, hostKey: string): Record<string, unknown> | undefined {
    return this.clusters.get(cluster)?.hosts.find((h) => h.key === hostKey)?.metadata;
  }

  /** Called after each accepted CDS update (caches keyed on cluster metadata must drop it). */
  onClustersChanged(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Fields accepted but ignored: each distinct line once per proxy, not on every push. */
  onConfigWarning: ((line: string) => void) | undefined;
  readonly #warned = new Set<string>();

  #report(lines: readonly string[]): void {
    for (const line of lines) {
      if (this.#warned.has(line)) continue;
      if (this.#warned.size < 10_000) this.#warned.add(line);
      this.onConfigWarning?.(line);
    }
  }

  names(): string[] {
    return [...this.clusters.keys()];
  }

  applyClusters(resources: ReadonlyMap<string, Obj>): string[] {
    const errors: string[] = [];
    const warnings: string[] = [];
    const specs = new Map<string, ClusterSpec>();
    for (const [name, res] of resources) {
      const issues = new Issues();
      const declared = asString(res.name);
      if (declared !== undefined && declared !== name)
        issues.add(`name "${declared}" does not match the resource name`, 'name');
      specs.set(name, compileCluster(name, res, issues));
      errors.push(...resourceLines(name, issues.lines));
      warnings.push(...resourceLines(name, issues.warnings));
    }
    if (errors.length > 0) return errors;
    this.#report(warnings);
    const next = new Map<string, Cluster>();
    const nextSources = new Map<string, string>();
    const retired: Cluster[] = [];
    for (const [name, spec] of specs) {
      const source = JSON.stringify(resources.get(name));
      const old = this.clusters.get(name);
      nextSources.set(name, source);
      if (old && this.sources.get(name) === source) {
        next.set(name, old);
        continue;
      }
      const c = new Cluster(spec, old, this.secrets);
      if (spec.type === 'EDS') c.setEndpoints(this.assignments.get(spec.edsServiceName) ?? []);
      next.set(name, c);
      if (old) retired.push(old);
    }
    for (const [name, old] of this.clusters) if (!next.has(name)) retired.push(old);
    this.clusters = next;
    this.sources = nextSources;
    for (const c of retired) c.close();
    // The update is applied by now: a failing listener must not turn it into a NACK.
    for (const l of this.changeListeners) {
      try {
        l();
      } catch {
        // listeners report their own failures
      }
    }
    return [];
  }

  applyAssignments(resources: ReadonlyMap<string, Obj>): string[] {
    const errors: string[] = [];
    const next = new Map<string, EndpointSpec[]>();
    for (const [name, res] of resources) {
      const issues = new Issues();
      const declared = asString(res.cluster_name);
      if (declared !== undefined && declared !== name)
        issues.add(`cluster_name "${declared}" does not match the resource name`, 'cluster_name');
      if (isObj(res.policy) && (res.policy as Obj).drop_overloads !== undefined)
        issues.add('drop_overloads is not supported', 'policy.drop_overloads');
      next.set(name, parseLoadAssignment(res, issues));
      errors.push(...resourceLines(name, issues.lines));
    }
    if (errors.length > 0) return errors;
    this.assignments = next;
    for (const c of this.clusters.values()) {
      if (c.spec.type === 'EDS') c.setEndpoints(next.get(c.spec.edsServiceName) ?? []);
    }
    return [];
  }

  close(): void {
    for (const c of this.clusters.values()) c.close();
    this.clusters.clear();
  }
}
