/**
 * Real guests, end to end (issue 14 item 3), in the seed's topology: the host's default route points at
 * the gateway, and the gateway has addresses on its far side (203.0.113.1/32 and 2001:db8:ff::1/128 on
 * its loopback). A real Linux guest booted by QEMU behind a tap whose hooks are riplet's gets its IPv4
 * lease and SLAAC address from riplet's dnsmasq with the tap as its default gateway; the gateway (FRR,
 * and BIRD with hmac-sha256) reaches it over the routes riplet announced (ping, TCP), and it reaches the
 * gateway's far side. QEMU killed: routes and server gone. Five guests at once. The daemon killed and
 * restarted under running guests: no route lost on the gateway, leases kept.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Guest, guestDescribe, startGuest } from "../guest/index.js";
import {
  type Child,
  createPairLab,
  doctorCheck,
  type GatewayKind,
  guestReports,
  HOST_IF,
  holdsNever,
  kernelHasAll,
  kernelHasNone,
  median,
  type PairLab,
  REPO_ROOT,
  rssMiB,
  startDaemon,
  startGateway,
  waitFor,
} from "../lab/index.js";

const HOOK_UP = join(REPO_ROOT, "hooks/qemu-ifup");
const HOOK_DOWN = join(REPO_ROOT, "hooks/qemu-ifdown");
const FAR_V4 = "203.0.113.1";
const FAR_V6 = "2001:db8:ff::1";
const BOOT_MS = 120_000; // TCG on a busy 2-core machine; a guest boots in ~10 s alone
const RUNS = 10;

/** Tap n's subnets: its own /24 and /64, as a hypervisor gives each VM. */
const subnet = (n: number) => ({
  tap: `tapv${n}`,
  v4: `198.18.${n}.0/24`,
  v6: `2001:db8:42:${n.toString(16)}::/64`,
  addresses: `198.18.${n}.1/24,2001:db8:42:${n.toString(16)}::1/64`,
});

