/** Child processes for the lab: one-shot commands and long-running children with captured output. */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Resolve with the exit code instead of rejecting when the command fails. */
  allowFail?: boolean;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Runs argv to completion; rejects with the command and its stderr when it fails (unless allowFail). */
export function exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
  const [file, ...args] = argv;
  if (!file) throw new Error("exec: empty argv");
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { timeout: options.timeoutMs ?? 30_000, maxBuffer: 64 << 20, env: options.env ?? process.env },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        if (error && !options.allowFail) {
          reject(new Error(`${argv.join(" ")} failed (${error.code ?? error.signal}): ${stderr.trim()}`));
          return;
        }
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Synchronous best-effort run for exit handlers, where nothing asynchronous runs any more. */
export function execQuiet(argv: string[]): void {
  const [file, ...args] = argv;
  if (!file) return;
  try {
    execFileSync(file, args, { stdio: "ignore", timeout: 10_000 });
  } catch {
    // cleanup is best effort: the thing may already be gone
  }
}

/** A long-running child: its PID, its output so far, and a promise of its exit. */
export class Child {
  readonly pid: number;
  private out = "";
  private err = "";
  private exitCode: number | null | undefined;
  readonly exited: Promise<number | null>;

  constructor(
    readonly label: string,
    proc: ChildProcess,
  ) {
    if (proc.pid === undefined) throw new Error(`${label}: could not start`);
    this.pid = proc.pid;
    proc.on("error", (e) => {
      this.err += `${e.message}\n`;
    });
    proc.stdout?.setEncoding("utf8").on("data", (d: string) => {
      this.out += d;
    });
    proc.stderr?.setEncoding("utf8").on("data", (d: string) => {
      this.err += d;
    });
    // "exit": the PID is reaped and must never be signalled again; "close": all output is in
    proc.on("exit", (code) => {
      this.exitCode = code;
    });
    this.exited = new Promise((resolve) => {
      proc.on("close", (code) => {
        this.exitCode = code;
        resolve(code);
      });
    });
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** stdout as JSON objects, one per line; lines that are not JSON are skipped. */
  jsonLines(): Record<string, unknown>[] {
    return this.out
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) signalPid(this.pid, signal);
  }

  /** TERM, then KILL after graceMs; resolves once the process is gone. */
  async stop(graceMs = 3000, signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    if (!this.running) return this.exitCode ?? null;
    this.signal(signal);
    const timer = setTimeout(() => this.signal("SIGKILL"), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  describe(): string {
    return `${this.label} (pid ${this.pid})\n--- stdout\n${this.out.slice(-4000)}\n--- stderr\n${this.err.slice(-4000)}`;
  }
}

/** Starts argv with piped stdout/stderr. `ip netns exec` execs, so the PID is the program's own. */
export function startChild(label: string, argv: string[], env?: NodeJS.ProcessEnv): Child {
  const [file, ...args] = argv;
  if (!file) throw new Error("startChild: empty argv");
  const proc = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"], env: env ?? process.env });
  return new Child(label, proc);
}

/** Sends signal to pid if it still exists; true when it was there. */
export function signalPid(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
