/**
 * The demo's data-path check, with nothing but Node (ping may not be installed): a UDP echo on the
 * VM's tap address in the host namespace, and one datagram to it from the gateway namespace. An echo
 * back proves the gateway routes to the VM's subnet through riplet's route, and the way back works.
 */
import type { NetnsLab } from "../host/netns.js";

const PORT = 7; // echo

const SERVER = `
const s = require("node:dgram").createSocket(process.argv[1].includes(":") ? "udp6" : "udp4");
s.on("error", (e) => { console.error(e.message); process.exit(1); });
s.on("message", (m, r) => s.send(m, r.port, r.address));
s.bind(${PORT}, process.argv[1], () => console.log("ready"));
setTimeout(() => process.exit(0), 30000);`;

const CLIENT = `
const s = require("node:dgram").createSocket(process.argv[1].includes(":") ? "udp6" : "udp4");
const t0 = process.hrtime.bigint();
s.on("message", () => { console.log(Number(process.hrtime.bigint() - t0) / 1e6); process.exit(0); });
s.send("riplet demo", ${PORT}, process.argv[1]);
setTimeout(() => process.exit(1), 2000);`;

/** Returns the round-trip time in ms, or undefined when no echo came back. */
export async function checkDataPath(
  lab: NetnsLab,
  hostNs: string,
  gwNs: string,
  target: string,
): Promise<number | undefined> {
  const server = lab.spawn(hostNs, process.execPath, ["-e", SERVER, target]);
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout!.once("data", () => resolve());
      server.once("exit", (code) => reject(new Error(`echo server on ${target} exited ${code}`)));
    });
    const out = await lab.exec(gwNs, process.execPath, ["-e", CLIENT, target], 5000).catch(() => undefined);
    return out === undefined ? undefined : Math.round(Number(out.trim()) * 100) / 100;
  } finally {
    server.kill("SIGKILL");
  }
}
