/** A route's `check:` in the config (issue 8), checked where it enters, as the rest of the config is. */
import * as v from "valibot";
import { fields, matching, seconds, text, wholeNumber } from "../schema.js";
import type { Probe } from "./probes.js";
import type { HealthPolicy } from "./state.js";

const TCP_MESSAGE = "host:port, e.g. 127.0.0.1:80";
const HTTP_MESSAGE = "an http:// or https:// URL, e.g. http://127.0.0.1:8080/health";

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

export const checkSchema = v.pipe(
  fields({
    command: v.optional(text("systemctl is-active nginx")),
    tcp: v.optional(
      v.pipe(
        matching(/^(\[[0-9a-fA-F:.]+\]|[^\s:]+):\d{1,5}$/, TCP_MESSAGE),
        v.check((t) => Number(t.slice(t.lastIndexOf(":") + 1)) <= 65535, "the port is 0-65535"),
      ),
    ),
    http: v.optional(v.pipe(v.string(HTTP_MESSAGE), v.check(isHttpUrl, HTTP_MESSAGE))),
    interval: v.optional(seconds(3600)),
    timeout: v.optional(seconds(3600)),
    rise: v.optional(wholeNumber(1, 100)),
    fall: v.optional(wholeNumber(1, 100)),
    failMetric: v.optional(wholeNumber(1, 15)),
  }),
  v.check(
    (c) => [c.command, c.tcp, c.http].filter((x) => x !== undefined).length === 1,
    "give exactly one of command, tcp or http",
  ),
);

export type RawCheck = v.InferOutput<typeof checkSchema>;

/**
 * A check as `riplet announce --check-*` gives it, read by the same schema as the config's `check:`:
 * the check, or the first problem and the field it is in. Here, not in the command, so the command
 * loads valibot through this module only (a namespace import there would bundle all of valibot).
 */
export function parseCheck(raw: unknown): { check: RawCheck } | { field: string; message: string } {
  const parsed = v.safeParse(checkSchema, raw);
  if (parsed.success) return { check: parsed.output };
  const issue = parsed.issues[0];
  return { field: String(issue.path?.[0]?.key ?? ""), message: issue.message };
}

export interface HealthCheck {
  probe: Probe;
  policy: HealthPolicy;
  /** Announce with this worse metric while failing, instead of withdrawing. */
  failMetric?: number;
}

export function healthCheckOf(raw: RawCheck): HealthCheck {
  let probe: Probe;
  if (raw.command !== undefined) probe = { kind: "command", command: raw.command };
  else if (raw.tcp !== undefined) {
    const at = raw.tcp.lastIndexOf(":");
    probe = {
      kind: "tcp",
      host: raw.tcp.slice(0, at).replace(/^\[|\]$/g, ""),
      port: Number(raw.tcp.slice(at + 1)),
    };
  } else probe = { kind: "http", url: raw.http! };
  const policy: HealthPolicy = {
    intervalMs: (raw.interval ?? 5) * 1000,
    timeoutMs: (raw.timeout ?? 2) * 1000,
    rise: raw.rise ?? 2,
    fall: raw.fall ?? 3,
  };
  return { probe, policy, ...(raw.failMetric === undefined ? {} : { failMetric: raw.failMetric }) };
}
