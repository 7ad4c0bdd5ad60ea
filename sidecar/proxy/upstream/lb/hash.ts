// A fast 32-bit string hash for ring hash, Maglev and hash policies. Written here
// because it is a dozen lines and hot: FNV-1a over UTF-16 code units, finished with
// murmur3's fmix32 so nearby keys ("host_1", "host_2") spread over the whole ring.
// (Envoy uses xxHash64; only the distribution matters, not the exact values.)

export function hash32(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

export function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Combines hash policy results the way Envoy does: rotate the running hash, then xor. */
export function combineHash(acc: number, h: number): number {
  return (((acc << 1) | (acc >>> 31)) ^ h) >>> 0;
}
