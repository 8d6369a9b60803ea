/** `riplet help COMMAND` reads like a short man page: usage, what it does, examples, exit status. */
import { describe, expect, it } from "vitest";
import { cli } from "../helpers/cli.js";

const COMMANDS = [
  "daemon",
  "announce",
  "withdraw",
  "routes",
  "status",
  "hook",
  "decode",
  "doctor",
  "demo",
  "run",
  "listen",
  "query",
  "completion",
];

describe("riplet help COMMAND", () => {
  it.each(COMMANDS)("%s: usage, examples and exit status", async (name) => {
    const { code, out } = await cli("help", name);
    const text = out.join("\n");
    expect(code).toBe(0);
    expect(text).toMatch(new RegExp(`^Usage: riplet ${name} `));
    if (!["hook", "completion"].includes(name)) expect(text).toMatch(/\nExamples?:\n {2}(sudo )?riplet /);
    expect(text).toMatch(/Exit status: 0 ok, 1 .* 2 .*\n3 the daemon could not be reached/);
  });

  it("lists every command in `riplet --help`, and --version prints package.json's version", async () => {
    const help = (await cli("--help")).out.join("\n");
    for (const name of COMMANDS) expect(help).toMatch(new RegExp(`\\n {2}${name} `));
    const { createRequire } = await import("node:module");
    const pkg = createRequire(import.meta.url)("../../package.json") as { version: string };
    expect((await cli("--version")).out).toEqual([pkg.version]);
  });
});
