// with_request_body: the downstream body is read up to max_request_bytes before the
// check, then handed back to the router whole. Over the limit the request is
// refused with 413 unless allow_partial_message, which sends the authorizer the
// first max_request_bytes (as Envoy's decoder buffer limit and isBufferFull do).
// The source is paused and released once the check can be made; replay() is a
// stream of everything read so far followed by the rest, which becomes the
// request's body, so nothing is held beyond the limit.
import { PassThrough, type Readable } from 'node:stream';
import type { CheckBody } from './ext-authz-check.ts';
import type { BodySettings } from './ext-authz-config.ts';

export type BufferOutcome =
  | { kind: 'body'; body: CheckBody }
  | { kind: 'too-large' }
  /** The stream failed or closed before its end. */
  | { kind: 'gone' };

export class BodyBuffer {
  private readonly src: Readable;
  private readonly settings: BodySettings;
  private readonly done: (o: BufferOutcome) => void;
  private chunks: Buffer[] = [];
  private size = 0;
  private ended = false;
  private settled = false;
  private readonly onData = (c: Buffer): void => this.data(c);
  private readonly onEnd = (): void => {
    this.ended = true;
    this.settle({ kind: 'body', body: { data: this.prefix(), partial: false } });
  };
  private readonly onGone = (): void => {
    if (!this.ended) this.settle({ kind: 'gone' });
  };

  constructor(src: Readable, settings: BodySettings, done: (o: BufferOutcome) => void) {
    this.src = src;
    this.settings = settings;
    this.done = done;
    src.on('data', this.onData);
    src.once('end', this.onEnd);
    src.once('error', this.onGone);
    src.once('close', this.onGone);
  }

  private data(chunk: Buffer): void {
    if (this.settled) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
    const max = this.settings.maxBytes;
    if (this.settings.allowPartial) {
      if (this.size >= max)
        this.settle({ kind: 'body', body: { data: this.prefix(), partial: this.size > max } });
    } else if (this.size > max) {
      this.settle({ kind: 'too-large' });
    }
  }

  /** At most max_request_bytes of what was read. */
  private prefix(): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    return all.length > this.settings.maxBytes ? all.subarray(0, this.settings.maxBytes) : all;
  }

  private settle(o: BufferOutcome): void {
    if (this.settled) return;
    this.detach();
    this.done(o);
  }

  /** Stops reading: the source is paused with none of this buffer's listeners. */
  detach(): void {
    this.settled = true;
    const s = this.src;
    s.pause();
    s.removeListener('data', this.onData);
    s.removeListener('end', this.onEnd);
    s.removeListener('error', this.onGone);
    s.removeListener('close', this.onGone);
  }

  /** The whole body for the router: what was read, then the rest of the source. */
  replay(): Readable {
    const out = new PassThrough();
    // Until the router takes the stream (after an allow), nobody listens for its
    // errors; a client gone during the check must not crash the proxy with an
    // unhandled 'error'. The abort reaches the request through the responder, and
    // whoever consumes the stream adds its own listener.
    out.on('error', () => {});
    for (const c of this.chunks) out.write(c);
    this.chunks = [];
    if (this.ended) out.end();
    else {
      this.src.once('error', (err) => out.destroy(err));
      this.src.pipe(out);
    }
    return out;
  }
}
