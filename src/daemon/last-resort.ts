/**
 * The last resort (issue 13): a fault that slipped past every Guard (an uncaughtException or an
 * unhandledRejection) ends the process, but not silently and not with the routes left on the gateway
 * until they time out. It is logged as fatal, the daemon's stop path runs (it withdraws every route,
 * as on SIGTERM) for at most STOP_BUDGET_MS, then the process exits non-zero so systemd restarts it.
 * No imports: a child process test loads this file on its own.
 */

/** How long the withdrawal may take before we exit anyway: a wedged daemon must still end. */
const STOP_BUDGET_MS = 1000;
/** Non-zero (SPEC §2: the operation failed), so `Restart=on-failure` brings the daemon back. */
const EXIT_CRASHED = 1;

export interface LastResortOptions {
  log: { fatal(fields: object, message: string): void };
  /** The daemon's stop path: poisons every route (unless withdrawOnExit: false), closes the sockets. */
  stop(): Promise<void>;
  exit(code: number): void;
  budgetMs?: number;
  /** The process to watch (tests pass an EventEmitter). */
  on?: Pick<NodeJS.Process, "on" | "off">;
}

/** Installs the handlers; returns a function that removes them (for a normal stop). */
export function installLastResort(options: LastResortOptions): () => void {
  const target = options.on ?? process;
  let ending = false;
  const fatal = (kind: string) => (error: unknown) => {
    const err = error instanceof Error ? error : new Error(String(error));
    options.log.fatal(
      { kind, err: err.message, stack: err.stack?.split("\n").slice(1, 6).join(" | "), ending },
      ending
        ? "another fatal fault while withdrawing; exiting anyway"
        : "fatal: uncaught fault; withdrawing every route, then exiting",
    );
    if (ending) return;
    ending = true;
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, options.budgetMs ?? STOP_BUDGET_MS);
    });
    const stopped = Promise.resolve()
      .then(() => options.stop())
      .catch(() => {}); // a stop that fails still exits
    void Promise.race([stopped, budget]).then(() => {
      clearTimeout(timer);
      options.exit(EXIT_CRASHED);
    });
  };
  const onException = fatal("uncaughtException");
  const onRejection = fatal("unhandledRejection");
  target.on("uncaughtException", onException);
  target.on("unhandledRejection", onRejection);
  return () => {
    target.off("uncaughtException", onException);
    target.off("unhandledRejection", onRejection);
  };
}
