/**
 * Link events as they happen: `ip -o monitor link` prints a line for every netlink link change, so a
 * tap deleted by the kernel (QEMU killed with SIGKILL: no down-script runs) is noticed in milliseconds
 * instead of at the next 250 ms poll. Polling stays as the safety net: without iproute2, or if the
 * monitor dies, nothing is missed, only later.
 *
 * The child must never outlive the daemon (issue 13 item 8: every crash left one behind). It is
 * started through `setpriv --pdeathsig TERM` (util-linux), so the kernel signals it when we die,
 * even by SIGKILL; and a process 'exit' handler kills it on every exit Node.js itself runs.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";

export interface LinkMonitor {
  /** The monitor child's pid now (undefined between a crash and its restart). */
  readonly pid: number | undefined;
  stop(): void;
}

const MONITOR_ARGV = ["ip", "-o", "monitor", "link"];
let pdeathsig: boolean | undefined;

/**
 * True when `setpriv --pdeathsig` exists (util-linux is Essential on Debian; a minimal container may
 * lack it, or ship busybox without the option). Asked once per process.
 */
export function setprivHasPdeathsig(): boolean {
  if (pdeathsig === undefined) {
    try {
      pdeathsig = execFileSync("setpriv", ["--help"], { encoding: "utf8", timeout: 2000 }).includes(
        "--pdeathsig",
      );
    } catch {
      pdeathsig = false;
    }
  }
  return pdeathsig;
}

/**
 * The monitor's argv. PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, not the
 * process; that is fine here because libuv spawns children from the thread that runs the event loop,
 * which is the main thread and lives exactly as long as the daemon.
 */
export function monitorArgv(): string[] {
  return setprivHasPdeathsig() ? ["setpriv", "--pdeathsig", "TERM", "--", ...MONITOR_ARGV] : MONITOR_ARGV;
}

/** Calls onChange (at most once per event burst read) for every link change; restarts a dead monitor. */
export function monitorLinks(onChange: () => void, onError: (message: string) => void): LinkMonitor {
  let child: ChildProcess | undefined;
  let stopped = false;
  let restartTimer: NodeJS.Timeout | undefined;
  // 'exit' handlers run on process.exit() and on a normal end; SIGKILL is pdeathsig's job
  const killChild = () => child?.kill("SIGTERM");
  process.on("exit", killChild);
  const start = () => {
    const [command, ...args] = monitorArgv();
    child = spawn(command!, args, { stdio: ["ignore", "pipe", "ignore"] });
    child.stdout?.on("data", () => {
      try {
        onChange();
      } catch (error) {
        onError(`link event handler failed: ${(error as Error).message}`);
      }
    });
    child.once("error", (error) => onError(`ip monitor link: ${error.message}; falling back to polling`));
    child.once("exit", (code, signal) => {
      if (stopped) return;
      onError(`ip monitor link exited (${code ?? signal}); restarting it in 5 s, polling meanwhile`);
      restartTimer = setTimeout(start, 5000);
      restartTimer.unref();
    });
    child.unref();
    (child.stdout as { unref?: () => void } | null)?.unref?.();
  };
  start();
  return {
    get pid() {
      return child?.pid;
    },
    stop: () => {
      stopped = true;
      process.off("exit", killChild);
      if (restartTimer) clearTimeout(restartTimer);
      killChild();
    },
  };
}
