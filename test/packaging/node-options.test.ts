/**
 * The daemon's V8 options (issue 15) reach it however it starts: bin/riplet.js, run as a program (an
 * installed `riplet`, the systemd unit's ExecStart), gives `riplet daemon` the same ones the hook gives
 * the daemon it spawns, and gives them to no other command: they cost every other command start-up
 * time (issue 16).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DAEMON_NODE_OPTIONS } from "../../src/daemon/node-options.js";

const BIN = new URL("../../bin/riplet.js", import.meta.url).pathname;
const built = new URL("../../dist/cli/main.cjs", import.meta.url);

/** A program with bin/riplet.js's sh prologue that prints the node options it was started with. */
function prologueScript(): string {
  const lines = readFileSync(BIN, "utf8").split("\n");
  const prologue = lines.slice(
    0,
    lines.findIndex((l, i) => i > 0 && !l.startsWith("':' //;")),
  );
  const script = join(mkdtempSync(join(tmpdir(), "riplet-shebang-")), "argv.js");
  writeFileSync(script, `${prologue.join("\n")}\nconsole.log(JSON.stringify(process.execArgv));\n`);
  chmodSync(script, 0o755);
  return script;
}

describe("the daemon's node options", () => {
  it("are given by bin/riplet.js to `riplet daemon`, past the global options, and to nothing else", () => {
    const script = prologueScript();
    const execArgv = (...args: string[]) => JSON.parse(execFileSync(script, args, { encoding: "utf8" }));
    for (const args of [
      ["daemon", "-c", "/etc/riplet/riplet.yaml"],
      ["--socket", "/run/riplet/riplet.sock", "daemon", "--replace"],
      ["--socket=/run/x.sock", "--log-level", "debug", "daemon"],
    ]) {
      expect(execArgv(...args), args.join(" ")).toEqual(DAEMON_NODE_OPTIONS);
    }
    for (const args of [["--version"], ["routes"], ["--socket", "daemon", "status"], ["help", "daemon"]]) {
      expect(execArgv(...args), args.join(" ")).toEqual([]);
    }
  });

  it.runIf(existsSync(built))("bin/riplet.js runs as a program, through a symlink too", () => {
    const version = execFileSync(BIN, ["--version"], { encoding: "utf8" }).trim();
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    const help = execFileSync(BIN, ["daemon", "--help"], { encoding: "utf8" });
    expect(help).toMatch(/^Usage: riplet daemon /);
    // as /usr/bin/riplet is: node then finds dist/ beside the real file, not beside the link
    const link = join(mkdtempSync(join(tmpdir(), "riplet-link-")), "riplet");
    symlinkSync(BIN, link);
    expect(execFileSync(link, ["--version"], { encoding: "utf8" }).trim()).toBe(version);
  });
});