for (const [kind, auth] of [
  ["frr", undefined],
  ["bird", { mode: "hmac-sha256", keyId: 3, secret: "s3cret-256" }],
] as [GatewayKind, { mode: string; keyId: number; secret: string } | undefined][]) {
  guestDescribe(`a real guest behind riplet → ${kind}${auth ? ` (${auth.mode})` : ""}`, () => {
    let pair: PairLab;
    let socket: string;
    let config: string;
    let daemon: Child;
    const running = new Set<Guest>();

    beforeAll(async () => {
      pair = await createPairLab(`guest-${kind}`);
      await startGateway(
        kind,
        pair.lab,
        pair.gw,
        auth ? { bird: { rip: { auth: "hmac-sha256", keyId: auth.keyId, secret: auth.secret } } } : {},
      );
      // the gateway's far side, and the host's default routes toward it (the seed's topology)
      await pair.lab.exec(pair.gw.ns, ["ip", "addr", "add", `${FAR_V4}/32`, "dev", "lo"]);
      await pair.lab.exec(pair.gw.ns, ["ip", "addr", "add", `${FAR_V6}/128`, "dev", "lo"]);
      await pair.lab.exec(pair.host.ns, ["ip", "route", "add", "default", "via", pair.gw.v4]);
      await pair.lab.exec(pair.host.ns, [
        "ip",
        "-6",
        "route",
        "add",
        "default",
        "via",
        pair.gw.linkLocal,
        "dev",
        HOST_IF,
      ]);
      const dir = pair.lab.dir;
      socket = join(dir, "riplet.sock");
      config = join(dir, "riplet.yaml");
      const ipv4 = auth
        ? `{ auth: { mode: ${auth.mode}, keys: [{ id: ${auth.keyId}, secret: ${auth.secret} }] } }`
        : "true";
      writeFileSync(
        config,
        `interfaces: [{ name: ${HOST_IF}, ipv4: ${ipv4} }]\ncontrol: { socket: ${socket} }\nstate: ${join(dir, "state", "state.json")}\nguests: { dhcp: true, ra: true }\n`,
      );
      daemon = await startDaemon(pair.lab, pair.host.ns, socket, config);
    });
    afterAll(async () => {
      for (const guest of running) guest.kill("SIGKILL");
      await pair?.lab.destroy();
    });

    async function boot(n: number, hostname = `guest${n}`): Promise<Guest> {
      const s = subnet(n);
      const guest = await startGuest(pair.lab, pair.host.ns, {
        ifname: s.tap,
        hostname,
        script: HOOK_UP,
        downscript: HOOK_DOWN,
        env: { ...process.env, RIPLET_CONFIG: config, RIPLET_SOCKET: socket, RIPLET_ADDRESSES: s.addresses },
      });
      running.add(guest);
      void guest.exited.then(() => running.delete(guest));
      return guest;
    }

    /** The guest's DHCPv4 lease and its SLAAC address, both in. */
    const addressed = async (guest: Guest, timeoutMs = BOOT_MS) => {
      await guest.waitFor("lease", timeoutMs);
      return guest.waitFor("slaac", timeoutMs);
    };
    const routed = (n: number) => () => kernelHasAll(pair.lab, pair.gw.ns, [subnet(n).v4, subnet(n).v6]);
    const unrouted = (n: number) => () => kernelHasNone(pair.lab, pair.gw.ns, [subnet(n).v4, subnet(n).v6]);
    const address = (cidr: string | undefined) => cidr!.split("/")[0]!;
    const fromGateway = (argv: string[]) => pair.lab.exec(pair.gw.ns, argv, { allowFail: true });
    const ping = (target: string) => fromGateway(["busybox", "ping", "-c", "1", "-W", "2", target]); // iputils-ping is not a given;
    const guests = () => guestReports(socket);
    const leaseFile = (tap: string) => join(pair.lab.dir, "state", "guests", `${tap}.leases`);
    const processesIn = async (ns: string) => {
      const { stdout } = await pair.lab.exec(ns, ["ip", "netns", "pids", ns]).catch(() => ({ stdout: "" }));
      return stdout
        .split(/\s+/)
        .filter(Boolean)
        .map((pid) => {
          try {
            return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
          } catch {
            return "";
          }
        });
    };

    /** HTTP GET from the gateway to the guest's service; the body says which guest answered. */
    const httpFromGateway = (host: string) =>
      fromGateway([
        process.execPath,
        "-e",
        `require("node:http").get({host:${JSON.stringify(host)},port:80,path:"/",timeout:5000},r=>{let b="";r.on("data",d=>b+=d);r.on("end",()=>{console.log(b.trim());process.exit(0)})}).on("error",e=>{console.error(e.message);process.exit(1)})`,
      ]);

    it("the guest is addressed by riplet, routed by the gateway, and reaches the gateway's far side", async () => {
      const guest = await boot(1);
      const events = await addressed(guest);
      // DHCPv4 from the tap's pool, the tap as router; SLAAC in the tap's /64 (RA from the tap)
      expect(events.ipv4).toMatch(/^198\.18\.1\.(\d+)\/24$/);
      expect(events.ipv4).not.toBe("198.18.1.1/24");
      expect(events.router).toBe("198.18.1.1");
      expect(events.ipv6).toMatch(/^2001:db8:42:1:[0-9a-f:]+\/64$/);
      const v4 = address(events.ipv4);
      const v6 = address(events.ipv6);
      const routes = await guest.exec("ip route; ip -6 route");
      expect(routes.output).toMatch(/default via 198\.18\.1\.1 dev eth0/);
      expect(routes.output).toMatch(/default via fe80::[0-9a-f:]+ dev eth0/);
      // lease → route: the hook announced before the guest even booted
      expect(await routed(1)()).toBe(true);
      for (const target of [v4, v6]) expect((await ping(target)).code).toBe(0);
      for (const target of [FAR_V4, FAR_V6])
        expect((await guest.exec(`ping -c 1 -W 3 ${target}`)).code).toBe(0);
      for (const host of [v4, v6]) {
        const http = await httpFromGateway(host);
        expect(http.stdout.trim()).toBe("riplet-guest guest1");
      }
      // riplet status lists the lease: the guest's MAC, address and hostname
      const server = (await guests()).find((g) => g.tap === "tapv1");
      expect(server?.leases).toEqual([expect.objectContaining({ address: v4, hostname: "guest1" })]);
      // and doctor says the tap is served, listening, and the guest's lease
      const check = await doctorCheck(pair.lab, pair.host.ns, {
        socket,
        config,
        tap: "tapv1",
        check: "guests",
      });
      expect(check).toMatchObject({ status: "ok" });
      expect(check?.message).toContain(`leases: ${v4} (guest1)`);
      console.log(
        JSON.stringify({
          test: "guest-e2e",
          gateway: kind,
          bootedMs: events.booted,
          leaseMs: events.lease,
          slaacMs: events.slaac,
          dnsmasqRssMiB: rssMiB(server!.pid!),
        }),
      );
    }, 240_000);

    it("QEMU killed with SIGKILL: routes gone within 1 s, the tap's server stopped, nothing left running", async () => {
      const guest = [...running][0]!;
      const pid = (await guests()).find((g) => g.tap === "tapv1")!.pid!;
      const t0 = performance.now();
      guest.kill("SIGKILL");
      const gone = await waitFor(unrouted(1), { timeoutMs: 5000, intervalMs: 10, what: "routes withdrawn" });
      await waitFor(async () => !(await guests()).some((g) => g.tap === "tapv1"), {
        timeoutMs: 2000,
        what: "the tap's server gone from status",
      });
      console.log(
        JSON.stringify({
          test: "guest-sigkill",
          gateway: kind,
          routesGoneMs: Math.round(performance.now() - t0),
        }),
      );
      expect(gone).toBeLessThan(1000);
      const left = await processesIn(pair.host.ns);
      expect(left.filter((cmd) => /qemu|dnsmasq/.test(cmd))).toEqual([]);
      expect(left.some((cmd) => cmd.includes(`pid-file=`) && cmd.includes(String(pid)))).toBe(false);
    });

    it("five guests started at once: five leases, all reachable from the gateway", async () => {
      const t0 = performance.now();
      const five = await Promise.all([11, 12, 13, 14, 15].map((n) => boot(n)));
      const all = await Promise.all(five.map((g) => addressed(g, BOOT_MS * 2)));
      const readyMs = Math.round(performance.now() - t0);
      const leases = all.map((e) => address(e.ipv4));
      expect(new Set(leases).size).toBe(5);
      for (const [i, v4] of leases.entries()) expect(v4.startsWith(`198.18.${11 + i}.`)).toBe(true);
      await waitFor(
        async () => (await Promise.all([11, 12, 13, 14, 15].map((n) => routed(n)()))).every(Boolean),
        {
          timeoutMs: 10_000,
          what: "five VMs routed",
        },
      );
      for (const e of all) {
        expect((await ping(address(e.ipv4))).code).toBe(0);
        expect((await ping(address(e.ipv6))).code).toBe(0);
      }
      const servers = await guests();
      expect(servers.map((g) => [g.tap, g.leases.length])).toEqual(
        [11, 12, 13, 14, 15].map((n) => [`tapv${n}`, 1]),
      );
      console.log(JSON.stringify({ test: "five-guests", gateway: kind, allReadyMs: readyMs }));
      await Promise.all(five.map((g) => g.stop(5000)));
      await waitFor(
        async () => (await Promise.all([11, 12, 13, 14, 15].map((n) => unrouted(n)()))).every(Boolean),
        {
          timeoutMs: 10_000,
          what: "five VMs withdrawn",
        },
      );
    }, 400_000);

    it("the daemon killed and restarted under a running guest: no route lost, the lease kept and renewed", async () => {
      const guest = await boot(2);
      const events = await addressed(guest);
      const v4 = address(events.ipv4);
      await waitFor(routed(2), { timeoutMs: 10_000, what: "routes" });
      const server = (await guests()).find((g) => g.tap === "tapv2")!;
      const watch = holdsNever(async () => !(await routed(2)()), {
        durationMs: 8000,
        intervalMs: 50,
        what: "a route of the guest missing on the gateway",
      });
      await daemon.stop(0, "SIGKILL");
      daemon = await startDaemon(pair.lab, pair.host.ns, socket, config);
      await watch;
      await waitFor(async () => (await guests()).some((g) => g.tap === "tapv2"), {
        timeoutMs: 3000,
        what: "the takeover",
      });
      const after = (await guests()).find((g) => g.tap === "tapv2");
      expect(after).toMatchObject({ running: true, pid: server.pid }); // taken over, never stopped
      expect(after?.leases.map((l) => l.address)).toEqual([v4]);
      expect(readFileSync(leaseFile("tapv2"), "utf8")).toContain(v4);
      // the guest renews (udhcpc on SIGUSR1) and keeps its address
      const renewals = events.leases;
      await guest.exec("kill -USR1 $(pidof udhcpc)");
      await waitFor(() => guest.events.leases > renewals, { timeoutMs: 20_000, what: "a renewal" });
      expect(guest.events.ipv4).toBe(events.ipv4);
      expect((await ping(v4)).code).toBe(0);
      await guest.stop(5000);
    }, 240_000);

    if (kind === "frr") {
      it(`measures boot → lease → route, QEMU start → gateway pings the guest, SIGKILL → routes gone (median of ${RUNS})`, async () => {
        const rows: Record<string, number>[] = [];
        for (let i = 0; i < RUNS; i++) {
          const t0 = performance.now();
          // watched from QEMU's start: boot() returns only at the guest's first console line, seconds
          // after the up-hook announced the routes
          const routeAt = waitFor(routed(30 + i), { timeoutMs: BOOT_MS, intervalMs: 10, what: "route" }).then(
            () => performance.now() - t0,
          );
          const guest = await boot(30 + i);
          const e = await guest.waitFor("lease", BOOT_MS);
          const routeMs = await routeAt;
          const v4 = address(e.ipv4);
          await waitFor(async () => (await ping(v4)).code === 0, {
            timeoutMs: BOOT_MS,
            intervalMs: 10,
            what: "ping",
          });
          const pingMs = performance.now() - t0;
          const k0 = performance.now();
          guest.kill("SIGKILL");
          await waitFor(unrouted(30 + i), { timeoutMs: 5000, intervalMs: 10, what: "withdrawn" });
          rows.push({
            bootedMs: e.booted!,
            leaseMs: e.lease!,
            routeMs,
            pingMs,
            killToGoneMs: performance.now() - k0,
          });
        }
        const m = (key: string) => Math.round(median(rows.map((r) => r[key]!)));
        console.log(
          JSON.stringify({
            test: "guest-figures",
            gateway: kind,
            runs: RUNS,
            qemuStartToBootedMedianMs: m("bootedMs"),
            qemuStartToLeaseMedianMs: m("leaseMs"),
            qemuStartToRouteMedianMs: m("routeMs"),
            leaseMinusRouteMedianMs: Math.round(median(rows.map((r) => r.leaseMs! - r.routeMs!))),
            qemuStartToGatewayPingMedianMs: m("pingMs"),
            sigkillToRoutesGoneMedianMs: m("killToGoneMs"),
          }),
        );
      }, 400_000);
    }
  });
}
