// The `resources` fields of SotW responses that many proxies get, framed once.
// Proxies alike share one encoded list per push (encode.ts); the framing of
// its thousands of resources is the same for each of them, only the few
// fields in front (version, nonce, …) differ. A kept section has room in
// front, where those fields are written in place when gRPC serializes, so the
// response needs no copy of its own before gRPC copies it into its frame.
import type { EncodedResource } from './encode.ts';
import { Writer, anySize, fieldSize } from './wire-format.ts';

/** Room in front of a kept section; longer fronts fall back to a copy. */
const HEADROOM = 256;
/** Lists up to this long are told apart by their resources, longer ones by the list object. */
const SHORT = 4;

interface Node {
  /** A second sight: the list is shared, so its framing is worth keeping. */
  seen?: boolean;
  buf?: Buffer;
  /** performance.now() of the last response framed from `buf`. */
  usedAt?: number;
  next?: WeakMap<EncodedResource, Node>;
}

/**
 * A framing is a second copy of its list's bytes (a sidecar's clusters: ~4 MiB
 * at a thousand services, per namespace), worth it only while a burst of
 * responses (a sync, a push) hands the list to proxy after proxy. Framings
 * unused for this long are dropped and made again on the next sight; the
 * list itself, its encodings and responses in flight keep what they hold.
 */
const IDLE_MS = 2000;
const framed = new Set<Node>();
let sweep: NodeJS.Timeout | undefined;

function armSweep(): void {
  if (sweep || framed.size === 0) return;
  sweep = setTimeout(dropIdle, IDLE_MS);
  sweep.unref();
}

function dropIdle(): void {
  sweep = undefined;
  const cutoff = performance.now() - IDLE_MS;
  for (const node of framed) {
    if (node.usedAt! > cutoff) continue;
    node.buf = undefined;
    framed.delete(node);
  }
  armSweep();
}

const byList = new WeakMap<readonly EncodedResource[], Node>();
const byFirst = new WeakMap<EncodedResource, Node>();

function child(map: WeakMap<EncodedResource, Node>, r: EncodedResource): Node {
  let node = map.get(r);
  if (!node) map.set(r, (node = {}));
  return node;
}

/**
 * The node of a list: short lists (a proxy's route configurations, built anew
 * for each proxy from shared resources) by their resources in order, long
 * ones (clusters, endpoints) by identity.
 */
function nodeOf(resources: readonly EncodedResource[]): Node {
  if (resources.length > SHORT) {
    let node = byList.get(resources);
    if (!node) byList.set(resources, (node = {}));
    return node;
  }
  let node = child(byFirst, resources[0]!);
  for (let i = 1; i < resources.length; i++)
    node = child((node.next ??= new WeakMap()), resources[i]!);
  // A shorter list ending here is a different list: mark the length.
  return child((node.next ??= new WeakMap()), END);
}

/** Stands for the end of a short list in the chain of resources. */
const END: EncodedResource = Object.freeze({
  name: '',
  any: { type_url: '', value: Buffer.alloc(0) },
  version: '',
});

export interface KeptSection {
  /** The framed resources. */
  bytes(): Buffer;
  /** The whole response, `size` bytes written in front of the framed resources; valid until the next call. */
  withHead(size: number, write: (w: Writer) => void): Buffer;
}

/** The kept section of a list on its second sight and after; undefined the first time, for empty lists and long fronts. */
export function keptSection(
  resources: readonly EncodedResource[],
  headSize: number,
): KeptSection | undefined {
  if (resources.length === 0 || headSize > HEADROOM) return undefined;
  const node = nodeOf(resources);
  if (!node.buf) {
    if (!node.seen) {
      node.seen = true;
      return undefined;
    }
    let size = HEADROOM;
    for (const r of resources) size += fieldSize(2, anySize(r.any));
    const w = new Writer(Buffer.allocUnsafe(size));
    w.pos = HEADROOM;
    for (const r of resources) w.any(2, r.any);
    node.buf = w.buf;
    framed.add(node);
    armSweep();
  }
  node.usedAt = performance.now();
  const buf = node.buf;
  return {
    bytes: () => buf.subarray(HEADROOM),
    withHead(size, write) {
      const w = new Writer(buf.subarray(HEADROOM - size));
      write(w);
      if (w.pos !== size) throw new Error(`wire: wrote ${w.pos} of ${size} front bytes`);
      return w.buf;
    },
  };
}
