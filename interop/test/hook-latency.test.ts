/**
 * The hook path to the floor (issue 15 item 5): hooks/qemu-ifup spawned → the first RIP datagram on the
 * gateway's link (tcpdump's kernel timestamp) and → the route in FRR's kernel table (`ip -ts monitor
 * route`), median of TRIALS, printed as one JSON line; nothing about speed is asserted. With
 * RIPLET_BEFORE_ROOT=<another built checkout>, that tree's daemon and hooks are measured in the same
 * run, trial by trial in turn (A B A B), for a before/after ratio on a shared, noisy machine.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  type Child,
  createPairLab,
  HOST_IF,
  interopDescribe,
  kernelRoute,
  median,
  type PairLab,
  REPO_ROOT,
  startGateway,
  waitFor,
} from "../lab/index.js";

const TRIALS = Number(process.env.RIPLET_HOOK_TRIALS ?? 20);
const TAP = "taph0";
const NETWORK = "198.51.100.0/24";
const ADDRESS = "198.51.100.1/24";

interopDescribe("hooks/qemu-ifup → first datagram and FRR's kernel", () => {
  let pair: PairLab;
  let tcpdump: Child;
  let monitor: Child;
  const trees: [string, string][] = [["after", REPO_ROOT]];
  if (process.env.RIPLET_BEFORE_ROOT) trees.unshift(["before", process.env.RIPLET_BEFORE_ROOT]);

  beforeAll(async () => {
    pair = await createPairLab("hook-latency");
    await startGateway("frr", pair.lab, pair.gw);
    await pair.lab.exec(pair.host.ns, ["ip", "tuntap", "add", "dev", TAP, "mode", "tap"]);
    // -tt: epoch seconds; kernel receive timestamps, µs
    tcpdump = pair.lab.spawn(pair.gw.ns, [
      "tcpdump",
      "-tt",
      "-n",
      "-l",
      "-i",
      pair.gw.ifname,
      "udp",
      "port",
      "520",
    ]);
    monitor = pair.lab.spawn(pair.gw.ns, ["ip", "-ts", "monitor", "route"], "ip monitor", {
      ...process.env,
      TZ: "UTC",
    });
    await waitFor(() => tcpdump.stderr.includes("listening"), { timeoutMs: 10_000, what: "tcpdump" });
  }, 60_000);
  afterAll(() => pair?.lab.destroy());

  /** Starts `root`'s daemon; resolves once it answers and its start-up updates are out. */
  async function daemon(root: string, socket: string): Promise<Child> {
    const config = join(pair.lab.dir, "hook.yaml");
    writeFileSync(
      config,
      [
        `interfaces: [{ name: ${HOST_IF} }]`,
        "allow: [198.51.100.0/22]",
        `control: { socket: ${socket} }`,
        `state: ${join(pair.lab.dir, "hook-state.json")}`,
      ].join("\n"),
    );
    const child = pair.lab.spawn(pair.host.ns, [
      process.execPath,
      join(root, "bin", "riplet.js"),
      "--socket",
      socket,
      "daemon",
      "-c",
      config,
    ]);
    await waitFor(
      async () =>
        !child.running ||
        (await pair.lab.exec(pair.host.ns, ["test", "-S", socket], { allowFail: true })).code === 0,
      { timeoutMs: 10_000, what: "daemon socket" },
    );
    await new Promise((resolve) => setTimeout(resolve, 1500)); // its first whole-table updates, and a settled heap
    return child;
  }

  /** One hook up: spawn → first datagram, spawn → route in the kernel (ms). */
  async function trial(root: string, socket: string): Promise<{ datagram: number; kernel: number }> {
    const datagramsBefore = tcpdump.stdout.length;
    const monitorBefore = monitor.stdout.length;
    // the timestamp is taken in the namespace just before exec(hook), as QEMU's child would run it
    const started = await pair.lab.exec(
      pair.host.ns,
      [
        "perl",
        "-MTime::HiRes=time",
        "-e",
        'printf "%.6f\\n", time; exec @ARGV or die',
        join(root, "hooks", "qemu-ifup"),
        TAP,
      ],
      { env: { ...process.env, RIPLET_SOCKET: socket, RIPLET_ADDRESSES: ADDRESS } },
    );
    const t0 = Number(started.stdout.trim().split("\n")[0]) * 1000;
    await waitFor(async () => (await kernelRoute(pair.lab, pair.gw.ns, NETWORK)) !== undefined, {
      timeoutMs: 10_000,
      intervalMs: 20,
      what: "route in FRR's kernel",
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const datagrams = tcpdump.stdout
      .slice(datagramsBefore)
      .split("\n")
      .filter((l) => / IP /.test(l))
      .map((l) => Number(l.split(" ")[0]) * 1000);
    const routes = monitor.stdout
      .slice(monitorBefore)
      .split("\n")
      .filter((l) => l.includes(`] ${NETWORK} `));
    const stamp = /^\[([^\]]+)\]/.exec(routes[0] ?? "")?.[1];
    const first = datagrams.find((t) => t >= t0);
    if (first === undefined || stamp === undefined)
      throw new Error(
        `no datagram or route seen:\n${tcpdump.stdout.slice(datagramsBefore)}\n${monitor.stdout.slice(monitorBefore)}`,
      );
    return { datagram: first - t0, kernel: Date.parse(`${stamp}Z`) - t0 };
  }

  it(`spawn → first datagram and → FRR's kernel (median of ${TRIALS})`, async () => {
    const samples = Object.fromEntries(
      trees.map(([name]) => [name, { datagram: [] as number[], kernel: [] as number[] }]),
    );
    for (let i = 0; i < TRIALS; i++) {
      for (const [name, root] of trees) {
        const socket = join(pair.lab.dir, `${name}.sock`);
        const d = await daemon(root, socket);
        const r = await trial(root, socket);
        samples[name]!.datagram.push(Math.round(r.datagram * 10) / 10);
        samples[name]!.kernel.push(Math.round(r.kernel * 10) / 10);
        await pair.lab.exec(pair.host.ns, [join(root, "hooks", "qemu-ifdown"), TAP], {
          env: { ...process.env, RIPLET_SOCKET: socket, RIPLET_ADDRESSES: ADDRESS },
        });
        await waitFor(async () => (await kernelRoute(pair.lab, pair.gw.ns, NETWORK)) === undefined, {
          timeoutMs: 10_000,
          what: "route withdrawn",
        });
        d.signal("SIGTERM");
        await d.exited;
      }
    }
    const summary = Object.fromEntries(
      Object.entries(samples).map(([name, s]) => [
        name,
        { datagramP50Ms: median(s.datagram), kernelP50Ms: median(s.kernel), ...s },
      ]),
    );
    console.log(JSON.stringify({ test: "hook-latency", gateway: "frr", trials: TRIALS, ...summary }));
    expect(samples.after!.datagram).toHaveLength(TRIALS);
  }, 600_000);
});
