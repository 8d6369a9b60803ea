/** The state and socket directories must be private (issue 13 item 7, like sshd's StrictModes). */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkPrivateDir } from "../../src/daemon/paths.js";

const base = () => mkdtempSync(join(tmpdir(), "riplet-paths-"));

describe("checkPrivateDir", () => {
  it("accepts a 0700 directory (what mkdtemp makes)", () => {
    expect(() => checkPrivateDir(base(), "state")).not.toThrow();
  });

  it("refuses a directory anyone can write, in one line that says what to do", () => {
    const dir = join(base(), "shared");
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    expect(() => checkPrivateDir(dir, "state")).toThrow(
      `refusing to start: ${dir} is writable by others (mode 0777); put state: in a directory only root can write, e.g. /var/lib/riplet`,
    );
    chmodSync(dir, 0o1777);
    expect(() => checkPrivateDir(dir, "socket")).toThrow(
      /writable by others \(mode 1777\); put control\.socket: in a directory only root can write, e.g\. \/run\/riplet$/,
    );
  });

  it("refuses a group-writable directory", () => {
    const dir = join(base(), "group");
    mkdirSync(dir);
    chmodSync(dir, 0o770);
    expect(() => checkPrivateDir(dir, "state")).toThrow(/writable by its group \(mode 0770\)/);
  });

  it.skipIf(process.getuid?.() !== 0)("refuses a directory owned by another user (as root)", () => {
    const dir = join(base(), "theirs");
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, 4242, 4242);
    expect(() => checkPrivateDir(dir, "state")).toThrow(/is owned by uid 4242, not root/);
  });

  it("creates a missing directory: 0700 for state, 0755 for the socket", () => {
    const root = base();
    checkPrivateDir(join(root, "a", "state"), "state");
    expect(statSync(join(root, "a", "state")).mode & 0o777).toBe(0o700);
    checkPrivateDir(join(root, "run"), "socket");
    expect(statSync(join(root, "run")).mode & 0o777).toBe(0o755 & ~process.umask());
  });

  it("refuses a file where the directory should be", () => {
    const file = join(base(), "file");
    writeFileSync(file, "");
    expect(() => checkPrivateDir(file, "state")).toThrow(/EEXIST|is not a directory/);
  });
});
