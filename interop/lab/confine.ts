/**
 * docs/riplet.service's sandbox, without systemd (no systemd runs here): the unit's capability
 * bounding and ambient sets and NoNewPrivileges through setpriv, and ProtectSystem=strict as a
 * private mount namespace in which every mount but /proc, /sys and /dev is read-only except the
 * directories the unit makes writable (RuntimeDirectory, StateDirectory). The rest of the unit
 * (PrivateTmp, ProtectHome, ...) hides paths riplet never touches and is not reproduced.
 */
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { REPO_ROOT } from "./riplet.js";

export const UNIT_PATH = join(REPO_ROOT, "docs", "riplet.service");

export interface UnitSandbox {
  /** e.g. ["net_bind_service", "net_admin"], from CapabilityBoundingSet. */
  capabilities: string[];
  ambient: string[];
  noNewPrivileges: boolean;
  protectSystem: string | undefined;
  /** ExecStart split into words. */
  execStart: string[];
  /** ExecReload split into words (empty without one). */
  execReload: string[];
  /** KillSignal= as Node names it (systemd's default SIGTERM). */
  killSignal: NodeJS.Signals;
  /** TimeoutStopSec= in ms (systemd's default 90 s): how long a stop waits before SIGKILL. */
  timeoutStopMs: number;
  /** Every Environment= assignment, with %n (the unit's name) expanded as systemd does. */
  environment: Record<string, string>;
}

export function readUnit(path = UNIT_PATH): UnitSandbox {
  const text = readFileSync(path, "utf8");
  const directive = (name: string) => new RegExp(`^${name}=(.*)$`, "m").exec(text)?.[1]?.trim();
  const caps = (name: string) =>
    (directive(name) ?? "")
      .split(/\s+/)
      .filter(Boolean)
      .map((c) => c.replace(/^CAP_/, "").toLowerCase());
  return {
    capabilities: caps("CapabilityBoundingSet"),
    ambient: caps("AmbientCapabilities"),
    noNewPrivileges: directive("NoNewPrivileges") === "yes",
    protectSystem: directive("ProtectSystem"),
    execStart: (directive("ExecStart") ?? "").split(/\s+/),
    execReload: (directive("ExecReload") ?? "").split(/\s+/).filter(Boolean),
    killSignal: (directive("KillSignal") ?? "SIGTERM") as NodeJS.Signals,
    timeoutStopMs: Number(directive("TimeoutStopSec") ?? 90) * 1000,
    environment: environment(text, basename(path)),
  };
}

/**
 * Environment= lines (several allowed, each one or more VAR=VALUE words, optionally quoted whole);
 * %n is the unit's full name, as systemd.unit(5) specifiers say. Only what our unit uses is handled.
 */
function environment(text: string, unitName: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [, line] of text.matchAll(/^Environment=(.*)$/gm)) {
    for (const word of (line ?? "").match(/"[^"]*"|\S+/g) ?? []) {
      const assignment = word.replace(/^"(.*)"$/, "$1").replaceAll("%n", unitName);
      const eq = assignment.indexOf("=");
      if (eq > 0) env[assignment.slice(0, eq)] = assignment.slice(eq + 1);
    }
  }
  return env;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * `argv` wrapped to run under the unit's sandbox, with `writable` as the only writable directories
 * (they must exist). Run it with `ip netns exec` as usual: the mount namespace is private.
 */
export function confinedArgv(unit: UnitSandbox, writable: string[], argv: string[]): string[] {
  const set = (caps: string[]) => ["-all", ...caps.map((c) => `+${c}`)].join(",");
  const strict = unit.protectSystem === "strict";
  const script = [
    "set -e",
    strict
      ? "mounts=$(awk '{print $5}' /proc/self/mountinfo | grep -Ev '^/(proc|sys|dev)(/|$)' | sort -u)"
      : "",
    // bind the writable directories onto themselves first: remounting their parents leaves them alone
    ...(strict ? writable.map((dir) => `mount --bind ${quote(dir)} ${quote(dir)}`) : []),
    strict ? 'for m in $mounts; do mount -o remount,bind,ro "$m"; done' : "",
    [
      "exec setpriv",
      unit.noNewPrivileges ? "--no-new-privs" : "",
      `--bounding-set ${set(unit.capabilities)}`,
      `--inh-caps ${set(unit.ambient)}`,
      `--ambient-caps ${set(unit.ambient)}`,
      '-- "$@"',
    ]
      .filter(Boolean)
      .join(" "),
  ]
    .filter(Boolean)
    .join("\n");
  return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, "confine", ...argv];
}
