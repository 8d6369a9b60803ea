/** The Node.js hook (SPEC §6; issue 13 item 6): up and down act only on a tun/tap device (or one gone). */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type DownHost, EXIT_FAILED, EXIT_OK, hookDown, hookUp } from "../../src/host/hook.js";

function harness(kind: "tap" | "uplink") {
  const calls: string[] = [];
  const lines: string[] = [];
  const host: DownHost = {
    interfaceExists: () => true,
    isTunTap: () => kind === "tap",
    removeAddresses: async (name, cidrs) => {
      calls.push(`remove ${name} ${cidrs.join(" ")}`);
    },
  };
  const dir = mkdtempSync(join(tmpdir(), "riplet-hook-down-"));
  const ctx = {
    ifname: kind === "uplink" ? "eth0" : "tap0",
    config: join(dir, "none.yaml"),
    socket: join(dir, "no-daemon.sock"), // nobody listens: the withdraw fails, the hook goes on
    env: { RIPLET_ADDRESSES: kind === "uplink" ? "192.0.2.2/24" : "198.51.100.1/24" },
  };
  return { calls, lines, run: () => hookDown(ctx, { err: (line) => lines.push(line) }, host) };
}

describe("hook down (Node.js)", () => {
  it("refuses an interface that is not a tap, in one line, exit 0, leaving its address", async () => {
    const h = harness("uplink");
    expect(await h.run()).toBe(EXIT_OK);
    expect(h.lines).toEqual(["riplet hook down eth0: not a tun/tap device; the hook only acts on VM taps"]);
    expect(h.calls).toEqual([]);
  });

  it("on a tap removes its addresses even when no daemon answers", async () => {
    const h = harness("tap");
    expect(await h.run()).toBe(EXIT_OK);
    expect(h.calls).toEqual(["remove tap0 198.51.100.1/24"]);
    expect(h.lines).toHaveLength(1); // the daemon was not reachable: said once
  });
});

describe("hook up (Node.js)", () => {
  it("refuses an interface that is not a tap before anything is asked or configured", async () => {
    const dir = mkdtempSync(join(tmpdir(), "riplet-hook-up-"));
    const lines: string[] = [];
    const ctx = {
      ifname: "lo", // exists everywhere, and is no tap
      config: join(dir, "none.yaml"),
      socket: join(dir, "no-daemon.sock"),
      env: { RIPLET_ADDRESSES: "198.51.100.1/24" },
    };
    expect(await hookUp(ctx, { err: (line) => lines.push(line) })).toBe(EXIT_FAILED);
    expect(lines).toEqual([
      "riplet hook up lo: lo is not a tun/tap device; the hook only configures VM taps",
    ]);
  });
});

describe("RIPLET_DHCP / RIPLET_RA", () => {
  it("are 0 or 1 for this one hook, unset means the config decides, anything else is refused", async () => {
    const { guestOverrides } = await import("../../src/host/hook.js");
    expect(guestOverrides({})).toEqual({});
    expect(guestOverrides({ RIPLET_DHCP: "1", RIPLET_RA: "0" })).toEqual({ dhcp: true, ra: false });
    expect(() => guestOverrides({ RIPLET_DHCP: "yes" })).toThrow('RIPLET_DHCP="yes": give 0 or 1');
  });
});
