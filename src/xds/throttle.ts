// Bounds how many responses are in flight (sent, not yet ACKed) across all proxies, as Istio's
// push throttle does: memory stays bounded when every proxy needs a large push at once, and a
// proxy that never answers holds its permit only until the timeout.

export class Throttle {
  readonly #limit: number;
  readonly #timeoutMs: number;
  #inUse = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number, timeoutMs: number) {
    this.#limit = limit;
    this.#timeoutMs = timeoutMs;
  }

  get inUse(): number {
    return this.#inUse;
  }

  /** Waits for a permit; the returned function gives it back (only the first call counts). */
  async acquire(): Promise<() => void> {
    if (this.#inUse >= this.#limit) await new Promise<void>((r) => this.#waiting.push(r));
    else this.#inUse++;
    let released = false;
    const timer = setTimeout(() => release(), this.#timeoutMs);
    timer.unref();
    const release = () => {
      if (released) return;
      released = true;
      clearTimeout(timer);
      const next = this.#waiting.shift();
      if (next) next();
      else this.#inUse--;
    };
    return release;
  }
}
