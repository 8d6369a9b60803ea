/**
 * Diagnostics that fail fast and say what is wrong (issue 16 point 6): each case is what a user
 * typed and what they must see, in-process through runCli.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { printDatagram } from "../../src/cli/format.js";
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

describe("riplet decode --pcap: time, destination and consistent exit codes", () => {
  const fixture = new URL("../fixtures/bird-ripng.pcap", import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), "riplet-decode-"));
  const whole = readFileSync(fixture);

  it("prints each datagram's capture time and destination, in text and JSON", async () => {
    const text = await cli("decode", "--pcap", fixture);
    expect(text.code).toBe(0);
    expect(text.out[0]).toBe(
      "frame 1  2026-11-28T06:10:47.813051Z  [fe80::ff:fe00:1]:521 → ff02::9  RIPng v1  request  whole table",
    );
    const [first] = jsonLines((await cli("decode", "--pcap", fixture, "--json")).out);
    expect(first).toMatchObject({
      frame: 1,
      time: "2026-11-28T06:10:47.813051Z",
      source: "fe80::ff:fe00:1",
      sourcePort: 521,
      destination: "ff02::9",
      family: "ipv6",
      command: "request",
    });
  });

  it("decodes what is whole of a truncated capture, then says where it ends, exit 1", async () => {
    const cut = join(dir, "cut.pcap");
    writeFileSync(cut, whole.subarray(0, whole.length - 10));
    const all = (await cli("decode", "--pcap", fixture)).out.filter((l) => l.startsWith("frame"));
    const { code, out, err } = await cli("decode", "--pcap", cut);
    expect(code).toBe(1);
    expect(out.filter((l) => l.startsWith("frame"))).toEqual(all.slice(0, -1));
    expect(err).toEqual([expect.stringMatching(/^riplet decode: .*cut\.pcap is truncated at byte \d+ /)]);
    const json = await cli("decode", "--pcap", cut, "--json");
    expect(json.code).toBe(1);
    expect(jsonLines(json.out).at(-1)).toMatchObject({ ok: false, error: { code: "TRUNCATED" } });
  });

  it("refuses a missing file and a file that is not a capture alike: one line, exit 2", async () => {
    const garbage = join(dir, "garbage.pcap");
    writeFileSync(garbage, Buffer.from("this is not a capture at all\n"));
    for (const [file, message] of [
      [join(dir, "missing.pcap"), /cannot read .*missing\.pcap: ENOENT$/],
      [garbage, /garbage\.pcap is not a capture riplet can read: not a pcap or pcapng file/],
    ] as const) {
      const { code, out, err } = await cli("decode", "--pcap", file);
      expect(code).toBe(2);
      expect(out).toEqual([]);
      expect(err).toEqual([expect.stringMatching(message)]);
    }
  });

  it("documents the exit codes and JSON fields in its help, without pointing at a SPEC file", async () => {
    const help = (await cli("help", "decode")).out.join("\n");
    expect(help).toMatch(/cut short .* exit status is 1/s);
    expect(help).toMatch(/destination/);
    const every = ["daemon", "announce", "withdraw", "routes", "status", "hook", "decode", "doctor", "demo"];
    for (const name of [...every, "run", "listen", "query", "completion"])
      expect((await cli("help", name)).out.join("\n")).not.toMatch(/SPEC/);
  });
});

describe("RIPLET_CONFIG", () => {
  it("is in daemon's and doctor's help, and the daemon reads it when -c is not given", async () => {
    for (const name of ["daemon", "doctor"])
      expect((await cli("help", name)).out.join("\n")).toMatch(/env: RIPLET_CONFIG/);
    const before = process.env.RIPLET_CONFIG;
    process.env.RIPLET_CONFIG = "/nonexistent/riplet-env.yaml";
    try {
      const { code, err } = await cli("daemon");
      expect(code).toBe(2);
      expect(err).toEqual([expect.stringMatching(/cannot read \/nonexistent\/riplet-env\.yaml/)]);
    } finally {
      if (before === undefined) delete process.env.RIPLET_CONFIG;
      else process.env.RIPLET_CONFIG = before;
    }
  });
});

// Sends one Request from UDP 520 to 127.0.0.2, where nothing answers: root only (the RIP port).
describe.runIf(process.getuid?.() === 0)("riplet query with auth and no answer", () => {
  it("says FRR never answers signed Requests and points at riplet listen --key", async () => {
    const args = ["query", "127.0.0.2", "-i", "lo", "--timeout", "1", "--auth", "md5", "--key", "3:s3cret"];
    const { code, err } = await cli(...args);
    expect(code).toBe(1);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(
      /^riplet query: no answer from 127\.0\.0\.2 within 1 s; FRR's ripd never answers an authenticated Request .*riplet listen -i lo --key 3:SECRET$/,
    );
    expect(err[0]).not.toContain("s3cret"); // the secret stays out of logs
    const plain = await cli("query", "127.0.0.2", "-i", "lo", "--timeout", "1", "--json");
    expect(plain.code).toBe(1);
    expect(jsonLines(plain.out)).toEqual([
      { ok: false, error: { code: "NO_ANSWER", message: "no answer from 127.0.0.2 within 1 s" } },
    ]);
  });
});

describe("announce and withdraw check prefixes before connecting", () => {
  const dir = mkdtempSync(join(tmpdir(), "riplet-prefixes-"));
  const file = join(dir, "vms.txt");
  writeFileSync(file, "# VMs\n198.51.100.0/24\n\n203.0.113.7\n");
  const cases = [
    [
      ["announce", "198.51.100.0/24", "198.51.100.7"],
      /^argument 2: 198\.51\.100\.7 has no prefix length; write it as CIDR, e\.g\. 198\.51\.100\.7\/32$/,
    ],
    [
      ["withdraw", "2001:db8::1"],
      /^argument 1: 2001:db8::1 has no prefix length; write it as CIDR, e\.g\. 2001:db8::1\/128$/,
    ],
    [
      ["announce", "--file", file],
      /vms\.txt:4: 203\.0\.113\.7 has no prefix length; write it as CIDR, e\.g\. 203\.0\.113\.7\/32$/,
    ],
    [["withdraw", "--file", file], /vms\.txt:4: 203\.0\.113\.7 has no prefix length/],
  ] as const;

  it.each(cases)("%j with no daemon: the prefix error, exit 2, not 'cannot reach'", async (args, message) => {
    const { code, err } = await cli("--socket", "/nonexistent/riplet.sock", ...args);
    expect(code).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]!.replace(/^riplet \w+: /, "")).toMatch(message);
  });

  it.each(cases)("%j with a daemon: the same error, and nothing is sent", async (args, message) => {
    const daemon = await fakeDaemon();
    try {
      const { code, err } = await cli("--socket", daemon.socket, ...args);
      expect(code).toBe(2);
      expect(err[0]!.replace(/^riplet \w+: /, "")).toMatch(message);
      expect(daemon.asked).toEqual([]);
    } finally {
      await daemon.close();
    }
  });
});

describe("listen's readable line", () => {
  it("shows when a datagram arrived and the interface, as tshark shows time, source and destination", () => {
    const out: string[] = [];
    const view = {
      frame: 3,
      time: "2026-12-03T12:00:00.123Z",
      source: "192.0.2.1",
      sourcePort: 520,
      interface: "eth0",
      family: "ipv4" as const,
      command: "response" as const,
      version: 2,
      entries: [],
    };
    printDatagram({ out: (l) => out.push(l) }, view, false);
    expect(out).toEqual([
      "frame 3  2026-12-03T12:00:00.123Z  192.0.2.1:520 on eth0  RIPv2  response  0 entries",
    ]);
  });
});
