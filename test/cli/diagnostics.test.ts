/**
 * Diagnostics that fail fast and say what is wrong (issue 16 point 6): each case is what a user
 * typed and what they must see, in-process through runCli.
 */
import { describe, expect, it } from "vitest";
import { cli, jsonLines } from "../helpers/cli.js";
import { fakeDaemon } from "../helpers/fake-daemon.js";

describe("riplet run", () => {
  it("refuses an -i interface that does not exist, at once, in one line, exit 2", async () => {
    const { code, out, err } = await cli("run", "198.51.100.0/24", "-i", "up9");
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^riplet run: -i up9: no such interface \(there are .*lo/);
  });
});

describe("--json errors are one JSON object on stdout, with the same exit code", () => {
  const unreachable = ["--socket", "/nonexistent/riplet.sock"];
  it.each([
    [[...unreachable, "routes", "--json"], 3, "UNREACHABLE", /cannot reach the riplet daemon/],
    [[...unreachable, "status", "--json"], 3, "UNREACHABLE", /cannot reach the riplet daemon/],
    [["status", "--bogus", "--json"], 2, "USAGE", /^unknown option '--bogus'$/],
    [["decode", "--json"], 2, "USAGE", /exactly one of --hex HEX or --pcap FILE/],
    [["decode", "--hex", "zzzz", "--json"], 2, "USAGE", /^--hex zzzz is not hex/],
    [["announce", "foo", "--json"], 2, "USAGE", /argument 1: "foo" is not an IPv4 or IPv6 prefix/],
  ] as const)("%j", async (args, exit, code, message) => {
    const { code: got, out, err } = await cli(...args);
    expect(got).toBe(exit);
    expect(err).toEqual([]);
    expect(out).toHaveLength(1);
    const reply = JSON.parse(out[0]!) as { ok: boolean; error: { code: string; message: string } };
    expect(reply).toMatchObject({ ok: false, error: { code } });
    expect(reply.error.message).toMatch(message);
  });

  it("carries the daemon's refusal code", async () => {
    const daemon = await fakeDaemon(() => ({ ok: false, error: { code: "RELOAD_REFUSED", message: "no" } }));
    try {
      const { code, out } = await cli("--socket", daemon.socket, "routes", "--json");
      expect(code).toBe(1);
      expect(jsonLines(out)).toEqual([{ ok: false, error: { code: "RELOAD_REFUSED", message: "no" } }]);
    } finally {
      await daemon.close();
    }
  });

  it("leaves errors as text on stderr without --json", async () => {
    const { code, out, err } = await cli("--socket", "/nonexistent/riplet.sock", "routes");
    expect(code).toBe(3);
    expect(out).toEqual([]);
    expect(err).toEqual([expect.stringMatching(/^riplet routes: cannot reach the riplet daemon/)]);
  });
});

describe("riplet help TOPIC", () => {
  it("says a topic that is no command is unknown and suggests one, like `riplet statsu`", async () => {
    for (const args of [["help", "statsu"], ["statsu"]]) {
      const { code, out, err } = await cli(...args);
      expect(code).toBe(2);
      expect(out).toEqual([]);
      expect(err.join("\n")).toMatch(/unknown command 'statsu'\n\(Did you mean status\?\)/);
    }
  });

  it("is the command's help for a command", async () => {
    const { code, out } = await cli("help", "status");
    expect(code).toBe(0);
    expect(out.join("\n")).toMatch(/^Usage: riplet status /);
  });
});
