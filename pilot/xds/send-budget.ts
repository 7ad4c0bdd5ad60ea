// Bytes of responses handed to gRPC and not yet written out. A response is
// serialized into its own buffer when gRPC takes it, and that buffer lives
// until the proxy's HTTP/2 window lets it out: when hundreds of streams open at
// once (a pilot restart), pilot can generate their answers faster than the
// proxies read them, and every answer in flight is a few MiB at a thousand
// services (1.3 GiB held at M=500 in bench/pilot). Istio's pushes block on
// HTTP/2 flow control instead; here new work waits while too much is in
// flight. Work already started always finishes: a single response larger
// than the budget still goes out.

export class SendBudget {
  readonly limit: number;
  #outstanding = 0;
  #waiters: (() => void)[] = [];

  constructor(limit: number) {
    this.limit = limit;
  }

  get outstanding(): number {
    return this.#outstanding;
  }

  /** Takes `bytes`; the returned function gives them back (once, however often it is called). */
  take(bytes: number): () => void {
    this.#outstanding += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#outstanding -= bytes;
      if (this.#outstanding <= this.limit) for (const w of this.#waiters.splice(0)) w();
    };
  }

  /** Undefined when there is room for new work, else a promise of room. */
  room(): Promise<void> | undefined {
    if (this.#outstanding <= this.limit) return undefined;
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}
