/** `riplet run`: a standalone foreground announcer; SIGTERM/SIGINT withdraws, then exits (SPEC §2). */
import { Command, Option } from "commander";
import { createLogger } from "../../daemon/log.js";
import { SpeakerHost } from "../../daemon/speaker-host.js";
import { PrefixError, parsePrefix } from "../../speaker/prefix.js";
import type { InterfaceConfig } from "../../speaker/types.js";
import { interfaceNames } from "../../transport/interfaces.js";
import { type CliIo, EXIT_FAILED, EXIT_OK, UsageError, untilStopped } from "../io.js";
import { AUTH_MODES, collect, parseAuth, parseInteger } from "../options.js";

interface RunOptions {
  interface: string[];
  metric: string;
  tag: string;
  auth?: string;
  key?: string[];
  md5AuthLength?: string;
  neighbor?: string[];
  multicast: boolean;
  triggered: "fast" | "rfc";
  updateInterval: string;
}

const EXAMPLES = `
Examples:
  sudo riplet run 198.51.100.0/24 2001:db8:42::/48 -i eth0
  sudo riplet run 198.51.100.0/24 -i eth0 --auth hmac-sha256 --key 3:s3cret
  sudo riplet run 198.51.100.0/24 -i eth0 --neighbor 192.0.2.1 --no-multicast

IPv4 prefixes go out by RIPv2 (UDP 520, 224.0.0.9) from the interface address; IPv6 prefixes by RIPng
(UDP 521, ff02::9) from its link-local address. Logs are JSON lines on stdout. Stop with Ctrl-C or
SIGTERM: every route is sent once more with metric 16 so the gateway drops it at once.`;

function parsePrefixes(texts: string[]) {
  return texts.map((text) => {
    try {
      return parsePrefix(text);
    } catch (error) {
      if (error instanceof PrefixError) throw new UsageError(error.message);
      throw error;
    }
  });
}

/**
 * Every -i must exist now: the speaker would otherwise wait, silently, for an interface that a typo
 * named (a missing one is normal for the daemon's taps, never for the uplinks given here).
 */
function checkInterfacesExist(names: readonly string[]): void {
  const present = interfaceNames();
  const missing = names.filter((name) => !present.has(name));
  if (missing.length === 0) return;
  const some = [...present].sort().slice(0, 8).join(", ");
  throw new UsageError(
    `-i ${missing[0]}: no such interface (there are ${some}${present.size > 8 ? ", ..." : ""})`,
  );
}

function interfacesFrom(options: RunOptions, hasV4: boolean, hasV6: boolean): InterfaceConfig[] {
  const md5AuthLength = options.md5AuthLength
    ? (parseInteger("--md5-auth-length", options.md5AuthLength, 16, 20) as 16 | 20)
    : undefined;
  if (md5AuthLength !== undefined && md5AuthLength !== 16 && md5AuthLength !== 20) {
    throw new UsageError("--md5-auth-length must be 16 (RFC 2082) or 20 (old-ripd)");
  }
  const auth = parseAuth(options.auth, options.key ?? [], md5AuthLength);
  const neighbors = options.neighbor ?? [];
  return options.interface.map((name) => ({
    name,
    ...(hasV4
      ? { ipv4: { auth, neighbors: neighbors.filter((n) => !n.includes(":")), multicast: options.multicast } }
      : {}),
    ...(hasV6
      ? { ipv6: { neighbors: neighbors.filter((n) => n.includes(":")), multicast: options.multicast } }
      : {}),
  }));
}

async function runRun(
  prefixTexts: string[],
  options: RunOptions,
  io: CliIo,
  logLevel: string,
): Promise<number> {
  const prefixes = parsePrefixes(prefixTexts);
  const metric = parseInteger("--metric", options.metric, 1, 15);
  const tag = parseInteger("--tag", options.tag, 0, 65535);
  const updateMs = parseInteger("--update-interval", options.updateInterval, 1, 3600) * 1000;
  const hasV4 = prefixes.some((p) => p.family === "ipv4");
  const hasV6 = prefixes.some((p) => p.family === "ipv6");
  const interfaces = interfacesFrom(options, hasV4, hasV6);
  checkInterfacesExist(options.interface);
  const log = createLogger(logLevel, io.logStream);
  const host = new SpeakerHost({
    interfaces,
    families: { ipv4: hasV4, ipv6: hasV6 },
    triggered: options.triggered,
    timers: { updateMs },
    log,
  });
  for (const prefix of prefixes) host.speaker.announce({ prefix, metric, tag }, 0);
  try {
    await host.start();
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const hint =
      e.code === "EACCES"
        ? "; run as root (or with CAP_NET_BIND_SERVICE)"
        : e.code === "EADDRINUSE"
          ? "; is another RIP speaker running?"
          : "";
    io.err(`riplet run: cannot open the RIP sockets: ${e.message}${hint}`);
    host.stop(false);
    return EXIT_FAILED;
  }
  log.info(
    {
      prefixes: prefixes.map((p) => p.text),
      interfaces: options.interface,
      metric,
      tag,
      auth: options.auth ?? "none",
    },
    "announcing",
  );
  const signal = await untilStopped(io);
  await host.stop(true);
  log.info({ signal, prefixes: prefixes.map((p) => p.text) }, "withdrawn, exiting");
  return EXIT_OK;
}

export function runCommand(io: CliIo, setExit: (code: number) => void, logLevel: () => string): Command {
  return new Command("run")
    .summary("announce prefixes in the foreground until stopped")
    .description(
      "Standalone announcer: no daemon or config file. Announces PREFIX... on each -i interface; on SIGTERM/SIGINT it withdraws them and exits.",
    )
    .argument("<prefix...>", "prefixes to announce, e.g. 198.51.100.0/24 2001:db8:42::/48")
    .requiredOption("-i, --interface <name>", "uplink toward the gateway (repeatable)", collect)
    .option("--metric <n>", "metric to announce, 1-15", "1")
    .option("--tag <n>", "route tag, 0-65535", "0")
    .addOption(new Option("--auth <mode>", "RIPv2 authentication").choices([...AUTH_MODES]))
    .option(
      "--key <[id:]secret>",
      "key: SECRET for simple, ID:SECRET for md5/hmac (repeatable; the first signs)",
      collect,
    )
    .option("--md5-auth-length <n>", "keyed-MD5 Auth Data Len: 16 (RFC 2082, default) or 20 (old-ripd)")
    .option("--neighbor <address>", "also send updates by unicast to this router (repeatable)", collect)
    .option("--no-multicast", "send to --neighbor addresses only, not to 224.0.0.9 / ff02::9")
    .addOption(
      new Option("--triggered <mode>", "triggered updates: fast (~10 ms) or rfc (1-5 s hold)")
        .choices(["fast", "rfc"])
        .default("fast"),
    )
    .option("--update-interval <seconds>", "periodic update interval", "30")
    .addHelpText("after", EXAMPLES)
    .action(async (prefixes: string[], options: RunOptions) =>
      setExit(await runRun(prefixes, options, io, logLevel())),
    );
}
