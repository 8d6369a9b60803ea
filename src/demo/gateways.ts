/**
 * The demo's gateway, in its own namespace: riplet's own listener (always available: it installs what
 * it hears into the gateway's kernel table), or FRR ripd/ripngd, or BIRD, when installed.
 */
import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { runCommand } from "../host/exec.js";
import type { NetnsLab } from "../host/netns.js";

export type GatewayKind = "riplet" | "frr" | "bird";

export interface DemoGateway {
  describe: string;
  start(): Promise<void>;
}

export interface GatewayPlace {
  lab: NetnsLab;
  ns: string;
  ifname: string;
  dir: string;
  riplet: string;
}

/** riplet listen --json, turning each heard route into `ip route replace` / `ip route del`. */
function ripletGateway(place: GatewayPlace, onError: (message: string) => void): DemoGateway {
  const apply = async (line: string) => {
    const view = JSON.parse(line) as {
      source?: string;
      command?: string;
      entries?: { prefix: string; metric: number; nextHop: string; skip?: string }[];
    };
    if (view.command !== "response" || !view.source) return;
    const source = view.source.replace(/%.*$/, "");
    for (const entry of view.entries ?? []) {
      if (entry.skip) continue;
      const v6 = entry.prefix.includes(":");
      const via = entry.nextHop !== "0.0.0.0" && entry.nextHop !== "::" ? entry.nextHop : source;
      const family = v6 ? ["-6"] : [];
      const args =
        entry.metric >= 16
          ? [...family, "route", "del", entry.prefix, "dev", place.ifname]
          : [
              ...family,
              "route",
              "replace",
              entry.prefix,
              "via",
              via,
              "dev",
              place.ifname,
              "proto",
              "rip",
              "metric",
              "20",
            ];
      await place.lab.ip(place.ns, args).catch((error: Error) => {
        if (entry.metric < 16) onError(error.message);
      });
    }
  };
  return {
    describe: "riplet's own listener (installs what it hears into the gateway's kernel table)",
    async start() {
      const child = place.lab.spawn(place.ns, process.execPath, [
        place.riplet,
        "listen",
        "-i",
        place.ifname,
        "--json",
      ]);
      let queue = Promise.resolve();
      createInterface({ input: child.stdout! }).on("line", (line) => {
        queue = queue.then(() => apply(line)).catch((error: Error) => onError(error.message));
      });
      await new Promise((r) => setTimeout(r, 300)); // sockets open and groups joined
    },
  };
}

const FRR_BIN = "/usr/lib/frr";

function frrGateway(place: GatewayPlace): DemoGateway {
  const name = place.ns;
  return {
    describe: "FRRouting ripd + ripngd",
    async start() {
      if (!existsSync(`${FRR_BIN}/ripd`))
        throw new Error("FRR is not installed: apt-get install frr (or npm run setup:interop)");
      const run = `/var/run/frr/${name}`;
      rmSync(run, { recursive: true, force: true });
      mkdirSync(run, { recursive: true });
      const configs: Record<string, string> = {
        zebra: "hostname gw\n",
        ripd: `router rip\n version 2\n network ${place.ifname}\n!\n`,
        ripngd: `router ripng\n network ${place.ifname}\n!\n`,
      };
      for (const [daemon, text] of Object.entries(configs))
        writeFileSync(join(place.dir, `${daemon}.conf`), text);
      // FRR drops to user frr and refuses root: its files must be frr's.
      const uid = Number((await runCommand("id", ["-u", "frr"])).trim());
      const gid = Number((await runCommand("id", ["-g", "frr"])).trim());
      for (const path of [
        run,
        "/var/run/frr",
        place.dir,
        ...Object.keys(configs).map((d) => join(place.dir, `${d}.conf`)),
      ]) {
        chownSync(path, uid, gid);
      }
      for (const daemon of Object.keys(configs)) {
        const args = [
          "-N",
          name,
          "-d",
          "-f",
          join(place.dir, `${daemon}.conf`),
          "-i",
          join(run, `${daemon}.pid`),
        ];
        await place.lab.exec(place.ns, `${FRR_BIN}/${daemon}`, args, 10_000);
        if (daemon === "zebra") await new Promise((r) => setTimeout(r, 500));
      }
    },
  };
}

function birdGateway(place: GatewayPlace): DemoGateway {
  return {
    describe: "BIRD 2 (rip + rip ng)",
    async start() {
      const config = join(place.dir, "bird.conf");
      writeFileSync(
        config,
        `router id 192.0.2.1;
protocol device { scan time 1; }
protocol kernel { ipv4 { export all; }; }
protocol kernel { ipv6 { export all; }; }
protocol rip { ipv4 { import all; export none; }; interface "${place.ifname}" { version 2; }; }
protocol rip ng { ipv6 { import all; export none; }; interface "${place.ifname}" { }; }
`,
      );
      await place.lab
        .exec(
          place.ns,
          "bird",
          ["-c", config, "-s", join(place.dir, "bird.ctl"), "-P", join(place.dir, "bird.pid")],
          10_000,
        )
        .catch((error: Error) => {
          throw new Error(
            /not installed/.test(error.message)
              ? "BIRD is not installed: apt-get install bird2 (or npm run setup:interop)"
              : error.message,
          );
        });
    },
  };
}

export function createGateway(
  kind: GatewayKind,
  place: GatewayPlace,
  onError: (message: string) => void,
): DemoGateway {
  if (kind === "frr") return frrGateway(place);
  if (kind === "bird") return birdGateway(place);
  return ripletGateway(place, onError);
}
