/**
 * Keeps the state file up to date without holding up the wire: a change is sent at once and written
 * meanwhile; the control reply waits for the write, so an acknowledged change is always on disk. Writes
 * never overlap (each replaces the whole file) and requests made during a write share the next one,
 * which takes the state as it is then: twenty announcements at once cost two writes, not twenty.
 */
import type { SavedState } from "./state.js";

export interface StateWriterOptions {
  snapshot(): SavedState;
  write(state: SavedState): Promise<void>;
  /** A failed write keeps the last good file; announcing goes on, so this only reports it. */
  onError(error: Error): void;
}

export class StateWriter {
  private writing?: Promise<void>;
  private next?: { promise: Promise<void>; resolve: () => void };

  constructor(private readonly options: StateWriterOptions) {}

  /** Resolves once a write that started after this call has finished (or failed and been reported). */
  save(): Promise<void> {
    if (!this.writing) {
      this.writing = this.run();
      return this.writing;
    }
    if (!this.next) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      this.next = { promise, resolve };
    }
    return this.next.promise;
  }

  /** Waits for every requested write (before exiting). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async run(): Promise<void> {
    try {
      await this.options.write(this.options.snapshot());
    } catch (error) {
      this.options.onError(error as Error);
    }
    const queued = this.next;
    this.next = undefined;
    if (queued) {
      this.writing = this.run();
      void this.writing.then(queued.resolve);
    } else {
      this.writing = undefined;
    }
  }
}
