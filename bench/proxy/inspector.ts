// A minimal Chrome DevTools Protocol client for a Node process started with
// --inspect=127.0.0.1:PORT: the memory benchmark reads process.memoryUsage() and
// V8's heap spaces from inside the proxy, and takes heap snapshots, without any
// hook in the proxy's own code. Node 24's global WebSocket is the transport.
import { createWriteStream } from 'node:fs';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export interface Inspector {
  call(method: string, params?: Record<string, unknown>): Promise<unknown>;
  /** Evaluates `expression` in the process and returns its value (JSON-able). */
  evaluate<T>(expression: string): Promise<T>;
  /** Writes a .heapsnapshot of the process to `file`. */
  heapSnapshot(file: string): Promise<void>;
  close(): void;
}

export async function connectInspector(port: number): Promise<Inspector> {
  const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const ws = new WebSocket(list[0]!.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`inspector on ${port}: no connection`));
  });
  let next = 1;
  const pending = new Map<number, Pending>();
  let chunkSink: ((chunk: string) => void) | undefined;
  ws.onmessage = (ev) => {
    const msg = JSON.parse(String(ev.data)) as {
      id?: number;
      method?: string;
      params?: { chunk?: string };
      result?: unknown;
      error?: { message: string };
    };
    if (msg.method === 'HeapProfiler.addHeapSnapshotChunk') chunkSink?.(msg.params!.chunk!);
    if (msg.id === undefined) return;
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error) p?.reject(new Error(msg.error.message));
    else p?.resolve(msg.result);
  };
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return {
    call,
    async evaluate<T>(expression: string): Promise<T> {
      const r = (await call('Runtime.evaluate', { expression, returnByValue: true })) as {
        result: { value: T };
        exceptionDetails?: { text: string };
      };
      if (r.exceptionDetails) throw new Error(`evaluate: ${r.exceptionDetails.text}`);
      return r.result.value;
    },
    async heapSnapshot(file: string): Promise<void> {
      const out = createWriteStream(file);
      chunkSink = (c) => out.write(c);
      await call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
      chunkSink = undefined;
      await new Promise<void>((resolve) => out.end(resolve));
    },
    close: () => ws.close(),
  };
}

/** What the proxy's memory is made of right now, MiB: node's split and V8's spaces. */
export interface MemorySplit {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** V8 space name → [committed size, used size] MiB. */
  spaces: Record<string, [number, number]>;
}

export const MEMORY_SPLIT_EXPR = `(() => {
  const M = 2 ** 20, m = process.memoryUsage();
  const spaces = {};
  for (const s of process.getBuiltinModule('v8').getHeapSpaceStatistics())
    spaces[s.space_name] = [s.space_size / M, s.space_used_size / M];
  return { rss: m.rss / M, heapTotal: m.heapTotal / M, heapUsed: m.heapUsed / M,
    external: m.external / M, arrayBuffers: m.arrayBuffers / M, spaces };
})()`;
