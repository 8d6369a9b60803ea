/**
 * Each command loads only its own module (SPEC §2; issue 15: an idle daemon kept demo, doctor,
 * decode and the VM builder loaded). The word that names the command is found past the global options.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { commandLoaders, commandName } from "../../src/cli/commands.js";
import { cli } from "../helpers/cli.js";

describe("the command an argv names", () => {
  it("skips global options and their values", () => {
    expect(commandName(["daemon", "-c", "/etc/riplet/riplet.yaml"])).toBe("daemon");
    expect(commandName(["--socket", "/run/x.sock", "--log-level", "debug", "routes", "--json"])).toBe(
      "routes",
    );
    expect(commandName(["--socket=/run/x.sock", "status"])).toBe("status");
    expect(commandName(["--help"])).toBeUndefined();
  });

  it("loads one command when named, every command otherwise", () => {
    expect(commandLoaders(["--socket", "daemon", "routes"])).toHaveLength(1); // "daemon" is the socket path
    expect(commandLoaders(["daemon"])).toHaveLength(1);
    expect(commandLoaders(["deamon"]).length).toBeGreaterThan(10); // commander explains the typo
    expect(commandLoaders(["help", "daemon"]).length).toBeGreaterThan(10);
    expect(commandLoaders(["completion", "bash"]).length).toBeGreaterThan(10); // it describes them all
  });

  it("a named command still parses its options and global ones", async () => {
    const { code, out } = await cli("--socket", "/nonexistent/riplet.sock", "daemon", "--help");
    expect(code).toBe(0);
    expect(out.join("\n")).toMatch(/^Usage: riplet daemon /);
    const typo = await cli("deamon");
    expect(typo.code).toBe(2);
    expect(typo.err.join("\n")).toMatch(/unknown command 'deamon'/);
  });
});

// Which modules a process loaded is only visible from inside it: run the build with a resolve hook.
const bin = new URL("../../bin/riplet.js", import.meta.url).pathname;
const built = new URL("../../dist/src/cli/commands.js", import.meta.url);
describe.runIf(existsSync(built))("modules loaded by `riplet daemon`", () => {
  it("are not demo's, doctor's, decode's or the VM builder's", () => {
    const dir = mkdtempSync(join(tmpdir(), "riplet-modules-"));
    const hooks = join(dir, "hooks.mjs");
    writeFileSync(
      hooks,
      "export async function resolve(s, c, next) { const r = await next(s, c); process._rawDebug('LOADED ' + r.url); return r; }\n",
    );
    const register = join(dir, "register.mjs");
    writeFileSync(
      register,
      `import { register } from "node:module"; register(${JSON.stringify(`file://${hooks}`)});\n`,
    );
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ["--import", register, bin, ...args], { encoding: "utf8" }).stderr;
    const daemon = run("daemon", "--help");
    expect(daemon).toMatch(/LOADED .*\/cli\/commands\/daemon\.js/);
    expect(daemon).not.toMatch(/LOADED .*\/src\/(demo|doctor|vm|capture)\//);
    expect(daemon).not.toMatch(/LOADED .*\/(yaml|prom-client)\//);
    // and the other way round: `decode` does not load the daemon
    expect(run("decode", "--help")).not.toMatch(/LOADED .*\/daemon\/daemon\.js/);
  });
});
