/**
 * Config text → plain value, without leaving the parser in the daemon (issue 15). JSON text takes
 * JSON.parse. YAML is parsed by the `yaml` package, whose document for a 20,000-route file grows the
 * heap by ~80 MiB that V8 keeps, and whose code alone keeps ~6.5 MiB resident (its modules, and the
 * V8 compiler pages it touches): the daemon parses every YAML file in a short-lived child process,
 * whose memory goes back to the system when it exits. `yaml` is loaded on first use, so a JSON
 * config or a child-parsed one never loads it into the daemon (unless an error needs a line).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

type Yaml = typeof import("yaml");
let yamlModule: Yaml | undefined;
function yaml(): Yaml {
  yamlModule ??= createRequire(import.meta.url)("yaml") as Yaml;
  return yamlModule;
}

/** A syntax error: where (1-based line) and the parser's first line of explanation. */
interface SyntaxFault {
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

/** Longer than any config a person writes by hand takes to parse. */
const CHILD_TIMEOUT_MS = 60_000;

/**
 * parseText in a short-lived child process (config loading is synchronous). Neither `yaml` nor the
 * document ever enters this heap: only the plain value, as JSON. Every YAML file goes there, small
 * ones too: the child costs ~70 ms at start and reload (a node start), against ~6.5 MiB that `yaml`
 * would keep in an idle daemon for good (measured here; idle target 55 MiB). (A worker thread was
 * tried: its isolate and thread arena left ~5 MiB behind.) Falls back to this process when the child
 * cannot run (e.g. the sources run untranspiled under a test runner).
 */
export function parseTextIsolated(text: string): Parsed {
  if (/^\s*\{/.test(text)) return parseText(text); // JSON.parse: no parser to keep, no document left
  const entry = fileURLToPath(new URL("./config-child.js", import.meta.url));
  if (!existsSync(entry)) return parseText(text);
  try {
    return parseInChild(text, entry);
  } catch {
    return parseText(text);
  }
}

/** parseText run by `entry` (the built config-child.js) in a child process; throws if the child fails. */
function parseInChild(text: string, entry: string): Parsed {
  const out = execFileSync(process.execPath, [entry], {
    input: text,
    encoding: "utf8",
    maxBuffer: 64 * text.length + 65_536,
    timeout: CHILD_TIMEOUT_MS,
    stdio: ["pipe", "pipe", "ignore"],
  });
  return JSON.parse(out) as Parsed;
}
