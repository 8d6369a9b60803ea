/** A route's `check:` in the config (issue 8), checked where it enters, as the rest of the config is. */
import { z } from "zod";
import type { Probe } from "./probes.js";
import type { HealthPolicy } from "./state.js";

const seconds = z.number().positive().max(3600);

export const checkSchema = z
  .object({
    command: z.string().min(1).optional(),
    tcp: z
      .string()
      .regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:]+):\d{1,5}$/, "host:port, e.g. 127.0.0.1:80")
      .refine((t) => Number(t.slice(t.lastIndexOf(":") + 1)) <= 65535, "the port is 0-65535")
      .optional(),
    http: z.url({ protocol: /^https?$/ }).optional(),
    interval: seconds.optional(),
    timeout: seconds.optional(),
    rise: z.number().int().min(1).max(100).optional(),
    fall: z.number().int().min(1).max(100).optional(),
    failMetric: z.number().int().min(1).max(15).optional(),
  })
  .strict()
  .refine(
    (c) => [c.command, c.tcp, c.http].filter((x) => x !== undefined).length === 1,
    "give exactly one of command, tcp or http",
  );

export type RawCheck = z.infer<typeof checkSchema>;

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
