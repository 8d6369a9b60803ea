/**
 * Guest addressing's lifecycle with a real daemon and real dnsmasq (issue 14 item 1), on taps made
 * with `ip tuntap` (the guests themselves are in guest-e2e.test.ts): the hook's up starts a server
 * bound to that tap only (an uplink never hears an offer or an RA), down stops it, a vanished tap
 * takes it along, a killed one is restarted, and a daemon killed with SIGKILL leaves it serving for
 * the next daemon to take over. Prints the server's start time and memory per tap.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  type Child,
  createPairLab,
  doctorCheck,
  guestReports,
  HOST_IF,
  interopDescribe,
  median,
  type PairLab,
  qemuArgv,
  REPO_ROOT,
  rssMiB,
  startDaemon,
  waitFor,
} from "../lab/index.js";

const HOOK_UP = join(REPO_ROOT, "hooks/qemu-ifup");
const HOOK_DOWN = join(REPO_ROOT, "hooks/qemu-ifdown");
const ADDRESSES = "198.51.100.1/24,2001:db8:42::1/64";

interopDescribe("guest addressing: one dnsmasq per tap, owned by the daemon", () => {
  let pair: PairLab;
  let socket: string;
  let config: string;
  let daemon: Child;
  let env: string[];

  beforeAll(async () => {
    pair = await createPairLab("guests");
    const dir = pair.lab.dir;
    socket = join(dir, "riplet.sock");
    config = join(dir, "riplet.yaml");
    writeFileSync(
      config,
      `interfaces: [{ name: ${HOST_IF} }]\ncontrol: { socket: ${socket} }\nstate: ${join(dir, "state", "state.json")}\nguests: { dhcp: true, ra: true, dns: [203.0.113.53] }\n`,
    );
    env = ["env", `RIPLET_CONFIG=${config}`, `RIPLET_SOCKET=${socket}`, `RIPLET_ADDRESSES=${ADDRESSES}`];
    daemon = await startDaemon(pair.lab, pair.host.ns, socket, config);
  });
  afterAll(() => pair?.lab.destroy());

  const guests = () => guestReports(socket);
  const serverOf = async (tap: string) => (await guests()).find((g) => g.tap === tap);
  const isDnsmasq = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("dnsmasq");
    } catch {
      return false;
    }
  };
  const ns = () => pair.host.ns;
  /** Private (anonymous) and proportional memory in KiB: most of dnsmasq's RSS is shared library pages. */
  const memoryKiB = (pid: number) => {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const field = (text: string, name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(text)?.[1]);
    return { rss: field(status, "VmRSS"), anon: field(status, "RssAnon"), pss: field(rollup, "Pss") };
  };
  const addTap = (tap: string) => pair.lab.exec(ns(), ["ip", "tuntap", "add", "dev", tap, "mode", "tap"]);
  const hook = (script: string, tap: string, extra: string[] = []) =>
    pair.lab.exec(ns(), [...env, ...extra, script, tap], { allowFail: true });

  /** tcpdump for DHCP and RAs on one interface; `seen()` is what it printed. */
  async function capture(ifname: string) {
    const filter = "udp port 67 or udp port 68 or (icmp6 and ip6[40] == 134)";
    const child = pair.lab.spawn(
      ns(),
      ["tcpdump", "-i", ifname, "-n", "-l", "-U", filter],
      `tcpdump ${ifname}`,
    );
    await waitFor(() => child.stderr.includes("listening on") || !child.running, {
      timeoutMs: 5000,
      what: `tcpdump on ${ifname}`,
    });
    return { seen: () => child.stdout, stop: () => child.stop(500) };
  }

  it("up starts a server on that tap only: the tap hears RAs, the uplink hears neither RAs nor offers", async () => {
    // QEMU without a guest holds the tap open (carrier on), so what dnsmasq sends into it is seen
    const onUplink = await capture(HOST_IF);
    const t0 = performance.now();
    const netdev = `tap,id=n0,ifname=tapg1,script=${HOOK_UP},downscript=${HOOK_DOWN}`;
    const qemu = pair.lab.spawn(ns(), [...env, ...qemuArgv(netdev)], "qemu tapg1");
    await waitFor(async () => (await serverOf("tapg1"))?.running === true || !qemu.running, {
      timeoutMs: 15_000,
      what: "the tap's server",
    });
    const upMs = Math.round(performance.now() - t0);
    const server = await serverOf("tapg1");
    expect(server).toMatchObject({
      tap: "tapg1",
      dhcp: true,
      ra: true,
      dns: ["203.0.113.53"],
      running: true,
    });
    expect(isDnsmasq(server!.pid!)).toBe(true);
    // the tap's side hears RAs (the positive control for the capture): dnsmasq answers a solicitation
    const onTap = await capture("tapg1");
    await waitFor(() => /ICMP6, router advertisement/.test(onTap.seen()), {
      timeoutMs: 20_000,
      what: "an RA on the tap",
    });
    // a DHCP client on the gateway's side of the uplink asks, and nobody answers
    const client = await pair.lab.exec(
      pair.gw.ns,
      ["busybox", "udhcpc", "-i", pair.gw.ifname, "-n", "-q", "-f", "-t", "3", "-T", "1", "-s", "/bin/true"],
      { allowFail: true },
    );
    expect(client.code).not.toBe(0);
    expect(onUplink.seen()).toMatch(/BOOTP\/DHCP, Request/); // the DISCOVERs did cross the uplink
    expect(onUplink.seen()).not.toMatch(/BOOTP\/DHCP, Reply|router advertisement/);
    await onTap.stop();
    await onUplink.stop();
    const check = await doctorCheck(pair.lab, ns(), { socket, config, tap: "tapg1", check: "guests" });
    // no guest behind this tap: served and listening, no lease yet
    expect(check).toMatchObject({ status: "warn" });
    expect(check?.message).toMatch(
      /DHCPv4 \+ router advertisements served by dnsmasq pid \d+, listening on tapg1/,
    );
    console.log(
      JSON.stringify({ test: "guest-server-up", qemuStartToServingMs: upMs, rssMiB: rssMiB(server!.pid!) }),
    );

    // QEMU quitting runs the down-script: the server stops, nothing is left running
    const pid = server!.pid!;
    await qemu.stop(3000, "SIGTERM");
    expect(await serverOf("tapg1")).toBeUndefined();
    expect(isDnsmasq(pid)).toBe(false);
  });

  it("a tap that vanishes (QEMU killed) takes its server along within a second", async () => {
    await addTap("tapg2");
    expect((await hook(HOOK_UP, "tapg2")).code).toBe(0);
    const pid = (await serverOf("tapg2"))!.pid!;
    const t0 = performance.now();
    await pair.lab.exec(ns(), ["ip", "link", "del", "tapg2"]);
    await waitFor(() => !isDnsmasq(pid), {
      timeoutMs: 1000,
      intervalMs: 10,
      what: "dnsmasq gone with its tap",
    });
    await waitFor(async () => (await serverOf("tapg2")) === undefined, {
      timeoutMs: 1000,
      what: "status without tapg2",
    });
    console.log(JSON.stringify({ test: "guest-server-tap-gone", ms: Math.round(performance.now() - t0) }));
  });

  it("a server that dies is restarted and counted", async () => {
    await addTap("tapg3");
    expect((await hook(HOOK_UP, "tapg3")).code).toBe(0);
    const first = (await serverOf("tapg3"))!.pid!;
    process.kill(first, "SIGKILL");
    await waitFor(
      async () => {
        const s = await serverOf("tapg3");
        return s?.running === true && s.pid !== first;
      },
      { timeoutMs: 10_000, what: "dnsmasq restarted" },
    );
    const server = await serverOf("tapg3");
    expect(server?.restarts).toBe(1);
    expect(isDnsmasq(server!.pid!)).toBe(true);
  });

  it("a daemon killed with SIGKILL leaves the server serving; the next daemon takes it over", async () => {
    const pid = (await serverOf("tapg3"))!.pid!;
    await daemon.stop(0, "SIGKILL");
    expect(isDnsmasq(pid)).toBe(true); // the guest's DHCP and RAs did not stop with the daemon
    daemon = await startDaemon(pair.lab, pair.host.ns, socket, config);
    await waitFor(async () => (await serverOf("tapg3")) !== undefined, {
      timeoutMs: 3000,
      what: "the takeover",
    });
    const server = await serverOf("tapg3");
    expect(server).toMatchObject({ running: true, pid });
    expect(daemon.stdout).toMatch(/guest addressing taken over from the last daemon/);
    // and it is still the daemon's to stop
    expect((await hook(HOOK_DOWN, "tapg3")).code).toBe(0);
    expect(isDnsmasq(pid)).toBe(false);
  });

  it("a tap gone while the daemon was down: the next daemon stops its server and forgets it", async () => {
    await addTap("tapg6");
    expect((await hook(HOOK_UP, "tapg6")).code).toBe(0);
    const pid = (await serverOf("tapg6"))!.pid!;
    await daemon.stop(0, "SIGKILL");
    await pair.lab.exec(ns(), ["ip", "link", "del", "tapg6"]);
    expect(isDnsmasq(pid)).toBe(true); // nobody watched the tap go
    daemon = await startDaemon(pair.lab, pair.host.ns, socket, config);
    // the socket answers first (a second daemon must stop there before it touches anything); the
    // servers are restored right after
    const record = join(pair.lab.dir, "state", "guests", "tapg6.json");
    await waitFor(() => !isDnsmasq(pid) && !existsSync(record), {
      timeoutMs: 3000,
      what: "the vanished tap's dnsmasq stopped and its record gone",
    });
    expect(await serverOf("tapg6")).toBeUndefined();
    expect(existsSync(join(pair.lab.dir, "state", "guests", "tapg6.leases"))).toBe(true); // for its next VM
  });

  it("RIPLET_DHCP=0 RIPLET_RA=0 turn it off for one VM; a tap that cannot be served fails the hook", async () => {
    await addTap("tapg4");
    expect((await hook(HOOK_UP, "tapg4", ["RIPLET_DHCP=0", "RIPLET_RA=0"])).code).toBe(0);
    expect(await serverOf("tapg4")).toBeUndefined();
    const refused = await hook(HOOK_UP, "tapg4", ["RIPLET_ADDRESSES=198.51.100.1/32,2001:db8:42::1/64"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      "riplet hook up tapg4: guest addressing: tapg4: 198.51.100.1/32 leaves no address to lease; use a /30 or shorter, or set dhcp: false",
    );
    expect((await hook(HOOK_UP, "tapg4", ["RIPLET_DHCP=maybe"])).stderr.trim()).toBe(
      'riplet hook up tapg4: RIPLET_DHCP="maybe": give 0 or 1',
    );
  });

  it("measures the server's start: hook up with and without guest addressing (median of 10)", async () => {
    const withGuests: number[] = [];
    const without: number[] = [];
    const rss: number[] = [];
    const anon: number[] = [];
    const pss: number[] = [];
    for (let i = 0; i < 10; i++) {
      await addTap("tapg5");
      let t = performance.now();
      expect((await hook(HOOK_UP, "tapg5", ["RIPLET_DHCP=0", "RIPLET_RA=0"])).code).toBe(0);
      without.push(performance.now() - t);
      t = performance.now();
      expect((await hook(HOOK_UP, "tapg5")).code).toBe(0);
      withGuests.push(performance.now() - t);
      const memory = memoryKiB((await serverOf("tapg5"))!.pid!);
      rss.push(memory.rss);
      anon.push(memory.anon);
      pss.push(memory.pss);
      await hook(HOOK_DOWN, "tapg5");
      await pair.lab.exec(ns(), ["ip", "link", "del", "tapg5"]);
    }
    console.log(
      JSON.stringify({
        test: "guest-server-start",
        hookUpWithGuestsMedianMs: Math.round(median(withGuests)),
        hookUpWithoutMedianMs: Math.round(median(without)),
        dnsmasqRssKiBMedian: median(rss),
        dnsmasqPrivateKiBMedian: median(anon),
        dnsmasqPssKiBMedian: median(pss),
      }),
    );
  });
});
