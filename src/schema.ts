/**
 * The valibot building blocks the config, the control protocol, the state file and the replies are
 * made of, each with a message that says what is expected (valibot's defaults say "Invalid type:
 * Expected number but received ..."). A message never repeats a string it was given: the field may
 * hold a secret. Numbers are echoed, they help and cannot leak anything.
 */
import * as v from "valibot";

/** What a number was given as, for a message: the number itself, else only its kind. */
function got(issue: v.BaseIssue<unknown>): string {
  return typeof issue.input === "number" ? `got ${issue.input}` : `got ${kindOf(issue.input)}`;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "a mapping" : `a ${typeof value}`;
}

/** A whole number in [min, max]: metrics, tags, key ids, limits. */
export function wholeNumber(min: number, max: number) {
  const message = (issue: v.BaseIssue<unknown>) =>
    `must be a whole number from ${min} to ${max} (${got(issue)})`;
  return v.pipe(v.number(message), v.integer(message), v.minValue(min, message), v.maxValue(max, message));
}

/** A number of seconds above 0, up to max: timers and check intervals. */
export function seconds(max: number) {
  const message = (issue: v.BaseIssue<unknown>) =>
    `must be a number of seconds above 0 and up to ${max} (${got(issue)})`;
  return v.pipe(v.number(message), v.gtValue(0, message), v.maxValue(max, message));
}

/** A string of at least one character (and at most `max`), e.g. a path or a command. */
export function text(example: string, max?: number) {
  const message =
    max === undefined
      ? `must be a non-empty string, e.g. ${example}`
      : `must be a string of 1 to ${max} characters, e.g. ${example}`;
  return max === undefined
    ? v.pipe(v.string(message), v.minLength(1, message))
    : v.pipe(v.string(message), v.minLength(1, message), v.maxLength(max, message));
}

/** A string of at most `max` characters (what a client may send; the meaning is checked later). */
export function boundedString(max: number, example: string) {
  const message = `must be a string of at most ${max} characters, e.g. ${example}`;
  return v.pipe(v.string(message), v.maxLength(max, message));
}

/** Any string: its meaning (a prefix, an address) is checked where it is used, with its own message. */
export function anyString(example: string) {
  return v.string(`must be a string, e.g. ${example}`);
}

export function flag() {
  return v.boolean("must be true or false");
}

/** A list of `item`, at most `max` long (and at least `min`, with its own message). */
export function list<T extends v.GenericSchema>(
  item: T,
  example: string,
  bounds: { max?: number; min?: number; minMessage?: string } = {},
) {
  const type = `must be a list, e.g. ${example}`;
  const max = bounds.max ?? Number.MAX_SAFE_INTEGER;
  const tooLong = (issue: v.BaseIssue<unknown>) =>
    `has ${(issue.input as unknown[]).length} entries; at most ${max} are allowed`;
  const tooShort = bounds.minMessage ?? `must list at least ${bounds.min ?? 0}, e.g. ${example}`;
  return v.pipe(v.array(item, type), v.minLength(bounds.min ?? 0, tooShort), v.maxLength(max, tooLong));
}

/** One of a few words. */
export function oneOf<const T extends readonly string[]>(options: T) {
  return v.picklist(options, `must be one of ${options.join(", ")}`);
}

/**
 * A mapping with exactly these fields. An unknown field is refused at its own path (so a config
 * error points at its line) with the fields that are allowed: a typo gets its fix.
 */
export function fields<E extends v.ObjectEntries>(entries: E) {
  const names = Object.keys(entries).join(", ");
  return v.strictObject(entries, (issue) => {
    if (issue.expected === "never") return `unknown field; the fields here are ${names}`;
    // a required field left out: the issue is at the field's path, its input undefined
    if (issue.input === undefined && issue.expected?.startsWith('"'))
      return "missing; this field is required";
    return `must be a mapping with the fields ${names} (${got(issue)})`;
  });
}

/** A string matching `pattern`; `message` says what is expected, with an example. */
export function matching(pattern: RegExp, message: string) {
  return v.pipe(v.string(message), v.regex(pattern, message));
}
