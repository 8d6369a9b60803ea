/**
 * The main path (issue 5), end to end with real QEMU (qemu-system-x86_64 -machine none: no guest,
 * only its tap and the hooks) and a real gateway: QEMU started with hooks/qemu-ifup puts the VM's IPv4
 * and IPv6 subnets in the gateway's kernel table and the gateway reaches the tap through them; QEMU
 * quitting runs hooks/qemu-ifdown and the routes go; QEMU SIGKILLed runs no down-script, but the kernel
 * deletes its tap and the daemon withdraws the tap's routes within 1 s; ten QEMUs at once are all routed.
 * FRR without auth, BIRD with hmac-sha256. Prints hook run time and QEMU-start-to-route (median of 10).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  type Child,
  createPairLab,
  type GatewayKind,
  HOST_IF,
  interopDescribe,
  kernelHasAll,
  kernelHasNone,
  median,
  type PairLab,
  qemuArgv,
  startGateway,
  waitFor,
} from "../lab/index.js";

const ROOT = new URL("../..", import.meta.url).pathname;
const HOOK_UP = join(ROOT, "hooks/qemu-ifup");
const HOOK_DOWN = join(ROOT, "hooks/qemu-ifdown");
const RUNS = 10;

interface Vm {
  tap: string;
  v4: string;
  v6: string;
  child: Child;
}

const subnet = (n: number) => ({
  v4: `198.18.${n}.0/24`,
  v6: `2001:db8:42:${n.toString(16)}::/64`,
  addresses: `198.18.${n}.1/24,2001:db8:42:${n.toString(16)}::1/64`,
});

for (const [kind, auth] of [
  ["frr", undefined],
  ["bird", { mode: "hmac-sha256", keyId: 3, secret: "s3cret-256" }],
] as [GatewayKind, { mode: string; keyId: number; secret: string } | undefined][]) {
  interopDescribe(`QEMU → hooks → riplet → ${kind}${auth ? ` (${auth.mode})` : ""}`, () => {
    let pair: PairLab;
    let env: string[];
    let socket: string;

    beforeAll(async () => {
      pair = await createPairLab(`qemu-${kind}`);
      await startGateway(
        kind,
        pair.lab,
        pair.gw,
        auth ? { bird: { rip: { auth: "hmac-sha256", keyId: auth.keyId, secret: auth.secret } } } : {},
      );
      const dir = pair.lab.dir;
      socket = join(dir, "riplet.sock");
      const ipv4 = auth
        ? `{ auth: { mode: ${auth.mode}, keys: [{ id: ${auth.keyId}, secret: ${auth.secret} }] } }`
        : "true";
      writeFileSync(
        join(dir, "riplet.yaml"),
        `interfaces: [{ name: ${HOST_IF}, ipv4: ${ipv4} }]\ncontrol: { socket: ${socket} }\nstate: ${join(dir, "state.json")}\n`,
      );
      env = [
        "env",
        `RIPLET_CONFIG=${join(dir, "riplet.yaml")}`,
        `RIPLET_SOCKET=${socket}`,
        `RIPLET_LOG=${join(dir, "daemon.log")}`,
      ];
    });
    afterAll(() => pair?.lab.destroy());

    /** QEMU with no guest, only the tap and the hooks, in the host namespace. */
    function spawnQemu(tap: string, addresses: string): Child {
      const netdev = `tap,id=n0,ifname=${tap},script=${HOOK_UP},downscript=${HOOK_DOWN}`;
      const argv = [...env, `RIPLET_ADDRESSES=${addresses}`, ...qemuArgv(netdev)];
      return pair.lab.spawn(pair.host.ns, argv, `qemu ${tap}`);
    }

    function startVm(n: number): Vm {
      const s = subnet(n);
      return { tap: `tap${n}`, v4: s.v4, v6: s.v6, child: spawnQemu(`tap${n}`, s.addresses) };
    }

    const routed = (vm: Vm) => () => kernelHasAll(pair.lab, pair.gw.ns, [vm.v4, vm.v6]);
    const unrouted = (vm: Vm) => () => kernelHasNone(pair.lab, pair.gw.ns, [vm.v4, vm.v6]);

    async function echo(target: string): Promise<boolean> {
      const server = pair.lab.spawn(
        pair.host.ns,
        [
          process.execPath,
          "-e",
          `const s=require("node:dgram").createSocket("${target.includes(":") ? "udp6" : "udp4"}");s.on("message",(m,r)=>s.send(m,r.port,r.address));s.bind(7,"${target}",()=>console.log("ready"));`,
        ],
        "echo",
      );
      try {
        await waitFor(() => server.stdout.includes("ready") || !server.running, {
          timeoutMs: 5000,
          what: "echo server",
        });
        const client = `const s=require("node:dgram").createSocket("${target.includes(":") ? "udp6" : "udp4"}");s.on("message",()=>process.exit(0));s.send("x",7,"${target}");setTimeout(()=>process.exit(1),2000);`;
        const { code } = await pair.lab.exec(pair.gw.ns, [process.execPath, "-e", client], {
          allowFail: true,
        });
        return code === 0;
      } finally {
        await server.stop(500, "SIGKILL");
      }
    }

    it("a VM's subnets reach the gateway, the gateway reaches the tap, and quitting withdraws them", async () => {
      const vm = startVm(1);
      await waitFor(routed(vm), { timeoutMs: 15_000, what: `${vm.v4} and ${vm.v6} on the gateway` });
      expect(await echo("198.18.1.1")).toBe(true);
      expect(await echo("2001:db8:42:1::1")).toBe(true);
      const t0 = performance.now();
      await vm.child.stop(3000, "SIGTERM"); // QEMU runs the down-script as it quits
      await waitFor(unrouted(vm), { timeoutMs: 5000, intervalMs: 10, what: "withdrawal after QEMU quit" });
      console.log(
        JSON.stringify({ test: "qemu-quit-withdraw", gateway: kind, ms: Math.round(performance.now() - t0) }),
      );
    });

    it("QEMU killed with SIGKILL (no down-script): the routes go within 1 s", async () => {
      const vm = startVm(2);
      await waitFor(routed(vm), { timeoutMs: 15_000, what: "routes" });
      const t0 = performance.now();
      await vm.child.stop(0, "SIGKILL");
      const ms = await waitFor(unrouted(vm), {
        timeoutMs: 5000,
        intervalMs: 10,
        what: "withdrawal after SIGKILL",
      });
      const total = Math.round(performance.now() - t0);
      console.log(JSON.stringify({ test: "qemu-sigkill-withdraw", gateway: kind, ms: total }));
      expect(ms).toBeLessThan(1000);
    });

    it("ten QEMUs started at once are all routed", async () => {
      const vms = Array.from({ length: 10 }, (_, i) => startVm(10 + i));
      const t0 = performance.now();
      await waitFor(async () => (await Promise.all(vms.map((vm) => routed(vm)()))).every(Boolean), {
        timeoutMs: 30_000,
        what: "all ten VMs routed",
      });
      console.log(
        JSON.stringify({ test: "ten-qemus", gateway: kind, allRoutedMs: Math.round(performance.now() - t0) }),
      );
      await Promise.all(vms.map((vm) => vm.child.stop(3000, "SIGTERM")));
      await waitFor(async () => (await Promise.all(vms.map((vm) => unrouted(vm)()))).every(Boolean), {
        timeoutMs: 10_000,
        what: "all ten withdrawn",
      });
    });

    it(`measures hook run time and QEMU start → gateway route (median of ${RUNS})`, async () => {
      const toRoute: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        const vm = startVm(30 + i);
        await waitFor(routed(vm), { timeoutMs: 15_000, intervalMs: 10, what: "route" });
        toRoute.push(Math.round(performance.now() - t0));
        await vm.child.stop(3000, "SIGTERM");
      }
      const up: number[] = [];
      const down: number[] = [];
      const hookEnv = [...env, `RIPLET_ADDRESSES=${subnet(50).addresses}`];
      for (let i = 0; i < RUNS; i++) {
        await pair.lab.exec(pair.host.ns, ["ip", "tuntap", "add", "dev", "tap50", "mode", "tap"]);
        let t = performance.now();
        const { code } = await pair.lab.exec(pair.host.ns, [...hookEnv, HOOK_UP, "tap50"], {
          allowFail: true,
        });
        up.push(Math.round(performance.now() - t));
        expect(code).toBe(0);
        t = performance.now();
        await pair.lab.exec(pair.host.ns, [...hookEnv, HOOK_DOWN, "tap50"]);
        down.push(Math.round(performance.now() - t));
        await pair.lab.exec(pair.host.ns, ["ip", "link", "del", "tap50"]);
      }
      console.log(
        JSON.stringify({
          test: "hook-timing",
          gateway: kind,
          qemuStartToRouteMedianMs: median(toRoute),
          hookUpMedianMs: median(up),
          hookDownMedianMs: median(down),
          toRoute,
          up,
          down,
        }),
      );
      expect(Math.max(...down)).toBeLessThan(2000);
    });

    it("running the up-script twice changes nothing", async () => {
      const hookEnv = [...env, `RIPLET_ADDRESSES=${subnet(70).addresses}`];
      await pair.lab.exec(pair.host.ns, ["ip", "tuntap", "add", "dev", "tap70", "mode", "tap"]);
      for (let i = 0; i < 2; i++) await pair.lab.exec(pair.host.ns, [...hookEnv, HOOK_UP, "tap70"]);
      const { stdout } = await pair.lab.exec(pair.host.ns, ["ip", "-j", "addr", "show", "dev", "tap70"]);
      const addresses = (
        JSON.parse(stdout) as { addr_info: { local: string; scope: string }[] }[]
      )[0]!.addr_info.filter((a) => a.scope === "global");
      expect(addresses.map((a) => a.local).sort()).toEqual(["198.18.70.1", "2001:db8:42:46::1"]);
      const routes = await pair.lab.exec(pair.host.ns, [
        process.execPath,
        join(ROOT, "bin/riplet.js"),
        "--socket",
        socket,
        "routes",
        "--json",
      ]);
      const mine = routes.stdout.split("\n").filter((l) => l.includes("tap70"));
      expect(mine).toHaveLength(2);
      await pair.lab.exec(pair.host.ns, [...hookEnv, HOOK_DOWN, "tap70"]);
      await pair.lab.exec(pair.host.ns, ["ip", "link", "del", "tap70"]);
    });

    it("an up-script that cannot announce makes QEMU refuse to start", async () => {
      const child = spawnQemu("tap60", "10.0.0.1/8,not-an-address");
      const code = await child.exited;
      expect(code).not.toBe(0);
      expect(child.stderr).toMatch(/riplet hook up tap60: "?not-an-address"? is not an interface address/);
    });
  });
}
