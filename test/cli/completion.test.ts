/** `riplet completion bash`, run by a real bash as `complete -F` would run it. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cli } from "../helpers/cli.js";

let script = "";

beforeAll(async () => {
  const { code, out } = await cli("completion", "bash");
  expect(code).toBe(0);
  script = join(mkdtempSync(join(tmpdir(), "riplet-completion-")), "riplet.bash");
  writeFileSync(script, `${out.join("\n")}\n`);
});

/** What bash offers after the words (the last one is being typed). */
function complete(...words: string[]): string[] {
  const quoted = words.map((w) => `'${w}'`).join(" ");
  const out = execFileSync(
    "bash",
    [
      "-c",
      `source '${script}'; COMP_WORDS=(riplet ${quoted}); COMP_CWORD=${words.length}; _riplet; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { encoding: "utf8" },
  );
  return out.split("\n").filter(Boolean);
}

describe("bash completion", () => {
  it("is valid bash and registers itself for riplet", () => {
    execFileSync("bash", ["-n", script]);
    expect(
      execFileSync("bash", ["-c", `source '${script}'; complete -p riplet`], { encoding: "utf8" }),
    ).toMatch(/complete -F _riplet riplet/);
  });

  it("completes commands, subcommands and each command's own options", () => {
    expect(complete("st")).toEqual(["status"]);
    expect(complete("")).toEqual(
      expect.arrayContaining(["daemon", "announce", "hook", "doctor", "completion"]),
    );
    expect(complete("hook", "")).toEqual(expect.arrayContaining(["up", "down"]));
    expect(complete("status", "--")).toEqual(["--json", "--help"]);
    expect(complete("run", "--tr")).toEqual(["--triggered"]);
  });

  it("completes option values: choices per command, files, interfaces", () => {
    expect(complete("--log-level", "")).toEqual([
      "trace",
      "debug",
      "info",
      "warn",
      "error",
      "fatal",
      "silent",
    ]);
    expect(complete("run", "--auth", "hmac-sha2")).toEqual(["hmac-sha256"]);
    expect(complete("demo", "--gateway", "")).toEqual(["riplet", "frr", "bird"]);
    expect(complete("doctor", "--gateway", "")).toEqual([]); // an address there, not a choice
    expect(complete("run", "-i", "l")).toContain("lo");
    expect(complete("hook", "up", "l")).toContain("lo");
    expect(complete("daemon", "-c", script.slice(0, -3))).toEqual([script]);
  });

  it("refuses a shell it cannot do, in one line", async () => {
    const { code, err } = await cli("completion", "fish");
    expect(code).toBe(2);
    expect(err).toEqual(["riplet completion: no completion for fish; only bash is supported"]);
  });
});
