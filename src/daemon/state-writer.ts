/**
 * Keeps the state file up to date without holding up the wire: a change is sent at once and written
 * meanwhile; the control reply waits for the write, so an acknowledged change is always on disk. Writes
 * never overlap and requests made during a write share the next one, which takes the changes as they
 * are then: twenty announcements at once cost two writes (two journal lines), not twenty.
 */
import { randomBytes } from "node:crypto";
import { JournalBroken, JournalFile, journalPath, recordLine } from "./journal.js";
import {
  type SavedRoute,
  type SavedState,
  STATE_VERSION,
  type StateRecord,
  type Verdicts,
  writeStateAtomically,
} from "./state.js";

export interface StateWriterOptions<T> {
  /** What to write, taken when the write starts. */
  snapshot(): T;
  write(batch: T): Promise<void>;
  /** A failed write keeps the last good file; announcing goes on, so this only reports it. */
  onError(error: Error): void;
}

export class StateWriter<T = SavedState> {
  private writing?: Promise<void>;
  private next?: { promise: Promise<void>; resolve: () => void };

  constructor(private readonly options: StateWriterOptions<T>) {}

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

/** Routes changed since the last call: put whole, or removed by prefix. */
interface RouteChanges {
  routes: SavedRoute[];
  removed: string[];
}

export interface StateSource {
  /** Drains the changes since the last call: each is written once, or covered by a snapshot. */
  changes(): RouteChanges;
  /** Every saved route, for a snapshot. */
  routes(): SavedRoute[];
  sequence(): number;
  health(): Verdicts;
}

/** What one write does, decided when it starts (state taken then, synchronously). */
export type StateBatch =
  | { kind: "snapshot"; state: SavedState }
  | { kind: "append"; line: string; sequence: number }
  | { kind: "none"; sequence: number };

/** Slack above twice the snapshot: a small state is cheap to rewrite, but not at every change. */
const MIN_JOURNAL_BYTES = 64 * 1024;

/**
 * The state on disk as a snapshot plus a journal (issue 15): each batch of changes is one appended
 * line and one fsync, whatever the number of routes. A new snapshot (compaction) is written at the
 * first write after start, after a journal that could not be repaired, when the journal outgrows twice
 * the snapshot (so rewriting stays O(1) per change, amortised) and at a clean stop.
 */
export class JournaledState {
  private journal?: JournalFile;
  private journalFor = "";
  private snapshotBytes = 0;
  private lastSequence = -1;
  private lastHealth = "{}";
  /** A batch whose append failed but was cut back cleanly: written again before the next one. */
  private retry = "";
  private appended = false;

  constructor(
    /** The config's `state`: a reload that moves it starts a new snapshot and journal there. */
    private readonly path: () => string,
    private readonly source: StateSource,
  ) {}

  take(): StateBatch {
    const sequence = this.source.sequence();
    const stale = this.journalFor !== this.path();
    if (!this.journal || stale || this.journal.bytes > 2 * this.snapshotBytes + MIN_JOURNAL_BYTES) {
      return { kind: "snapshot", state: this.snapshot() };
    }
    const { routes, removed } = this.source.changes();
    const record: StateRecord = {};
    if (removed.length > 0) record.removed = removed;
    if (routes.length > 0) record.routes = routes;
    if (sequence > this.lastSequence) record.sequence = sequence;
    const health = this.source.health();
    const healthText = JSON.stringify(health);
    if (healthText !== this.lastHealth) record.health = health;
    this.lastSequence = Math.max(this.lastSequence, sequence);
    this.lastHealth = healthText;
    const empty = Object.keys(record).length === 0;
    if (empty && this.retry === "") return { kind: "none", sequence };
    return { kind: "append", line: empty ? "" : recordLine(record), sequence };
  }

  async write(batch: StateBatch): Promise<void> {
    if (batch.kind === "snapshot") return this.compact(batch.state);
    if (batch.kind === "none") return;
    const text = this.retry + batch.line;
    try {
      await this.journal!.append(text);
      this.retry = "";
      this.appended = true;
    } catch (error) {
      if (error instanceof JournalBroken) await this.drop();
      else this.retry = text;
      throw error;
    }
  }

  /** At a clean stop: the journal's records go into a new snapshot, so the next start reads one file. */
  async close(): Promise<void> {
    if (this.appended || this.retry !== "") await this.compact(this.snapshot());
    await this.drop();
  }

  private snapshot(): SavedState {
    this.source.changes(); // the snapshot holds them all
    const health = this.source.health();
    return {
      version: STATE_VERSION,
      generation: randomBytes(8).toString("hex"),
      routes: this.source.routes(),
      sequence: this.source.sequence(),
      ...(Object.keys(health).length > 0 ? { health } : {}),
    };
  }

  /** Snapshot first, then the new journal: a crash between them leaves an old journal nobody replays. */
  private async compact(state: SavedState): Promise<void> {
    await this.drop();
    const path = this.path();
    this.snapshotBytes = await writeStateAtomically(path, state);
    this.retry = "";
    this.lastSequence = state.sequence;
    this.lastHealth = JSON.stringify(state.health ?? {});
    this.journal = await JournalFile.create(journalPath(path), state.generation!);
    this.journalFor = path;
    this.appended = false;
  }

  private async drop(): Promise<void> {
    const journal = this.journal;
    this.journal = undefined;
    await journal?.close().catch(() => {});
  }
}
