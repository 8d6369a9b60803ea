/**
 * `riplet reload` (issue 16 point 4): what ExecReload runs, so `systemctl reload riplet` fails when
 * the daemon refuses the new config. Exit 0 taken, 1 refused with the daemon's reason, 3 no daemon.
 * And the daemon's side: a config naming an uplink that does not exist is refused on reload, with
 * that reason, and the running config stays.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { checkUplinks, parseConfigText } from "../../src/daemon/config.js";
import { Daemon } from "../../src/daemon/daemon.js";
import { createLogger } from "../../src/daemon/log.js";
import { cli, jsonLines } from "../helpers/cli.js";
import { type FakeDaemon, fakeDaemon } from "../helpers/fake-daemon.js";

let current: FakeDaemon | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

const refusal = {
  ok: false,
  error: { code: "CONFIG_ERROR", message: "riplet.yaml:2: interfaces[0].name: uplink eth9 does not exist" },
};

describe("riplet reload", () => {
  it("sends reload and says it was taken, exit 0", async () => {
    current = await fakeDaemon();
    const { code, out, err } = await cli("--socket", current.socket, "reload");
    expect({ code, out, err }).toEqual({
      code: 0,
      out: ["riplet reload: config reloaded (announced routes stay)"],
      err: [],
    });
    expect(current.asked).toEqual([{ id: 1, op: "reload" }]);
  });

  it("a refused reload is exit 1 with the daemon's reason", async () => {
    current = await fakeDaemon(() => refusal);
    const { code, out, err } = await cli("--socket", current.socket, "reload");
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err).toEqual([
      "riplet reload: refused: riplet.yaml:2: interfaces[0].name: uplink eth9 does not exist (the running config stays)",
    ]);
  });

  it("--json: one object on stdout, for a refusal too", async () => {
    current = await fakeDaemon(() => refusal);
    const refused = await cli("--socket", current.socket, "reload", "--json");
    expect(refused.code).toBe(1);
    expect(jsonLines(refused.out)).toEqual([
      {
        ok: false,
        error: { code: "CONFIG_ERROR", message: expect.stringContaining("uplink eth9 does not exist") },
      },
    ]);
    await current.close();
    current = await fakeDaemon();
    const taken = await cli("--socket", current.socket, "reload", "--json");
    expect({ code: taken.code, out: jsonLines(taken.out) }).toEqual({ code: 0, out: [{ ok: true }] });
  });

  it("no daemon on the socket is exit 3, saying so", async () => {
    const socket = join(mkdtempSync(join(tmpdir(), "riplet-reload-")), "none.sock");
    const { code, err } = await cli("--socket", socket, "reload");
    expect(code).toBe(3);
    expect(err[0]).toMatch(/^riplet reload: cannot reach the riplet daemon on .*none\.sock/);
  });
});

describe("the daemon's reload with an uplink that does not exist", () => {
  it("is refused with that reason (CONFIG_ERROR), before anything changes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "riplet-reload-"));
    const file = join(dir, "riplet.yaml");
    const write = (uplink: string) =>
      writeFileSync(file, `interfaces: [{ name: ${uplink} }]\nstate: ${join(dir, "state.json")}\n`);
    const text = () => readFileSync(file, "utf8");
    // the loader `riplet daemon` gives the daemon (cli/commands/daemon.ts), minus the child process
    const loadConfig = () =>
      checkUplinks(
        parseConfigText(text(), file, () => ""),
        text(),
        file,
      );
    const log = createLogger("fatal", new Writable({ write: (_c, _e, done) => done() }));
    write("lo");
    const daemon = new Daemon({ log, loadConfig });
    write("rl-nosuch0");
    expect(await daemon.reload(7)).toEqual({
      id: 7,
      ok: false,
      error: {
        code: "CONFIG_ERROR",
        message: `${file}:1: interfaces[0].name: uplink rl-nosuch0 does not exist on this host; fix the name (\`ip -br link\` lists them) or create the interface first`,
      },
    });
  });
});
