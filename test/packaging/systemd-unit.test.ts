/**
 * docs/riplet.service (installed by the Debian package as /lib/systemd/system/riplet.service): systemd
 * accepts it (`systemd-analyze verify`), its hardening keeps what riplet needs, its ExecStart and
 * ExecReload are command lines riplet accepts, and it says what the restart/stop decision and the
 * hooks rely on (issue 16): the unit's name in the environment, ordering before libvirt's daemons.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "../helpers/cli.js";

const UNIT = new URL("../../docs/riplet.service", import.meta.url).pathname;
const BIN = new URL("../../bin/riplet.js", import.meta.url).pathname;
const text = readFileSync(UNIT, "utf8");
const directive = (name: string) => new RegExp(`^${name}=(.*)$`, "m").exec(text)?.[1];
const analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].find(existsSync);

describe("docs/riplet.service", () => {
  it.skipIf(!analyze && process.env.CI !== "true")("passes systemd-analyze verify", () => {
    if (!analyze) throw new Error("systemd-analyze is missing (CI=true: nothing skips)");
    const dir = mkdtempSync(join(tmpdir(), "riplet-unit-"));
    // verify insists the binary exists: point it at this checkout's riplet
    const unit = text.replaceAll("/usr/bin/riplet ", `${process.execPath} ${BIN} `);
    writeFileSync(join(dir, "riplet.service"), unit);
    // --man=no: man:riplet(8) exists once the package is installed (interop/test/deb-package.test.ts
    // verifies the installed unit with it)
    try {
      execFileSync(analyze, ["verify", "--man=no", join(dir, "riplet.service")], { encoding: "utf8" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("starts the packaged riplet's daemon with options it accepts, replacing a hook's daemon", async () => {
    const [binary, ...args] = directive("ExecStart")!.split(/\s+/);
    expect(binary).toBe("/usr/bin/riplet"); // where the package (and `npm i -g` on Debian) puts it
    expect(args).toEqual([
      "--socket",
      "/run/riplet/riplet.sock",
      "daemon",
      "--replace",
      "-c",
      "/etc/riplet/riplet.yaml",
    ]);
    // --help wins over an unknown option, so look for each option in the daemon's own help
    const { code, out } = await cli(...args, "--help");
    expect(code).toBe(0);
    expect(out.join("\n")).toMatch(/Usage: riplet daemon/);
    expect(out.join("\n")).toMatch(/^\s+--replace\b/m);
  });

  it("reloads through `riplet reload` on the same socket, which fails when the daemon refuses", async () => {
    const [binary, ...args] = directive("ExecReload")!.split(/\s+/);
    expect(binary).toBe("/usr/bin/riplet");
    expect(args).toEqual(["--socket", "/run/riplet/riplet.sock", "reload"]);
    const { code, out } = await cli(...args, "--help");
    expect(code).toBe(0);
    expect(out.join("\n")).toMatch(/Usage: riplet reload/);
  });

  it("names itself to the daemon and starts before libvirt, after the network", () => {
    // the daemon asks systemd which job runs on this unit when SIGTERM comes (restart or stop)
    expect(directive("Environment")).toBe("RIPLET_SYSTEMD_UNIT=%n");
    // a VM that libvirt autostarts finds the daemon up, so its hook never starts a second one
    expect(directive("Before")!.split(/\s+/).sort()).toEqual(["libvirtd.service", "virtqemud.service"]);
    expect(directive("After")).toBe("network-online.target");
    expect(directive("Wants")).toBe("network-online.target");
    expect(directive("Documentation")).toMatch(/^man:riplet\(8\)/);
    expect(directive("RuntimeDirectoryPreserve")).toBe("yes"); // the socket survives a restart
  });

  it("keeps only the capabilities riplet needs, and the paths it writes", () => {
    // the last three for the guests' dnsmasq: the RA socket, and dropping to user nobody
    expect(directive("CapabilityBoundingSet")!.split(" ").sort()).toEqual([
      "CAP_NET_ADMIN",
      "CAP_NET_BIND_SERVICE",
      "CAP_NET_RAW",
      "CAP_SETGID",
      "CAP_SETUID",
    ]);
    expect(directive("KillMode")).toBe("process"); // a restart leaves the guests' DHCP/RA serving
    expect(directive("NoNewPrivileges")).toBe("yes");
    expect(directive("ProtectSystem")).toBe("strict");
    expect(directive("RuntimeDirectory")).toBe("riplet"); // /run/riplet: the control socket
    expect(directive("StateDirectory")).toBe("riplet"); // /var/lib/riplet: the state file
    expect(directive("ReadWritePaths")).toBe("/proc/sys/net"); // forwarding, turned on by the hook op
    expect(directive("RestrictAddressFamilies")!.split(" ")).toEqual(
      expect.arrayContaining(["AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK"]),
    );
  });
});
