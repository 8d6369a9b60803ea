/** `riplet routes`: what the daemon announces and in what state (SPEC §2). */
import { Command } from "commander";
import { ask } from "../daemon-client.js";
import { type CliIo, EXIT_OK } from "../io.js";

export function routesCommand(io: CliIo, setExit: (code: number) => void, socket: () => string): Command {
  return new Command("routes")
    .summary("list announced routes and their state")
    .description(
      "Routes the daemon announces: active, withdrawing (sent with metric 16 until the garbage time ends), or held (asked for, but its health check is not passing or maintenance is on). A route with a health check shows its verdict.",
    )
    .option("--json", "one JSON object per route")
    .addHelpText(
      "after",
      "\nExamples:\n  riplet routes\n  riplet routes --json | jq -r 'select(.owner == \"tap0\") | .prefix'",
    )
    .action(async (options: { json?: boolean }) => {
      const asked = await ask(io, "routes", socket(), { id: 1, op: "routes" });
      if (!asked.ok) return setExit(asked.code);
      const { routes } = asked.reply;
      if (options.json) for (const route of routes) io.out(JSON.stringify(route));
      else {
        io.out(`${"PREFIX".padEnd(24)} ${"STATE".padEnd(22)} METRIC TAG    OWNER      SOURCE AGE`);
        for (const r of routes) {
          const state = r.health ? `${r.state} (${r.health})` : r.state;
          io.out(
            `${r.prefix.padEnd(24)} ${state.padEnd(22)} ${String(r.metric).padEnd(6)} ${String(r.tag).padEnd(6)} ${(r.owner ?? "-").padEnd(10)} ${r.source.padEnd(6)} ${r.age}s`,
          );
        }
        if (routes.length === 0) io.out("(no routes)");
      }
      setExit(EXIT_OK);
    });
}
