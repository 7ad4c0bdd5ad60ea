// Request bodies sent upstream. A retry (or a mirror) must send the body again, so
// when the route may retry, the body is kept in memory up to a limit while it
// streams to the first attempt; past the limit retries are off, as in Envoy
// (per_request_buffer_limit_bytes). Without retries the downstream stream is
// handed over as is.
import { Readable } from 'node:stream';
import type { BodySource } from '../upstream/types.ts';

export class OneShotBody implements BodySource {
  private readonly src: Readable;
  private opened = false;
  readonly replayable = false;

  constructor(src: Readable) {
    this.src = src;
  }

  open(): NodeJS.ReadableStream {
    if (this.opened) throw new Error('body already consumed');
    this.opened = true;
    return this.src;
  }
}

export class ReplayableBody implements BodySource {
  private readonly src: Readable;
  private readonly limit: number;
  private chunks: Buffer[] = [];
  private size = 0;
  private ended = false;
  private error: Error | null = null;
  private readonly readers = new Set<BodyReader>();
  replayable = true;
  private opened = 0;
  /** Total bytes read from downstream. */
  received = 0;

  constructor(src: Readable, limit: number) {
    this.src = src;
    this.limit = limit;
    src.on('data', (chunk: Buffer) => this.onChunk(chunk));
    src.once('end', () => {
      this.ended = true;
      for (const r of this.readers) r.push(null);
    });
    src.once('error', (err) => {
      this.error = err;
      for (const r of this.readers) r.destroy(err);
    });
    src.pause();
  }

  private onChunk(chunk: Buffer): void {
    this.received += chunk.length;
    if (this.replayable) {
      this.size += chunk.length;
      if (this.size > this.limit) {
        this.replayable = false;
        this.chunks = [];
      } else {
        this.chunks.push(chunk);
      }
    }
    let full = false;
    for (const r of this.readers) if (!r.push(chunk)) full = true;
    if (full) this.src.pause();
  }

  /** Called by a reader that wants more. */
  pull(): void {
    if (!this.ended && this.src.isPaused()) this.src.resume();
  }

  detach(r: BodyReader): void {
    this.readers.delete(r);
    if (this.readers.size === 0 && !this.ended) this.src.pause();
  }

  open(): NodeJS.ReadableStream {
    if (!this.replayable && this.readers.size + this.opened > 0)
      throw new Error('body no longer replayable');
    this.opened++;
    const r = new BodyReader(this);
    for (const c of this.chunks) r.push(c);
    if (this.error) r.destroy(this.error);
    else if (this.ended) r.push(null);
    else this.readers.add(r);
    return r;
  }
}

class BodyReader extends Readable {
  private readonly owner: ReplayableBody;

  constructor(owner: ReplayableBody) {
    super();
    this.owner = owner;
  }

  override _read(): void {
    this.owner.pull();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.owner.detach(this);
    cb(err);
  }
}
