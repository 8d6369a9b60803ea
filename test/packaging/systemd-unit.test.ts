/**
 * docs/riplet.service: systemd accepts it (`systemd-analyze verify`), its hardening keeps what riplet
 * needs, and its ExecStart is a command line riplet accepts.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
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
    const unit = text.replace("/usr/local/bin/riplet", `${process.execPath} ${BIN}`);
    writeFileSync(join(dir, "riplet.service"), unit);
    execFileSync(analyze, ["verify", join(dir, "riplet.service")], { encoding: "utf8" });
  });

  it("starts the daemon with options riplet accepts, and reloads with SIGHUP", async () => {
    const args = directive("ExecStart")!.split(/\s+/).slice(1);
    expect(args).toContain("daemon");
    const { code, out } = await cli(...args, "--help");
    expect(code).toBe(0);
    expect(out.join("\n")).toMatch(/Usage: riplet daemon/);
    expect(directive("ExecReload")).toBe("/bin/kill -HUP $MAINPID");
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
