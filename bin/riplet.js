#!/bin/sh
':' //; o=; v=; for a; do if [ -n "$v" ]; then v=; elif [ "$a" = --socket ] || [ "$a" = --log-level ]; then v=1; else case $a in -*) ;; daemon) o=--max-semi-space-size=1; break ;; *) break ;; esac; fi; done
':' //; exec node $o "$0" "$@"
// Two lines of sh, then the entry point. Run as a program, /bin/sh reads the lines above (each line is
// also a JavaScript no-op: a string, then a comment) and execs node, in the same process (the systemd
// unit's main PID stays riplet's): `riplet daemon` gets the V8 option src/daemon/node-options.ts
// explains, found past the global options as src/cli/commands.ts commandName() finds a command, and
// every other command starts without it (it cost them ~10 ms of start-up; issue 16).
// The CLI lives in src/cli; this shim only picks the entry point, in dist/cli, where rolldown bundled
// what tsc built into chunks (rolldown.config.mjs says why). `riplet hook up|down` runs while QEMU
// waits to start a VM, so it takes a light path that loads only what a hook needs.
if (process.argv.includes("hook")) {
  const { main } = await import("../dist/cli/hook-main.js");
  const code = await main(process.argv.slice(2));
  if (code !== undefined) process.exit(code);
}
await import("../dist/cli/main.js");
