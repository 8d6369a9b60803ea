/**
 * Something for `riplet routes`, `status` and `announce` to talk to while their start-up is timed.
 * As root: the real daemon, in a network namespace with a veth uplink (interop/lab), its control
 * socket in the lab directory so the CLI runs outside the namespace as a user's would. Without root
 * (the daemon needs UDP 520/521 and an uplink): the fake control socket of src/cli/canned-daemon.ts.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startDaemon } from "../interop/lab/riplet.js";
import { createPairLab } from "../interop/lab/topology.js";
import { type CannedDaemon as BenchDaemon, startCannedDaemon } from "../src/cli/canned-daemon.js";

export type { BenchDaemon };

/** The real daemon when root, else the fake control socket. */
export function startBenchDaemon(): Promise<BenchDaemon> {
  return process.getuid?.() === 0 ? startRealDaemon() : startCannedDaemon();
}

async function startRealDaemon(): Promise<BenchDaemon> {
  const pair = await createPairLab("bench-startup");
  try {
    const socket = join(pair.lab.dir, "riplet.sock");
    const config = join(pair.lab.dir, "riplet.json");
    const settings = {
      interfaces: [{ name: pair.host.ifname, ipv4: true, ipv6: true }],
      control: { socket },
      state: join(pair.lab.dir, "state.json"),
      routes: [{ prefix: "198.18.0.0/24" }, { prefix: "2001:db8:18::/48" }],
    };
    writeFileSync(config, JSON.stringify(settings));
    await startDaemon(pair.lab, pair.host.ns, socket, config);
    return { kind: "daemon in netns", socket, close: () => pair.lab.destroy() };
  } catch (error) {
    await pair.lab.destroy();
    throw error;
  }
}
