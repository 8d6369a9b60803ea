/**
 * `riplet check` (issue 16 point 4): a config checked as the daemon checks it, without starting
 * anything: exit 0 with what it holds, or 2 with the file, line and field of the first error; an
 * uplink that does not exist is such an error, for check and for the daemon itself.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cli, jsonLines } from "../helpers/cli.js";

/** A config in a fresh private directory; `uplink` names its one interface. */
function config(uplink: string, extra = ""): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "riplet-check-"));
  const file = join(dir, "riplet.yaml");
  writeFileSync(
    file,
    [
      "interfaces:",
      `  - name: ${uplink}`,
      "routes: [{ prefix: 198.51.100.0/24 }, { prefix: 2001:db8:42::/64 }]",
      `state: ${join(dir, "state", "state.json")}`,
      `control: { socket: ${join(dir, "run", "riplet.sock")} }`,
      extra,
    ].join("\n"),
  );
  return { dir, file };
}

const savedEnv = process.env.RIPLET_CONFIG;
afterEach(() => {
  if (savedEnv === undefined) delete process.env.RIPLET_CONFIG;
  else process.env.RIPLET_CONFIG = savedEnv;
});

describe("riplet check", () => {
  it("passes a good config with what it holds, and starts nothing", async () => {
    const { dir, file } = config("lo");
    const { code, out, err } = await cli("check", "-c", file);
    expect({ code, out, err }).toEqual({
      code: 0,
      out: [`riplet check: ${file} ok (1 uplink, 2 routes)`],
      err: [],
    });
    expect(existsSync(join(dir, "state"))).toBe(false);
    expect(existsSync(join(dir, "run"))).toBe(false);
  });

  it("refuses an uplink that does not exist, with file, line and field, exit 2", async () => {
    const { file } = config("rl-nosuch0");
    const { code, out, err } = await cli("check", "-c", file);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toEqual([
      `riplet check: ${file}:2: interfaces[0].name: uplink rl-nosuch0 does not exist on this host; fix the name (\`ip -br link\` lists them) or create the interface first`,
    ]);
  });

  it("refuses what the daemon's schema refuses, naming field and line", async () => {
    const { file } = config("lo", "timers: { update: 30, timeout: soon }");
    const { code, err } = await cli("check", "-c", file);
    expect(code).toBe(2);
    expect(err[0]).toMatch(new RegExp(`^riplet check: ${file}:6: timers\\.timeout: `));
  });

  it("refuses an existing state directory others can write, as the daemon would at start", async () => {
    const { dir, file } = config("lo");
    mkdirSync(join(dir, "state"));
    chmodSync(join(dir, "state"), 0o777);
    const { code, err } = await cli("check", "-c", file);
    expect(code).toBe(2);
    expect(err[0]).toContain(`${join(dir, "state")} is writable by others`);
  });

  it("reads $RIPLET_CONFIG when -c is not given, and a missing file is exit 2", async () => {
    const { file } = config("lo");
    process.env.RIPLET_CONFIG = file;
    expect((await cli("check")).out).toEqual([`riplet check: ${file} ok (1 uplink, 2 routes)`]);
    process.env.RIPLET_CONFIG = join(tmpdir(), "riplet-no-such-dir", "riplet.yaml");
    const missing = await cli("check");
    expect(missing.code).toBe(2);
    expect(missing.err[0]).toMatch(
      /cannot read .*riplet-no-such-dir\/riplet\.yaml: ENOENT; give one with -c FILE$/,
    );
  });

  it("--json prints one object, for a pass and for an error (on stdout, same exit code)", async () => {
    const good = config("lo").file;
    const ok = await cli("check", "-c", good, "--json");
    expect(ok.code).toBe(0);
    expect(jsonLines(ok.out)).toEqual([{ ok: true, file: good, uplinks: 1, routes: 2 }]);
    const bad = config("rl-nosuch0").file;
    const refused = await cli("check", "-c", bad, "--json");
    expect(refused.code).toBe(2);
    expect(refused.err).toEqual([]);
    expect(jsonLines(refused.out)).toEqual([
      {
        ok: false,
        error: { code: "CONFIG_ERROR", message: expect.stringContaining("uplink rl-nosuch0 does not exist") },
      },
    ]);
  });
});

describe("riplet daemon with an uplink that does not exist", () => {
  it("refuses to start: the same one line as check, exit 2, no socket or state made", async () => {
    const { dir, file } = config("rl-nosuch0");
    const { code, err } = await cli("--socket", join(dir, "run", "riplet.sock"), "daemon", "-c", file);
    expect(code).toBe(2);
    expect(err).toEqual([
      `riplet daemon: ${file}:2: interfaces[0].name: uplink rl-nosuch0 does not exist on this host; fix the name (\`ip -br link\` lists them) or create the interface first`,
    ]);
    expect(existsSync(join(dir, "run"))).toBe(false);
    expect(existsSync(join(dir, "state"))).toBe(false);
  });
});
