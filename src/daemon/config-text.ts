/**
 * Config text → plain value, without leaving the parser's garbage in the daemon (issue 15). JSON text
 * takes JSON.parse. YAML is parsed by the `yaml` package, whose document for a 20,000-route file
 * grows the heap by ~80 MiB that V8 keeps: the daemon parses YAML in a short-lived worker, whose
 * heap goes back to the system when it exits, and never loads `yaml` itself unless an error needs a
 * line number. `yaml` is loaded on first use, so a JSON config or a worker-parsed one never pays for it.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";

type Yaml = typeof import("yaml");
let yamlModule: Yaml | undefined;
function yaml(): Yaml {
  yamlModule ??= createRequire(import.meta.url)("yaml") as Yaml;
  return yamlModule;
}

/** A syntax error: where (1-based line) and the parser's first line of explanation. */
export interface SyntaxFault {
  line: number;
  message: string;
}

export type Parsed = { ok: true; value: unknown } | { ok: false; fault: SyntaxFault };

/** Parses YAML or JSON text in this thread. JSON text (an object) skips the YAML parser. */
export function parseText(text: string): Parsed {
  if (/^\s*\{/.test(text)) {
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch {
      // JSON-looking but not JSON: YAML flow syntax is wider (comments, bare words); let yaml judge
    }
  }
  const { LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax) {
    return { ok: false, fault: { line: lineCounter.linePos(syntax.pos[0]).line, message: syntax.message } };
  }
  return { ok: true, value: doc.toJS() ?? {} };
}

/** The line of the deepest node on `path` that the text has (re-parsed: only on the error path). */
export function lineOf(text: string, path: readonly PropertyKey[]): number | undefined {
  const { LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth) as (string | number)[], true) as
      | { range?: [number, number, number] }
      | undefined;
    if (node?.range) return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}

/** Longer than any config a person writes by hand; past it the worker cannot be waited on. */
const WORKER_TIMEOUT_MS = 60_000;

/**
 * parseText in a worker thread, waited for synchronously (config loading is synchronous). Falls back
 * to this thread when no worker can run (e.g. the sources run untranspiled under a test runner).
 */
export function parseTextIsolated(text: string): Parsed {
  if (/^\s*\{/.test(text)) return parseText(text); // JSON.parse leaves no document behind
  const entry = new URL("./config-worker.js", import.meta.url);
  if (!existsSync(fileURLToPath(entry))) return parseText(text);
  const done = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  let worker: Worker;
  try {
    // execArgv: [] so a flag of this process that a worker refuses (--input-type) cannot stall it
    worker = new Worker(entry, {
      workerData: { text, done, port: port2 },
      transferList: [port2],
      execArgv: [],
    });
  } catch {
    return parseText(text);
  }
  worker.unref();
  let failed = false;
  worker.on("error", () => {
    failed = true;
  });
  Atomics.wait(done, 0, 0, WORKER_TIMEOUT_MS);
  const reply = receiveMessageOnPort(port1)?.message as Parsed | undefined;
  port1.close();
  void worker.terminate();
  return reply && !failed ? reply : parseText(text);
}
