/** `riplet announce` / `riplet withdraw`: ask the daemon to change what it announces (SPEC §2). */
import { Command } from "commander";
import type { RawCheck } from "../../health/config.js";
import { batch, gatherPrefixes } from "../bulk.js";
import { askBatched, reportFailure } from "../daemon-client.js";
import { type CliIo, EXIT_OK, UsageError } from "../io.js";
import { parseInteger } from "../options.js";

interface CheckOptions {
  checkTcp?: string;
  checkHttp?: string;
  checkCommand?: string;
  checkInterval?: string;
  checkTimeout?: string;
  rise?: string;
  fall?: string;
  failMetric?: string;
}

interface AnnounceOptions extends CheckOptions {
  owner?: string;
  metric: string;
  tag: string;
  nextHop?: string;
  file?: string;
  json?: boolean;
}

function seconds(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || value <= 0 || value > 3600)
    throw new UsageError(`${option} ${text}: must be a number of seconds above 0 and up to 3600, e.g. 0.5`);
  return value;
}

/**
 * The --check-* options as a route's `check:` (the config's shape), or undefined when none is given,
 * read by the daemon's check schema. The schema (health/config.ts, with
 * valibot) and the next-hop rule below load only when their options are given: most announces have
 * neither, and every module is start-up time (issue 16).
 */
async function checkFromOptions(o: CheckOptions): Promise<RawCheck | undefined> {
  const probes = [o.checkTcp, o.checkHttp, o.checkCommand].filter((p) => p !== undefined);
  const timing = [o.checkInterval, o.checkTimeout, o.rise, o.fall, o.failMetric].some((t) => t !== undefined);
  if (probes.length === 0) {
    if (timing)
      throw new UsageError(
        "--check-interval, --check-timeout, --rise, --fall and --fail-metric need a check: add --check-tcp, --check-http or --check-command",
      );
    return undefined;
  }
  if (probes.length > 1) throw new UsageError("give one of --check-tcp, --check-http or --check-command");
  const integer = (option: string, text: string | undefined, max: number) =>
    text === undefined ? undefined : parseInteger(option, text, 1, max);
  const raw = {
    tcp: o.checkTcp,
    http: o.checkHttp,
    command: o.checkCommand,
    interval: seconds("--check-interval", o.checkInterval),
    timeout: seconds("--check-timeout", o.checkTimeout),
    rise: integer("--rise", o.rise, 100),
    fall: integer("--fall", o.fall, 100),
    failMetric: integer("--fail-metric", o.failMetric, 15),
  };
  // unset options are left out, so the check reads as the config would write it
  const { parseCheck } = await import("../../health/config.js");
  const parsed = parseCheck(
    Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined)),
  );
  if ("check" in parsed) return parsed.check;
  const option = { tcp: "--check-tcp", http: "--check-http" }[parsed.field] ?? "check";
  throw new UsageError(`${option}: ${parsed.message}`);
}

/** The daemon's next-hop rule (speaker/next-hop.ts), at the option, for each prefix's family. */
async function checkNextHop(nextHop: string, prefixes: readonly string[]): Promise<void> {
  const { nextHopProblem } = await import("../../speaker/next-hop.js");
  for (const prefix of prefixes) {
    const problem = nextHopProblem(nextHop, prefix.includes(":") ? "ipv6" : "ipv4");
    if (problem) throw new UsageError(`--next-hop (${prefix}): ${problem.replace(/^nextHop: /, "")}`);
  }
}

export function announceCommand(io: CliIo, setExit: (code: number) => void, socket: () => string): Command {
  return new Command("announce")
    .summary("ask the daemon to announce prefixes")
    .description(
      "Announce PREFIX... through the running daemon. With --owner, the routes are withdrawn by themselves when that interface disappears.",
    )
    .argument("[prefix...]", "prefixes, e.g. 198.51.100.0/24 2001:db8:42::/48 (any number)")
    .option("--file <file>", "also announce the prefixes in FILE, one a line, # comments; - reads stdin")
    .option("--owner <ifname>", "interface that owns the routes (a VM tap)")
    .option("--metric <n>", "metric 1-15", "1")
    .option("--tag <n>", "route tag 0-65535", "0")
    .option("--next-hop <address>", "next hop to advertise (must be on the uplink's subnet)")
    .option("--check-tcp <host:port>", "announce only while a TCP connect to host:port succeeds")
    .option("--check-http <url>", "announce only while GET url answers 2xx or 3xx")
    .option(
      "--check-command <cmd>",
      "announce only while cmd exits 0 (run by /bin/sh as the daemon; needs control.allowCommandChecks)",
    )
    .option("--check-interval <s>", "seconds between checks (default 5)")
    .option("--check-timeout <s>", "seconds before a check counts as failed (default 2)")
    .option("--rise <n>", "passes in a row that bring the route up (default 2)")
    .option("--fall <n>", "failures in a row that take it down (default 3)")
    .option("--fail-metric <n>", "while failing, announce with this metric instead of withdrawing")
    .option("--json", "print the daemon's reply as JSON")
    .addHelpText(
      "after",
      `
Examples:
  riplet announce 198.51.100.0/24 --owner tap0
  riplet announce --file prefixes.txt --json
  riplet announce 203.0.113.10/32 --check-tcp 127.0.0.1:443 --check-interval 1 --fall 2

A checked route is kept by the daemon (and in its state file) but on the wire only while its check
passes; until the first passes it is "held" (see riplet routes). Announcing the prefix again without
a check removes the check.`,
    )
    .action(async (args: string[], options: AnnounceOptions) => {
      const metric = parseInteger("--metric", options.metric, 1, 15);
      const tag = parseInteger("--tag", options.tag, 0, 65535);
      const check = await checkFromOptions(options);
      const prefixes = await gatherPrefixes(io.readFile, args, options.file);
      if (prefixes.length === 0)
        throw new UsageError("give PREFIX... or --file FILE (a file with no prefix announces nothing)");
      if (options.nextHop) await checkNextHop(options.nextHop, prefixes);
      const routes = prefixes.map((prefix) => ({
        prefix,
        metric,
        tag,
        ...(options.owner ? { owner: options.owner } : {}),
        ...(options.nextHop ? { nextHop: options.nextHop } : {}),
        ...(check ? { check } : {}),
      }));
      const batches = batch(routes);
      const requests = batches.map((b, i) => ({ id: i + 1, op: "announce" as const, routes: b }));
      const outcome = await askBatched(socket(), requests);
      const announced = outcome.applied.flatMap((r) => r.announced);
      const held = outcome.applied.flatMap((r) => r.held ?? []);
      if (outcome.failure)
        return setExit(reportFailure(io, "announce", options.json, outcome, batches, announced));
      const sent = announced.filter((p) => !held.includes(p));
      if (options.json) {
        io.out(
          JSON.stringify({
            id: 1,
            ok: true,
            announced,
            ...(held.length > 0 ? { held } : {}),
            batches: batches.length,
          }),
        );
      } else {
        if (sent.length > 0) io.out(`announced ${sent.join(" ")}`);
        if (held.length > 0)
          io.out(`held, not on the wire until its check passes (or maintenance ends): ${held.join(" ")}`);
      }
      setExit(EXIT_OK);
    });
}

export { withdrawCommand } from "./withdraw.js";
