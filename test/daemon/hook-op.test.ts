import { describe, expect, it } from "vitest";
import type { Reply, Request, RouteIn } from "../../src/control/protocol.js";
import type { DaemonConfig } from "../../src/daemon/config.js";
import { type GuestOps, type HookRequest, handleHook, type TapOps } from "../../src/daemon/hook-op.js";
import { GuestPlanError } from "../../src/guests/plan.js";
import { GuestServerError } from "../../src/guests/process.js";
import { HostError } from "../../src/host/tap.js";
import { parsePrefix } from "../../src/speaker/prefix.js";
import type { RouteSpec } from "../../src/speaker/table.js";

/** A daemon stand-in that records, in order, what the hook op did to the table and to the tap. */
function harness(
  options: {
    taps?: DaemonConfig["taps"];
    refuse?: string;
    tun?: boolean;
    exists?: boolean;
    failTap?: boolean;
    guests?: Partial<DaemonConfig["guests"]>;
    /** The guest server refuses (check) or fails to start (up) with this message. */
    guestRefusal?: string;
    guestStartFailure?: string;
  } = {},
) {
  const log: string[] = [];
  const tap: TapOps = {
    isTunTap: () => options.tun ?? true,
    interfaceExists: () => options.exists ?? true,
    configureTap: async (name, cidrs) => {
      log.push(`configure ${name} ${cidrs.join(" ")}`);
      if (options.failTap) throw new HostError("ip -batch -: RTNETLINK answers: Operation not permitted");
    },
    enableForwarding: (f) => {
      log.push(`forwarding ${f.ipv4 ? "4" : ""}${f.ipv6 ? "6" : ""}`);
      return [];
    },
    removeAddresses: async (name, cidrs) => {
      log.push(`remove ${name} ${cidrs.join(" ")}`);
    },
  };
  const guests: GuestOps = {
    check: () => {
      if (options.guestRefusal) throw new GuestPlanError(options.guestRefusal);
    },
    up: async (name, addresses, settings) => {
      log.push(
        `guests up ${name} ${addresses.map((a) => a.cidr).join(" ")} dhcp=${settings.dhcp} ra=${settings.ra} dns=${settings.dns.join(",")}`,
      );
      if (options.guestStartFailure) throw new GuestServerError(options.guestStartFailure);
    },
    down: async (name) => {
      log.push(`guests down ${name}`);
    },
  };
  const ctx = {
    config: {
      taps: options.taps ?? {},
      guests: { dhcp: false, ra: false, dns: [], ...options.guests },
    } as unknown as DaemonConfig,
    guests,
    admit: (id: Request["id"], routes: RouteIn[]): RouteSpec[] | Reply => {
      const bad = routes.find((r) => r.prefix === options.refuse);
      if (bad)
        return {
          id,
          ok: false,
          error: { code: "PREFIX_NOT_ALLOWED", message: `${bad.prefix} is not allowed` },
        };
      return routes.map((r) => ({ prefix: parsePrefix(r.prefix), metric: 1, tag: 0, owner: r.owner }));
    },
    announce: async (id: Request["id"], specs: RouteSpec[]): Promise<Reply> => {
      log.push(`announce ${specs.map((s) => `${s.prefix.text}@${s.owner}`).join(" ")}`);
      return { id, ok: true, announced: specs.map((s) => s.prefix.text) };
    },
    withdrawOwner: async (id: Request["id"], owner: string): Promise<Reply> => {
      log.push(`withdraw ${owner}`);
      return { id, ok: true, withdrawn: [] };
    },
    // the daemon's triggered update leaving (control-ops.ts afterTriggeredSend)
    afterSend: async () => {
      log.push("sent");
    },
    tap,
  };
  return {
    log,
    run: (request: Omit<HookRequest, "id" | "op">) => handleHook({ id: 1, op: "hook", ...request }, ctx),
  };
}

