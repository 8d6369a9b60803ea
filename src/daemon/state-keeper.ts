/**
 * The daemon's state file, kept true: read at start (the saved routes admitted again), written soon
 * after every change as a snapshot plus journal lines (state-writer.ts), the crypto sequence number
 * saved whenever it grew past the saved one, flushed and closed at stop. Split from daemon.ts, which
 * says when; this says what is saved and how.
 */
import type { Health } from "../health/state.js";
import { type AdmitPolicy, admitRoute } from "./admit.js";
import type { Guard } from "./guard.js";
import type { Logger } from "./log.js";
import type { RouteStore, SocketRoute } from "./route-store.js";
import { loadState, type SavedState, type Verdicts } from "./state.js";
import { JournaledState, type StateBatch, StateWriter } from "./state-writer.js";

export interface StateKeeperDeps {
  log: Logger;
  guard: Guard;
  /** The config's `state`, read at each use: a reload may move it. */
  path(): string;
  routes: RouteStore;
  /** The speaker's last crypto sequence number. */
  sequence(): number;
  /** Every health check's verdict now (Gate.report). */
  checks(): readonly { prefix: string; health: Health }[];
}

export class StateKeeper {
  /** The highest crypto sequence number on disk (or read from it at start). */
  private savedSequence = 0;

  /** The state file: a snapshot plus a journal of changes (one line and one fsync per batch). */
  private readonly files: JournaledState;

  private readonly writer: StateWriter<StateBatch>;

  constructor(private readonly deps: StateKeeperDeps) {
    this.files = new JournaledState(deps.path, {
      changes: () => deps.routes.takeChanges(),
      routes: () => deps.routes.saved(),
      sequence: () => deps.sequence(),
      health: () => {
        const health: Verdicts = {};
        for (const check of deps.checks())
          if (check.health !== "unknown") health[check.prefix] = check.health;
        return health;
      },
    });
    this.writer = new StateWriter<StateBatch>({
      snapshot: () => this.files.take(),
      write: async (batch) => {
        await this.files.write(batch);
        const sequence = batch.kind === "snapshot" ? batch.state.sequence : batch.sequence;
        this.savedSequence = Math.max(this.savedSequence, sequence);
      },
      // Disk full or read-only: the last good file stays; announcing goes on.
      onError: (error) =>
        deps.log.error({ state: deps.path(), err: error.message }, "cannot write state file"),
    });
  }

  /** Reads the state file, warning of each part that was not valid (and left out). */
  load(): SavedState {
    const { state, problems } = loadState(this.deps.path());
    for (const problem of problems) this.deps.log.warn({ state: this.deps.path() }, problem);
    this.savedSequence = state.sequence;
    return state;
  }

  /**
   * Saved routes come back at once (a checked one as its saved verdict says); one whose owner vanished
   * while we were down is withdrawn at the first link poll. Each is admitted again: the policy may
   * have changed while we were down.
   */
  restore(state: SavedState, policy: AdmitPolicy): void {
    let restored = 0;
    for (const saved of state.routes) {
      let route: SocketRoute;
      try {
        route = admitRoute(saved, policy);
      } catch (error) {
        this.deps.log.warn(
          { prefix: saved.prefix, reason: (error as Error).message },
          "saved route not restored",
        );
        continue;
      }
      this.deps.routes.add(route, state.health?.[route.spec.prefix.text]);
      restored++;
    }
    this.deps.log.info({ routes: restored }, "restored saved routes");
  }

  /** Writes the state file soon; resolves when a write with every change made so far is done. */
  persist(): Promise<void> {
    return this.writer.save();
  }

  /** persist() for paths nobody waits on: a fault is the guard's, never an unhandled rejection. */
  persistSoon(): void {
    this.deps.guard.run("state write", () => this.persist());
  }

  /** After datagrams went out: a sequence number past the saved one is saved. */
  sent(): void {
    if (this.deps.sequence() > this.savedSequence) this.persistSoon();
  }

  /** Waits for the writes under way, then closes the journal (a clean stop ends on a snapshot). */
  async close(): Promise<void> {
    await this.writer.flush();
    await this.files
      .close()
      .catch((error: Error) =>
        this.deps.log.error({ state: this.deps.path(), err: error.message }, "cannot write state file"),
      );
  }
}
