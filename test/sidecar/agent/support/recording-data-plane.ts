// A DataPlane that records every applyConfig call and keeps what it accepted;
// a test can make it refuse a type (as a data path would refuse a listener it
// cannot bind) and hook drain/close for the lifecycle tests.
import type { DrainableDataPlane } from '../../../../sidecar/agent/lifecycle.ts';
import type { ApplyResult, EnvoyResource } from '../../../../sidecar/types.ts';

export interface ApplyCall {
  typeUrl: string;
  names: string[];
  resources: Map<string, EnvoyResource>;
}

export class RecordingDataPlane implements DrainableDataPlane {
  readonly calls: ApplyCall[] = [];
  readonly current = new Map<string, Map<string, EnvoyResource>>();
  readonly events: string[] = [];
  /** Return errors to refuse a set. */
  refuse:
    ((typeUrl: string, resources: ReadonlyMap<string, EnvoyResource>) => string[]) | undefined;
  drainImpl: (() => Promise<void>) | undefined;

  applyConfig(typeUrl: string, resources: ReadonlyMap<string, EnvoyResource>): ApplyResult {
    this.calls.push({
      typeUrl,
      names: [...resources.keys()].sort(),
      resources: new Map(resources),
    });
    const errors = this.refuse?.(typeUrl, resources) ?? [];
    if (errors.length === 0) this.current.set(typeUrl, new Map(resources));
    return { errors };
  }

  names(typeUrl: string): string[] {
    return [...(this.current.get(typeUrl)?.keys() ?? [])].sort();
  }

  async drain(): Promise<void> {
    this.events.push('drain');
    await this.drainImpl?.();
    this.events.push('drained');
  }

  close(): void {
    this.events.push('close');
  }
}
