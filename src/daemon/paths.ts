/**
 * Where the daemon keeps files others must not touch: the state file's directory and the control
 * socket's. Like sshd's StrictModes, it refuses to start when such a directory can be written by
 * anyone but root or its own user: there, another user could plant a symlink or swap the file
 * (issue 13: a planted link made the root daemon overwrite another file), or stand up a fake socket.
 */
import { mkdirSync, statSync } from "node:fs";

export type PrivateDirUse = "state" | "socket";

const MODES: Record<PrivateDirUse, number> = { state: 0o700, socket: 0o755 };
const FIELDS: Record<PrivateDirUse, { field: string; example: string }> = {
  state: { field: "state:", example: "/var/lib/riplet" },
  socket: { field: "control.socket:", example: "/run/riplet" },
};

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, "0");
}

/**
 * Creates `dir` if it is missing (0700 for state, 0755 for the socket), then throws a one-line Error
 * when it is writable by group or others or owned by another user than root or this one. Only the
 * directory itself is checked: a 0700 directory under /tmp (mkdtemp) is private, /tmp itself is not.
 */
export function checkPrivateDir(dir: string, what: PrivateDirUse): void {
  const { field, example } = FIELDS[what];
  const fix = `put ${field} in a directory only root can write, e.g. ${example}`;
  mkdirSync(dir, { recursive: true, mode: MODES[what] });
  const stat = statSync(dir);
  if (!stat.isDirectory()) throw new Error(`refusing to start: ${dir} is not a directory; ${fix}`);
  const me = process.getuid?.() ?? 0;
  if (stat.uid !== 0 && stat.uid !== me) {
    throw new Error(`refusing to start: ${dir} is owned by uid ${stat.uid}, not root; ${fix}`);
  }
  if (stat.mode & 0o002) {
    throw new Error(`refusing to start: ${dir} is writable by others (mode ${octal(stat.mode)}); ${fix}`);
  }
  if (stat.mode & 0o020) {
    throw new Error(`refusing to start: ${dir} is writable by its group (mode ${octal(stat.mode)}); ${fix}`);
  }
}
