// Protobuf framing for the responses wire.ts assembles: sizes and a writer of
// length-delimited fields, varints and pre-encoded Anys. Written by hand although
// protobufjs's Writer can frame encoded bytes too: it grows a chain of chunks and
// copies them once more at finish(), while sizes known up front let a response be
// written once into one buffer of its exact size.
import type { EncodedAny } from './encode.ts';

const LENGTH_DELIMITED = 2;

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Size of a length-delimited field whose payload is `len` bytes. */
export const fieldSize = (field: number, len: number) =>
  varintSize((field << 3) | LENGTH_DELIMITED) + varintSize(len) + len;

export const stringSize = (field: number, s: string) => fieldSize(field, Buffer.byteLength(s));

/** Any { type_url = 1; value = 2 } */
export const anySize = (any: EncodedAny) =>
  stringSize(1, any.type_url) + fieldSize(2, any.value.length);

export class Writer {
  readonly buf: Buffer;
  pos = 0;

  constructor(buf: Buffer) {
    this.buf = buf;
  }

  varint(n: number): void {
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.pos++] = n;
  }

  head(field: number, len: number): void {
    this.varint((field << 3) | LENGTH_DELIMITED);
    this.varint(len);
  }

  string(field: number, s: string): void {
    if (!s) return; // proto3: an empty string is not written
    this.head(field, Buffer.byteLength(s));
    this.pos += this.buf.write(s, this.pos);
  }

  any(field: number, any: EncodedAny): void {
    this.head(field, anySize(any));
    this.string(1, any.type_url);
    this.head(2, any.value.length);
    // TypedArray#set, not Buffer#copy: thousands of small values per response,
    // and copy's argument handling costs more than the bytes.
    this.buf.set(any.value, this.pos);
    this.pos += any.value.length;
  }
}

export const optionalString = (field: number, s: string) => (s ? stringSize(field, s) : 0);
/** ControlPlane { identifier = 1 } */
export const controlPlaneSize = (identifier: string) => optionalString(1, identifier);
