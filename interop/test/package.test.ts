/**
 * README's install from a checkout, as written there: `npm ci && sudo npm i -g .`, here in a copy of
 * the checkout's files (what a clone has) and into a temporary prefix instead of /usr. `riplet`,
 * `riplet-qemu-ifup` and `riplet-qemu-ifdown` are then on that prefix's PATH and work. (The Debian
 * package, README's other path, is interop/test/deb-package.test.ts.) And `npm pack` would ship what
 * runs and nothing of the tests, benchmarks or lab.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../lab/index.js";

const dir = mkdtempSync(join(tmpdir(), "riplet-pack-"));
const prefix = join(dir, "prefix");
const checkout = join(dir, "riplet");

const npm = (args: string[], cwd = REPO_ROOT) =>
  execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 240_000 });

beforeAll(() => {
  // the files a clone has: those git tracks (no dist or build output). Never a node_modules, not even a
  // tracked symlink: `npm ci` empties node_modules through it, and would empty the one it points at.
  mkdirSync(checkout);
  const files = "git ls-files -z -- . ':(exclude)node_modules'";
  execFileSync("sh", ["-c", `${files} | tar --null -T - -cf - | tar -xf - -C '${checkout}'`], {
    cwd: REPO_ROOT,
  });
  // README: npm ci && sudo npm i -g .   (deps from the cache the repo's own `npm ci` filled, or the registry)
  npm(["ci", "--prefer-offline", "--no-audit", "--no-fund"], checkout);
  npm(["i", "-g", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", "."], checkout);
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bin = (name: string) => join(prefix, "bin", name);
const run = (name: string, args: string[]) =>
  spawnSync(bin(name), args, {
    encoding: "utf8",
    env: {
      ...process.env,
      PATH: `${join(prefix, "bin")}:${process.env.PATH}`,
      RIPLET_SOCKET: join(dir, "no-daemon.sock"),
      RIPLET_CONFIG: join(dir, "no-config.yaml"),
      RIPLET_ADDRESSES: "",
    },
  });

describe("npm ci && npm i -g . from a checkout", () => {
  it("puts riplet on PATH with the package's version, help and completion", () => {
    expect(run("riplet", ["--version"]).stdout.trim()).toBe(
      (JSON.parse(npm(["pkg", "get", "version"])) as string).trim(),
    );
    const help = run("riplet", ["help", "status"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: riplet status/);
    expect(run("riplet", ["completion", "bash"]).stdout).toMatch(/complete -F _riplet riplet/);
    // npm links a folder it installs globally: README says to keep the checkout where it is
    expect(realpathSync(join(prefix, "lib", "node_modules", "riplet"))).toBe(realpathSync(checkout));
  });

  it("puts both QEMU hooks on PATH, working from the installed copy", () => {
    const up = run("riplet-qemu-ifup", []);
    expect(up.status).toBe(2);
    expect(up.stderr).toMatch(/usage: .*qemu-ifup IFNAME/);
    expect(run("riplet-qemu-ifdown", []).status).toBe(0);
    // through the symlink npm made, the hook finds the installed riplet (not this checkout)
    const missing = run("riplet-qemu-ifup", ["rl-no-such-tap"]);
    expect(missing.stderr).toBe(
      `riplet hook up rl-no-such-tap: no addresses: set RIPLET_ADDRESSES=198.51.100.1/24 or taps.rl-no-such-tap.addresses in ${join(dir, "no-config.yaml")}\n`,
    );
  });

  it("npm pack would ship what runs and nothing else", () => {
    const [pack] = JSON.parse(
      npm(["pack", "--dry-run", "--json", "--silent", "--ignore-scripts"], checkout),
    ) as {
      files: { path: string }[];
    }[];
    const files = pack!.files.map((f) => `package/${f.path}`);
    const top = new Set(
      files.map((f) =>
        f
          .replace(/^package\//, "")
          .split("/")
          .slice(0, 2)
          .join("/"),
      ),
    );
    expect([...top].sort()).toEqual(
      expect.arrayContaining([
        "README.md",
        "bin/riplet.js",
        "dist/src",
        "docs/riplet.service",
        "hooks/fast-hook.pl",
        "hooks/qemu-ifup",
        "package.json",
      ]),
    );
    expect(files.some((f) => /\/(test|bench|interop|dist\/bench|dist\/interop)\//.test(f))).toBe(false);
  });
});
