// Bounds how many pushes are in progress (being built or written out) across all proxies, as
// Istio's push throttle does: memory stays bounded when every proxy needs a large push at once, and
// a proxy whose stream does not drain holds its permit only until the timeout. The pushes holding
// a permit are built one at a time, in slices between which the event loop gets to write what was
// built and to read the proxies' answers.

/** How long push work runs before letting I/O through. */
export const SLICE_MS = 5;

export class Throttle {
  readonly #limit: number;
  readonly #timeoutMs: number;
  #inUse = 0;
  readonly #waiting: (() => void)[] = [];
  #sliceStart = 0;
  #tail: Promise<void> = Promise.resolve();

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

  /** Runs `task` alone: tasks run one at a time in the order they came, and once a run of them has
   * taken `SLICE_MS`, the next starts on a later turn of the event loop, so that responses written
   * meanwhile go out and answers come in while further responses are built (rather than after a
   * whole push of them). */
  async exclusive<T>(task: () => T | Promise<T>): Promise<T> {
    const previous = this.#tail;
    let done!: () => void;
    this.#tail = new Promise<void>((resolve) => (done = resolve));
    await previous;
    if (performance.now() - this.#sliceStart >= SLICE_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.#sliceStart = performance.now();
    }
    try {
      return await task();
    } finally {
      done();
    }
  }
}
