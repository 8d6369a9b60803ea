/** `riplet announce` / `riplet withdraw`: ask the daemon to change what it announces (SPEC §2). */
import { Command } from "commander";
import { ask } from "../daemon-client.js";
import { type CliIo, EXIT_OK, UsageError } from "../io.js";
import { parseInteger } from "../options.js";

interface AnnounceOptions {
  owner?: string;
  metric: string;
  tag: string;
  nextHop?: string;
  json?: boolean;
}

export function announceCommand(io: CliIo, setExit: (code: number) => void, socket: () => string): Command {
  return new Command("announce")
    .summary("ask the daemon to announce prefixes")
    .description(
      "Announce PREFIX... through the running daemon. With --owner, the routes are withdrawn by themselves when that interface disappears.",
    )
    .argument("<prefix...>", "prefixes, e.g. 198.51.100.0/24 2001:db8:42::/48")
    .option("--owner <ifname>", "interface that owns the routes (a VM tap)")
    .option("--metric <n>", "metric 1-15", "1")
    .option("--tag <n>", "route tag 0-65535", "0")
    .option("--next-hop <address>", "next hop to advertise (must be on the uplink's subnet)")
    .option("--json", "print the daemon's reply as JSON")
    .addHelpText("after", "\nExample:\n  riplet announce 198.51.100.0/24 --owner tap0")
    .action(async (prefixes: string[], options: AnnounceOptions) => {
      const metric = parseInteger("--metric", options.metric, 1, 15);
      const tag = parseInteger("--tag", options.tag, 0, 65535);
      const routes = prefixes.map((prefix) => ({
        prefix,
        metric,
        tag,
        ...(options.owner ? { owner: options.owner } : {}),
        ...(options.nextHop ? { nextHop: options.nextHop } : {}),
      }));
      const asked = await ask(io, "announce", socket(), { id: 1, op: "announce", routes });
      if (!asked.ok) return setExit(asked.code);
      io.out(options.json ? JSON.stringify(asked.reply) : `announced ${prefixes.join(" ")}`);
      setExit(EXIT_OK);
    });
}

export function withdrawCommand(io: CliIo, setExit: (code: number) => void, socket: () => string): Command {
  return new Command("withdraw")
    .summary("ask the daemon to withdraw prefixes")
    .description(
      "Withdraw PREFIX..., or every route of --owner IFNAME. Withdrawn routes go out with metric 16 at once.",
    )
    .argument("[prefix...]", "prefixes to withdraw")
    .option("--owner <ifname>", "withdraw every route this interface owns")
    .option("--json", "print the daemon's reply as JSON")
    .addHelpText("after", "\nExamples:\n  riplet withdraw 198.51.100.0/24\n  riplet withdraw --owner tap0")
    .action(async (prefixes: string[], options: { owner?: string; json?: boolean }) => {
      if (prefixes.length > 0 === (options.owner !== undefined)) {
        throw new UsageError("give PREFIX... or --owner IFNAME (one of them)");
      }
      const request = options.owner ? { owner: options.owner } : { prefixes };
      const asked = await ask(io, "withdraw", socket(), { id: 1, op: "withdraw", ...request });
      if (!asked.ok) return setExit(asked.code);
      const withdrawn = (asked.reply.withdrawn as string[]) ?? [];
      io.out(
        options.json
          ? JSON.stringify(asked.reply)
          : withdrawn.length > 0
            ? `withdrawn ${withdrawn.join(" ")}`
            : "nothing to withdraw",
      );
      setExit(EXIT_OK);
    });
}