describe("the control socket's hook op", () => {
  it("up: announces each address's network, owned by the tap, and configures the tap once it is sent", async () => {
    const h = harness();
    const reply = await h.run({
      action: "up",
      ifname: "tap0",
      addresses: ["198.51.100.1/24", "2001:db8:42::1/64"],
    });
    expect(reply).toMatchObject({ ok: true, announced: ["198.51.100.0/24", "2001:db8:42::/64"] });
    // the datagram leaves before any fork of `ip` (issue 15)
    expect(h.log).toEqual([
      "announce 198.51.100.0/24@tap0 2001:db8:42::/64@tap0",
      "sent",
      "configure tap0 198.51.100.1/24 2001:db8:42::1/64",
      "forwarding 46",
      "guests down tap0", // guests off: whatever served an earlier VM on this tap stops
    ]);
  });

  it("up without addresses takes taps.<ifname>.addresses from the daemon's config", async () => {
    const h = harness({ taps: { tap3: { addresses: ["203.0.113.1/25"] } } });
    expect(await h.run({ action: "up", ifname: "tap3" })).toMatchObject({
      ok: true,
      announced: ["203.0.113.0/25"],
    });
  });

  it("up with no addresses anywhere says where to put them", async () => {
    const reply = await harness().run({ action: "up", ifname: "tap1" });
    expect(reply).toMatchObject({ ok: false, error: { code: "BAD_REQUEST" } });
    expect(JSON.stringify(reply)).toMatch(/RIPLET_ADDRESSES=.*taps\.tap1\.addresses/);
  });

  it("a network the policy refuses leaves the tap untouched", async () => {
    const h = harness({ refuse: "198.51.100.0/24" });
    const reply = await h.run({ action: "up", ifname: "tap0", addresses: ["198.51.100.1/24"] });
    expect(reply).toMatchObject({ ok: false, error: { code: "PREFIX_NOT_ALLOWED" } });
    expect(h.log).toEqual([]);
  });

  it("refuses to configure an interface that is not a tun/tap device", async () => {
    const h = harness({ tun: false });
    const reply = await h.run({ action: "up", ifname: "eth0", addresses: ["198.51.100.1/24"] });
    expect(reply).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/eth0 is not a tun\/tap/) },
    });
    expect(h.log).toEqual([]);
  });

  it("a bad address is a BAD_REQUEST naming it, before anything changes", async () => {
    const h = harness();
    const reply = await h.run({ action: "up", ifname: "tap0", addresses: ["198.51.100.300/24"] });
    expect(reply).toMatchObject({
      ok: false,
      error: { code: "BAD_REQUEST", message: expect.stringMatching(/198\.51\.100\.300/) },
    });
    expect(h.log).toEqual([]);
  });

  it("a tap that cannot be configured takes the announcement back and fails", async () => {
    const h = harness({ failTap: true });
    const reply = await h.run({ action: "up", ifname: "tap0", addresses: ["198.51.100.1/24"] });
    expect(reply).toMatchObject({
      ok: false,
      error: { code: "HOST_ERROR", message: expect.stringMatching(/not permitted/) },
    });
    expect(h.log).toEqual([
      "announce 198.51.100.0/24@tap0",
      "sent",
      "configure tap0 198.51.100.1/24",
      "withdraw tap0",
    ]);
  });

  it("down withdraws the tap's routes before removing its addresses", async () => {
    const h = harness();
    const reply = await h.run({ action: "down", ifname: "tap0", addresses: ["198.51.100.1/24"] });
    expect(reply).toMatchObject({ ok: true });
    // the withdrawal leaves before the `ip` fork
    expect(h.log).toEqual(["withdraw tap0", "guests down tap0", "sent", "remove tap0 198.51.100.1/24"]);
  });

  it("down on an interface that is not a tap (the uplink) is refused and touches nothing", async () => {
    const h = harness({ tun: false });
    const reply = await h.run({ action: "down", ifname: "eth0", addresses: ["192.0.2.2/24"] });
    expect(reply).toEqual({
      id: 1,
      ok: false,
      error: {
        code: "BAD_REQUEST",
        message: "eth0 is not a tun/tap device; the hook only acts on VM taps",
      },
    });
    expect(h.log).toEqual([]); // neither its routes withdrawn nor its address removed
  });

  it("down on a tap already gone withdraws by owner and leaves addresses alone", async () => {
    const h = harness({ tun: false, exists: false });
    const reply = await h.run({ action: "down", ifname: "tap0", addresses: ["198.51.100.1/24"] });
    expect(reply).toMatchObject({ ok: true });
    expect(h.log).toEqual(["withdraw tap0", "guests down tap0"]);
  });

  it("refuses an address with anything after ADDRESS/LEN, before it reaches ip -batch", async () => {
    for (const action of ["up", "down"] as const) {
      const h = harness();
      const reply = await h.run({ action, ifname: "tap0", addresses: ["1.1.1.1/24/x"] });
      expect(reply).toMatchObject({ ok: false, error: { code: "BAD_REQUEST" } });
      expect(h.log.filter((l) => l.startsWith("configure") || l.startsWith("remove"))).toEqual([]);
    }
  });

  describe("guest addressing (SPEC §6)", () => {
    const up = { action: "up" as const, ifname: "tap0", addresses: ["198.51.100.1/24", "2001:db8:42::1/64"] };

    it("guests on: the tap's server starts after its addresses are on, with the config's DNS", async () => {
      const h = harness({ guests: { dhcp: true, ra: true, dns: ["203.0.113.53"] } });
      expect(await h.run(up)).toMatchObject({ ok: true });
      expect(h.log).toEqual([
        "announce 198.51.100.0/24@tap0 2001:db8:42::/64@tap0",
        "sent",
        "configure tap0 198.51.100.1/24 2001:db8:42::1/64",
        "forwarding 46",
        "guests up tap0 198.51.100.1/24 2001:db8:42::1/64 dhcp=true ra=true dns=203.0.113.53",
      ]);
    });

    it("taps.<ifname> overrides guests, and RIPLET_DHCP/RIPLET_RA (the request) override both", async () => {
      const h = harness({ guests: { dhcp: true, ra: true }, taps: { tap0: { addresses: [], ra: false } } });
      await h.run(up);
      expect(h.log.at(-1)).toBe("guests up tap0 198.51.100.1/24 2001:db8:42::1/64 dhcp=true ra=false dns=");
      const g = harness({ guests: { dhcp: true, ra: true }, taps: { tap0: { addresses: [], ra: false } } });
      await g.run({ ...up, dhcp: false, ra: true });
      expect(g.log.at(-1)).toBe("guests up tap0 198.51.100.1/24 2001:db8:42::1/64 dhcp=false ra=true dns=");
    });

    it("a refusal (no dnsmasq, no address to lease) leaves the tap and the table untouched", async () => {
      const h = harness({
        guests: { dhcp: true },
        guestRefusal: "dnsmasq is not installed; install it with: apt-get install -y dnsmasq-base",
      });
      const reply = await h.run(up);
      expect(reply).toEqual({
        id: 1,
        ok: false,
        error: {
          code: "HOST_ERROR",
          message:
            "guest addressing: dnsmasq is not installed; install it with: apt-get install -y dnsmasq-base",
        },
      });
      expect(h.log).toEqual([]);
    });

    it("a server that does not start takes the announcement back and fails the hook", async () => {
      const h = harness({
        guests: { dhcp: true },
        guestStartFailure: "dnsmasq did not start: failed to bind",
      });
      const reply = await h.run(up);
      expect(reply).toMatchObject({
        ok: false,
        error: { code: "HOST_ERROR", message: "guest addressing: dnsmasq did not start: failed to bind" },
      });
      expect(h.log.at(-1)).toBe("withdraw tap0");
    });
  });
});
