// Listeners by name (LDS). An unchanged listener is left alone; one whose address
// stays is updated in place; one whose address changes is bound anew and replaces
// the old one only once bound. A bind failure (port in use) keeps the listener's
// previous state and is reported for that listener, as Envoy does
// ("Error adding/updating listener(s)"), while the rest of the update applies.
import type net from 'node:net';
import type { Obj } from '../config/values.ts';
import type { OriginalDestination, ProxyRuntime } from '../runtime.ts';
import { normalizeIp } from './filter-chain-match.ts';
import { Listener } from './listener.ts';
import { compileListener, type ListenerSpec } from './listener-spec.ts';

export interface ListenerApply {
  /** Compile errors: nothing was changed. */
  errors: string[];
  /** Resolves with the bind errors once every new socket is bound or failed; undefined when nothing binds. */
  settled: Promise<string[]> | undefined;
}

export class ListenerManager {
  private readonly runtime: ProxyRuntime;
  private listeners = new Map<string, Listener>();
  private byAddress = new Map<string, Listener>();
  private readonly onBindError: (line: string) => void;

  constructor(runtime: ProxyRuntime, onBindError: (line: string) => void) {
    this.runtime = runtime;
    this.onBindError = onBindError;
  }

  get(name: string): Listener | undefined {
    return this.listeners.get(name);
  }

  all(): Listener[] {
    return [...this.listeners.values()];
  }

  apply(resources: ReadonlyMap<string, Obj>): ListenerApply {
    const errors: string[] = [];
    const specs: ListenerSpec[] = [];
    for (const [name, res] of resources) {
      const { spec, errors: e } = compileListener(name, res);
      errors.push(...e.map((l) => `${name}: ${l}`));
      if (spec) specs.push(spec);
    }
    // Two listeners of one update on the same fixed address can never both bind.
    const taken = new Map<string, string>();
    for (const s of specs) {
      if (!s.bindToPort || s.port === 0) continue;
      const key = `${s.address}:${s.port}`;
      const other = taken.get(key);
      if (other !== undefined)
        errors.push(`${s.name}: address: ${key} is already used by listener ${other}`);
      else taken.set(key, s.name);
    }
    if (errors.length > 0) return { errors, settled: undefined };

    const next = new Map<string, Listener>();
    const fresh: { l: Listener; old: Listener | undefined }[] = [];
    for (const spec of specs) {
      const old = this.listeners.get(spec.name);
      if (old && old.spec.source === spec.source) {
        next.set(spec.name, old);
      } else if (old && old.sameBinding(spec)) {
        old.update(spec);
        next.set(spec.name, old);
      } else {
        const l = new Listener(spec, this.runtime);
        fresh.push({ l, old });
        // Until the new socket is bound, the old listener (if any) keeps serving.
        if (old) next.set(spec.name, old);
      }
    }
    // Removed listeners release their ports first so a new listener may take them.
    for (const [name, old] of this.listeners)
      if (!next.has(name) && !fresh.some((f) => f.old === old)) old.drain();
    const movedAway = fresh.filter((f) => f.old && clash(f.l.spec, f.old.spec));
    for (const f of movedAway) f.old!.drain();
    this.listeners = next;
    this.reindex();

    const binds = fresh.map(async ({ l, old }): Promise<string | null> => {
      try {
        await l.bind((from, s) => this.onConnection(from, s));
      } catch (e) {
        l.close();
        const line = `${l.name}: address: cannot bind ${l.spec.address}:${l.spec.port}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
        this.onBindError(line);
        return line;
      }
      if (this.listeners.get(l.name) === old) {
        this.listeners.set(l.name, l);
        this.reindex();
      }
      old?.drain();
      return null;
    });
    if (binds.length === 0) return { errors: [], settled: undefined };
    return {
      errors: [],
      settled: Promise.all(binds).then((r) => r.filter((x): x is string => x !== null)),
    };
  }

  private reindex(): void {
    const m = new Map<string, Listener>();
    for (const l of this.listeners.values())
      m.set(`${normalizeIp(l.spec.address)}:${l.spec.port}`, l);
    this.byAddress = m;
  }

  /** The listener for an original destination: exact address, else the wildcard one on that port. */
  private forDestination(d: OriginalDestination): Listener | undefined {
    const ip = normalizeIp(d.address);
    return (
      this.byAddress.get(`${ip}:${d.port}`) ??
      this.byAddress.get(`0.0.0.0:${d.port}`) ??
      this.byAddress.get(`:::${d.port}`) ??
      this.byAddress.get(`::${d.port}`)
    );
  }

  private onConnection(from: Listener, socket: net.Socket): void {
    if (from.spec.useOriginalDst) {
      const d = this.runtime.originalDestination(socket);
      if (d) {
        const target = this.forDestination(d);
        if (target && target !== from) {
          target.accept(socket, d);
          return;
        }
        from.accept(socket, d);
        return;
      }
    }
    from.accept(socket, undefined);
  }

  drain(): void {
    for (const l of this.listeners.values()) l.drain();
  }

  close(): void {
    for (const l of this.listeners.values()) l.close();
    this.listeners.clear();
    this.byAddress.clear();
  }
}

function clash(a: ListenerSpec, b: ListenerSpec): boolean {
  return (
    a.bindToPort &&
    b.bindToPort &&
    a.port !== 0 &&
    a.port === b.port &&
    (a.address === b.address ||
      a.address === '0.0.0.0' ||
      b.address === '0.0.0.0' ||
      a.address === '::' ||
      b.address === '::')
  );
}
