/**
 * The three kinds of health check a route may carry, as ExaBGP users know them: a command (exit 0 is
 * healthy), a TCP connect, an HTTP GET (2xx or 3xx is healthy). Each gives up after `timeoutMs` and
 * never throws: a probe's trouble is its result.
 */
import { spawn } from "node:child_process";
import { createConnection } from "node:net";

export type Probe =
  | { kind: "command"; command: string }
  | { kind: "tcp"; host: string; port: number }
  | { kind: "http"; url: string };

export interface ProbeResult {
  ok: boolean;
  detail: string;
}

function commandProbe(command: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const child = spawn("/bin/sh", ["-c", command], { stdio: "ignore", detached: true });
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL"); // the whole group: sh and whatever it started
      } catch {
        // already gone
      }
      resolve({ ok: false, detail: `no exit within ${timeoutMs} ms` });
    }, timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      resolve({ ok: false, detail: error.message });
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, detail: signal ? `killed by ${signal}` : `exit ${code}` });
    });
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port, timeout: timeoutMs });
    const done = (result: ProbeResult) => {
      socket.destroy();
      resolve(result);
    };
    socket.once("connect", () => done({ ok: true, detail: `connected to ${host}:${port}` }));
    socket.once("timeout", () => done({ ok: false, detail: `no connection within ${timeoutMs} ms` }));
    socket.once("error", (error: NodeJS.ErrnoException) =>
      done({ ok: false, detail: error.code ?? error.message }),
    );
  });
}

async function httpProbe(url: string, timeoutMs: number): Promise<ProbeResult> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
    await response.body?.cancel();
    return { ok: response.status >= 200 && response.status < 400, detail: `HTTP ${response.status}` };
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    if (e.name === "TimeoutError") return { ok: false, detail: `no answer within ${timeoutMs} ms` };
    return { ok: false, detail: e.cause?.code ?? e.message };
  }
}

export function runProbe(probe: Probe, timeoutMs: number): Promise<ProbeResult> {
  if (probe.kind === "command") return commandProbe(probe.command, timeoutMs);
  if (probe.kind === "tcp") return tcpProbe(probe.host, probe.port, timeoutMs);
  return httpProbe(probe.url, timeoutMs);
}
