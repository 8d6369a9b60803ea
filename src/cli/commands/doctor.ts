/** `riplet doctor`: walk the path from daemon to gateway and say what is wrong (SPEC §8). */
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { type DaemonConfig, DEFAULT_CONFIG_PATH, parseConfigText } from "../../daemon/config.js";
import { runChecks } from "../../doctor/checks.js";
import { observe } from "../../doctor/probe.js";
import { type CliIo, EXIT_FAILED, EXIT_OK } from "../io.js";

export function doctorCommand(io: CliIo, setExit: (code: number) => void, socket: () => string): Command {
  return new Command("doctor")
    .summary("check the path from a VM's tap to the gateway, step by step")
    .description(
      "Checks, in order: the daemon answers; the config (-c) reads, else the running daemon says which uplinks it has; each uplink is up with an address; the tap (if given) exists, is up and addressed; forwarding is on; rp_filter and the firewall let RIP and the VM's traffic through; a RIP neighbour was heard on each uplink; the gateway's answer to a Request includes our prefixes (the tap's, IPv4 by RIPv2 and IPv6 by RIPng). Each line: ok, warn or fail, and the fix.",
    )
    .argument("[ifname]", "a VM tap to check too")
    .addOption(
      new Option("-c, --config <file>", "daemon config (uplinks and keys)")
        .env("RIPLET_CONFIG")
        .default(DEFAULT_CONFIG_PATH),
    )
    .option(
      "--gateway <address>",
      "gateway to ask (default: a neighbour heard, else the default route's gateway)",
    )
    .option("--json", "one JSON object per check")
    .addHelpText(
      "after",
      "\nExamples:\n  sudo riplet doctor tap0\n  sudo riplet doctor --gateway 192.0.2.1 --json",
    )
    .action(
      async (
        ifname: string | undefined,
        options: { config: string; gateway?: string; json?: boolean },
        command: Command,
      ) => {
        // the default path may well be absent: then the running daemon says which uplinks it has
        const given = command.getOptionValueSource("config") !== "default";
        const { config, error } = readConfig(options.config, given);
        const observations = await observe({
          socket: socket(),
          ...(config ? { config } : {}),
          ...(error ? { configError: error } : {}),
          tap: ifname,
          gateway: options.gateway,
        });
        const results = runChecks(observations);
        for (const r of results) {
          if (options.json) io.out(JSON.stringify(r));
          else io.out(`${r.status.padEnd(4)} ${r.message}${r.fix ? `\n     fix: ${r.fix}` : ""}`);
        }
        setExit(results.some((r) => r.status === "fail") ? EXIT_FAILED : EXIT_OK);
      },
    );
}

/** The config, or why it could not be read; a missing file at the default path is no error. */
function readConfig(path: string, given: boolean): { config?: DaemonConfig; error?: string } {
  try {
    return {
      config: parseConfigText(readFileSync(path, "utf8"), path, (file) => readFileSync(file, "utf8").trim()),
    };
  } catch (error) {
    if (!given && (error as NodeJS.ErrnoException).code === "ENOENT") return {};
    return { error: (error as Error).message.replace(/^Error: /, "") };
  }
}
