/**
 * Link events as they happen: `ip -o monitor link` prints a line for every netlink link change, so a
 * tap deleted by the kernel (QEMU killed with SIGKILL: no down-script runs) is noticed in milliseconds
 * instead of at the next 250 ms poll. Polling stays as the safety net: without iproute2, or if the
 * monitor dies, nothing is missed, only later.
 */
import { type ChildProcess, spawn } from "node:child_process";

export interface LinkMonitor {
  stop(): void;
}

/** Calls onChange (at most once per event burst read) for every link change; restarts a dead monitor. */
export function monitorLinks(onChange: () => void, onError: (message: string) => void): LinkMonitor {
  let child: ChildProcess | undefined;
  let stopped = false;
  let restartTimer: NodeJS.Timeout | undefined;
  const start = () => {
    child = spawn("ip", ["-o", "monitor", "link"], { stdio: ["ignore", "pipe", "ignore"] });
    child.stdout?.on("data", () => onChange());
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
    stop: () => {
      stopped = true;
      if (restartTimer) clearTimeout(restartTimer);
      child?.kill("SIGTERM");
    },
  };
}
