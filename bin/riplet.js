#!/bin/sh
':' //; o=; v=; for a; do if [ -n "$v" ]; then v=; elif [ "$a" = --socket ] || [ "$a" = --log-level ]; then v=1; else case $a in -*) ;; daemon) o=--max-semi-space-size=1; break ;; *) break ;; esac; fi; done
':' //; exec node $o "$0" "$@"
// Two lines of sh, then the entry point. Run as a program, /bin/sh reads the lines above (each line is
// also a JavaScript no-op: a string, then a comment) and execs node, in the same process (the systemd
// unit's main PID stays riplet's): `riplet daemon` gets the V8 option src/daemon/node-options.ts
// explains, found past the global options as src/cli/commands.ts commandName() finds a command, and
// every other command starts without it (it cost them ~10 ms of start-up; issue 16).
// The CLI lives in src/cli; this shim only picks the entry point, in dist/cli, where rolldown bundled
// what tsc built into CommonJS chunks (rolldown.config.mjs says why). This file is CommonJS too
// (bin/package.json): run as an ES module it would start Node.js's ES module loader, ~6 ms of every
// command. `riplet hook up|down` runs while QEMU waits to start a VM, so it takes a light path that
// loads only what a hook needs; anything that path does not recognise goes to the full CLI.
// Every chunk loads through code-cache.cjs, which takes V8's compiled functions from the chunk's .v8
// file when the build or the package wrote one (it says why; RIPLET_CODE_CACHE=off loads them plain).
require("../dist/cli/code-cache.cjs").enableCodeCache(
  require("node:path").join(__dirname, "..", "dist", "cli"),
  process.env.RIPLET_CODE_CACHE,
);
if (process.argv.includes("hook")) {
  require("../dist/cli/hook-main.cjs")
    .main(process.argv.slice(2))
    .then((code) => (code === undefined ? require("../dist/cli/main.cjs") : process.exit(code)));
} else {
  require("../dist/cli/main.cjs");
}
