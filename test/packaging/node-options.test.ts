/**
 * The daemon's V8 options (issue 15) reach it however it starts: bin/riplet.js's shebang carries the
 * same ones the hook gives the daemon it spawns, and the shebang runs (`env -S`) as an installed
 * `riplet` does, the systemd unit's ExecStart included.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DAEMON_NODE_OPTIONS } from "../../src/daemon/node-options.js";

const BIN = new URL("../../bin/riplet.js", import.meta.url).pathname;
const built = new URL("../../dist/src/cli/main.js", import.meta.url);

describe("the daemon's node options", () => {
  it("are the ones bin/riplet.js's shebang gives node", () => {
    const shebang = readFileSync(BIN, "utf8").split("\n")[0]!;
    expect(shebang).toBe(`#!/usr/bin/env -S node ${DAEMON_NODE_OPTIONS.join(" ")}`);
  });

  it.runIf(existsSync(built))("reach the process when bin/riplet.js is run as a program", () => {
    // `riplet --version` runs through the shebang; node refuses an option it does not know
    const version = execFileSync(BIN, ["--version"], { encoding: "utf8" }).trim();
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    // and node gets the options: a script with the same first line prints what it was given
    const script = join(mkdtempSync(join(tmpdir(), "riplet-shebang-")), "argv.js");
    writeFileSync(
      script,
      `${readFileSync(BIN, "utf8").split("\n")[0]}\nconsole.log(process.execArgv.join(" "));\n`,
    );
    chmodSync(script, 0o755);
    expect(execFileSync(script, { encoding: "utf8" }).trim()).toBe(DAEMON_NODE_OPTIONS.join(" "));
  });
});
