/**
 * A strict parser for the subset of YAML that the deployment manifests are written in, so that
 * tests can read them without a YAML dependency (the workspace has none).
 *
 * Supported: several documents separated by `---`; block mappings and block sequences (including
 * a sequence at its parent key's indentation); `- key: value` compact items; plain, single- and
 * double-quoted scalars on one line; literal and folded block scalars (`|`, `|-`, `|+`, `>`, ...);
 * one-line flow collections (`[a, "b"]`, `{ k: v }`); comments. Scalars resolve with the YAML 1.2
 * core schema (null, booleans, integers, floats, strings).
 *
 * Everything else is rejected with the line number rather than guessed at: anchors, aliases,
 * tags, merge keys, complex keys, directives, tabs, multi-line plain or quoted scalars, duplicate
 * keys, and plain scalars that YAML 1.1 (still used by many Kubernetes tools) reads differently
 * from YAML 1.2, such as `yes`, `off` or `0755`: quote those.
 */

export type YamlValue = null | boolean | number | string | YamlValue[] | { [key: string]: YamlValue };

export class YamlSubsetError extends Error {
  constructor(message: string, source: string, line: number) {
    super(`${source}:${line}: ${message}`);
    this.name = "YamlSubsetError";
  }
}

interface Line {
  /** 1-based line number in the file. */
  readonly no: number;
  /** The whole line as written (without the newline). */
  readonly raw: string;
  /** Indentation; may be rewritten for the content after a `- ` sequence indicator. */
  indent: number;
  /** The line from its indentation on, trailing whitespace removed; rewritten along with indent. */
  text: string;
}

const blockScalarHeader = /^([|>])([-+]?)(?:\s+#.*)?$/;
const yaml11Ambiguous =
  /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|[-+]?0[0-9_]+|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?)$/;
const forbiddenPlainStart = /^[&*!%@`|>?]/;
const simpleEscapes: Readonly<Record<string, string>> = {
  "0": "\0",
  a: "\x07",
  b: "\b",
  t: "\t",
  n: "\n",
  v: "\v",
  f: "\f",
  r: "\r",
  e: "\x1b",
  " ": " ",
  '"': '"',
  "/": "/",
  "\\": "\\",
};

function isInsignificant(text: string): boolean {
  return text === "" || text.startsWith("#");
}

function isSequenceItem(text: string): boolean {
  return text === "-" || text.startsWith("- ");
}

/** Parses every document of a file; empty documents (only comments) come back as null. */
export function parseYamlDocuments(content: string, source = "<yaml>"): YamlValue[] {
  const rawLines = content.replace(/\r\n?/g, "\n").split("\n");
  const documents: Line[][] = [[]];
  rawLines.forEach((raw, index) => {
    const no = index + 1;
    if (/^---(?:\s+#.*)?\s*$/.test(raw)) {
      documents.push([]);
      return;
    }
    if (/^(?:\.\.\.|%)/.test(raw))
      throw new YamlSubsetError("directives and `...` are not supported", source, no);
    const indentMatch = /^[ \t]*/.exec(raw)?.[0] ?? "";
    if (indentMatch.includes("\t")) throw new YamlSubsetError("tab in indentation", source, no);
    const text = raw.slice(indentMatch.length).trimEnd();
    documents.at(-1)?.push({ no, raw, indent: indentMatch.length, text });
  });
  // A leading `---` only opens the first document.
  if (documents.length > 1 && documents[0]?.every((line) => isInsignificant(line.text))) documents.shift();
  return documents.map((lines) => new DocumentParser(lines, source).parse());
}

class DocumentParser {
  private pos = 0;

  constructor(
    private readonly lines: Line[],
    private readonly source: string,
  ) {}

  parse(): YamlValue {
    const value = this.parseNode(0);
    const left = this.peek();
    if (left) this.fail("unexpected content (check the indentation)", left);
    return value;
  }

  private fail(message: string, line: Line | undefined): never {
    throw new YamlSubsetError(message, this.source, line?.no ?? this.lines.at(-1)?.no ?? 1);
  }

  /** The next line with content, skipping blank and comment lines. */
  private peek(): Line | undefined {
    while (this.pos < this.lines.length) {
      const line = this.lines[this.pos];
      if (line && !isInsignificant(line.text)) return line;
      this.pos++;
    }
    return undefined;
  }

  private parseNode(minIndent: number): YamlValue {
    const line = this.peek();
    if (!line || line.indent < minIndent) return null;
    if (isSequenceItem(line.text)) return this.parseSequence(line.indent);
    if (this.splitKey(line) !== undefined) return this.parseMapping(line.indent);
    if (blockScalarHeader.test(line.text)) this.fail("a block scalar must follow a key or `- `", line);
    this.pos++;
    return this.parseInline(line.text, line);
  }

  private parseMapping(indent: number): { [key: string]: YamlValue } {
    const mapping: { [key: string]: YamlValue } = {};
    for (let line = this.peek(); line && line.indent >= indent; line = this.peek()) {
      if (line.indent > indent)
        this.fail("unexpected indentation (multi-line plain scalars are not supported)", line);
      const entry = this.splitKey(line);
      if (entry === undefined) this.fail("expected `key: value`", line);
      const { key, rest } = entry;
      if (Object.hasOwn(mapping, key)) this.fail(`duplicate key "${key}"`, line);
      this.pos++;
      let value: YamlValue;
      if (rest === "" || rest.startsWith("#")) {
        const next = this.peek();
        if (next && next.indent > indent) value = this.parseNode(indent + 1);
        else if (next && next.indent === indent && isSequenceItem(next.text))
          value = this.parseSequence(indent);
        else value = null;
      } else if (blockScalarHeader.test(rest)) {
        value = this.parseBlockScalar(rest, indent);
      } else {
        value = this.parseInline(rest, line);
      }
      mapping[key] = value;
    }
    return mapping;
  }

  private parseSequence(indent: number): YamlValue[] {
    const sequence: YamlValue[] = [];
    for (let line = this.peek(); line && line.indent >= indent; line = this.peek()) {
      if (line.indent > indent) this.fail("unexpected indentation", line);
      if (!isSequenceItem(line.text)) break;
      const afterDash = line.text.slice(1);
      const rest = afterDash.trimStart();
      if (rest === "" || rest.startsWith("#")) {
        this.pos++;
        const next = this.peek();
        sequence.push(next && next.indent > indent ? this.parseNode(indent + 1) : null);
      } else if (blockScalarHeader.test(rest)) {
        this.pos++;
        sequence.push(this.parseBlockScalar(rest, indent));
      } else {
        // Read the item as if its content started a line of its own, at its column.
        line.indent += 1 + afterDash.length - rest.length;
        line.text = rest;
        sequence.push(this.parseNode(line.indent));
      }
    }
    return sequence;
  }

  /** `key: rest` when the line is a mapping entry, otherwise undefined. */
  private splitKey(line: Line): { key: string; rest: string } | undefined {
    const text = line.text;
    if (text.startsWith("[") || text.startsWith("{")) return undefined;
    if (text.startsWith("? ") || text === "?") this.fail("complex keys are not supported", line);
    if (text.startsWith('"') || text.startsWith("'")) {
      const { value, end } = this.parseQuoted(text, 0, line);
      const after = text.slice(end).trimStart();
      if (after === ":" || after.startsWith(": ")) return { key: value, rest: after.slice(1).trim() };
      return undefined;
    }
    const colon = /:(?: |$)/.exec(text);
    if (!colon) return undefined;
    const commentAt = text.search(/\s#/);
    if (commentAt !== -1 && commentAt < colon.index) return undefined;
    const key = text.slice(0, colon.index).trimEnd();
    if (key === "") this.fail("empty key", line);
    if (key === "<<") this.fail("merge keys are not supported", line);
    if (forbiddenPlainStart.test(key) || isSequenceItem(key)) {
      this.fail(`unsupported key "${key}" (anchors, aliases, tags are not supported)`, line);
    }
    if (key === "__proto__") this.fail('the key "__proto__" is not allowed', line);
    return { key, rest: text.slice(colon.index + 1).trim() };
  }

  private parseBlockScalar(header: string, parentIndent: number): string {
    const [, style, chomping] = blockScalarHeader.exec(header) ?? [];
    const body: string[] = [];
    let contentIndent: number | undefined;
    while (this.pos < this.lines.length) {
      const line = this.lines[this.pos];
      if (!line) break;
      const blank = line.raw.trim() === "";
      if (!blank && line.indent <= parentIndent) break;
      if (!blank) {
        contentIndent ??= line.indent;
        if (line.indent < contentIndent)
          this.fail("block scalar line indented less than its first line", line);
      }
      body.push(blank ? "" : line.raw.slice(contentIndent).trimEnd());
      this.pos++;
    }
    let trailingEmpty = 0;
    while (body.length > 0 && body.at(-1) === "") {
      body.pop();
      trailingEmpty++;
    }
    if (body.length === 0) return chomping === "+" ? "\n".repeat(trailingEmpty) : "";
    const text = style === "|" ? body.join("\n") : fold(body);
    if (chomping === "-") return text;
    if (chomping === "+") return `${text}\n${"\n".repeat(trailingEmpty)}`;
    return `${text}\n`;
  }

  /** A value written on the rest of a line: a flow collection, a quoted or a plain scalar. */
  private parseInline(text: string, line: Line): YamlValue {
    if (text.startsWith("[") || text.startsWith("{")) {
      const { value, end } = this.parseFlow(text, 0, line);
      this.expectLineEnd(text, end, line);
      return value;
    }
    if (text.startsWith('"') || text.startsWith("'")) {
      const { value, end } = this.parseQuoted(text, 0, line);
      this.expectLineEnd(text, end, line);
      return value;
    }
    const commentAt = text.search(/\s#/);
    const plain = (commentAt === -1 ? text : text.slice(0, commentAt)).trim();
    if (/:(?: |$)/.test(plain)) this.fail("`: ` inside a plain scalar (quote the value)", line);
    return this.resolvePlain(plain, line);
  }

  private expectLineEnd(text: string, end: number, line: Line): void {
    const rest = text.slice(end).trim();
    if (rest !== "" && !rest.startsWith("#")) this.fail(`unexpected "${rest}" after the value`, line);
  }

  private resolvePlain(plain: string, line: Line): YamlValue {
    if (plain === "") return null;
    if (forbiddenPlainStart.test(plain)) {
      this.fail(`unsupported value "${plain}" (anchors, aliases, tags, reserved indicators)`, line);
    }
    if (yaml11Ambiguous.test(plain)) {
      this.fail(`"${plain}" means different things in YAML 1.1 and 1.2: quote it`, line);
    }
    if (/^(?:null|Null|NULL|~)$/.test(plain)) return null;
    if (/^(?:true|True|TRUE)$/.test(plain)) return true;
    if (/^(?:false|False|FALSE)$/.test(plain)) return false;
    if (/^[-+]?[0-9]+$/.test(plain)) return Number.parseInt(plain, 10);
    if (/^0o[0-7]+$/.test(plain)) return Number.parseInt(plain.slice(2), 8);
    if (/^0x[0-9a-fA-F]+$/.test(plain)) return Number.parseInt(plain.slice(2), 16);
    if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(plain)) return Number(plain);
    if (/^[-+]?\.(?:inf|Inf|INF)$/.test(plain)) return plain.startsWith("-") ? -Infinity : Infinity;
    if (/^\.(?:nan|NaN|NAN)$/.test(plain)) return Number.NaN;
    return plain;
  }

  private parseQuoted(text: string, start: number, line: Line): { value: string; end: number } {
    const quote = text[start];
    let value = "";
    let i = start + 1;
    while (i < text.length) {
      const char = text[i] as string;
      if (quote === "'") {
        if (char === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          return { value, end: i + 1 };
        }
        value += char;
        i++;
        continue;
      }
      if (char === '"') return { value, end: i + 1 };
      if (char !== "\\") {
        value += char;
        i++;
        continue;
      }
      const escaped = text[i + 1];
      if (escaped !== undefined && Object.hasOwn(simpleEscapes, escaped)) {
        value += simpleEscapes[escaped];
        i += 2;
        continue;
      }
      const width = escaped === "x" ? 2 : escaped === "u" ? 4 : escaped === "U" ? 8 : 0;
      const hex = text.slice(i + 2, i + 2 + width);
      if (width === 0 || !new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) {
        this.fail(`unsupported escape "\\${escaped ?? ""}"`, line);
      }
      value += String.fromCodePoint(Number.parseInt(hex, 16));
      i += 2 + width;
    }
    this.fail("quoted scalar not closed on its line (multi-line quoted scalars are not supported)", line);
  }

  private parseFlow(text: string, start: number, line: Line): { value: YamlValue; end: number } {
    const open = text[start];
    const close = open === "[" ? "]" : "}";
    const items: YamlValue[] = [];
    const mapping: { [key: string]: YamlValue } = {};
    let i = start + 1;
    const skipSpaces = () => {
      while (text[i] === " ") i++;
    };
    for (;;) {
      skipSpaces();
      if (i >= text.length) this.fail("flow collection not closed on its line", line);
      if (text[i] === close) return { value: open === "[" ? items : mapping, end: i + 1 };
      if (open === "[") {
        const item = this.parseFlowNode(text, i, line, false);
        items.push(item.value);
        i = item.end;
      } else {
        const key = this.parseFlowNode(text, i, line, true);
        if (
          typeof key.value !== "string" &&
          typeof key.value !== "number" &&
          typeof key.value !== "boolean"
        ) {
          this.fail("flow mapping keys must be scalars", line);
        }
        const name = String(key.value);
        if (Object.hasOwn(mapping, name)) this.fail(`duplicate key "${name}"`, line);
        if (name === "__proto__") this.fail('the key "__proto__" is not allowed', line);
        i = key.end;
        skipSpaces();
        if (text[i] !== ":") this.fail("expected `:` in a flow mapping", line);
        i++;
        skipSpaces();
        if (text[i] === "," || text[i] === close) {
          mapping[name] = null;
        } else {
          const value = this.parseFlowNode(text, i, line, false);
          mapping[name] = value.value;
          i = value.end;
        }
      }
      skipSpaces();
      if (i >= text.length) this.fail("flow collection not closed on its line", line);
      if (text[i] === ",") i++;
      else if (text[i] !== close) this.fail(`expected "," or "${close}" in a flow collection`, line);
    }
  }

  private parseFlowNode(
    text: string,
    start: number,
    line: Line,
    isKey: boolean,
  ): { value: YamlValue; end: number } {
    const first = text[start];
    if (first === "[" || first === "{") return this.parseFlow(text, start, line);
    if (first === '"' || first === "'") return this.parseQuoted(text, start, line);
    let end = start;
    while (end < text.length) {
      const char = text[end] as string;
      if (",[]{}".includes(char)) break;
      if (char === ":" && (isKey || text[end + 1] === " " || text[end + 1] === undefined)) break;
      if (char === "#" && text[end - 1] === " ") this.fail("comment inside a flow collection", line);
      end++;
    }
    return { value: this.resolvePlain(text.slice(start, end).trim(), line), end };
  }
}

/** Line folding of a `>` block scalar: lines join with spaces, empty lines become newlines. */
function fold(lines: readonly string[]): string {
  let out = "";
  let previous: "none" | "text" | "more" = "none";
  let empty = 0;
  for (const line of lines) {
    if (line === "") {
      empty++;
      continue;
    }
    const more = line.startsWith(" ");
    if (previous === "none") out += "\n".repeat(empty);
    else if (previous === "text" && !more) out += empty > 0 ? "\n".repeat(empty) : " ";
    else out += `\n${"\n".repeat(empty)}`;
    out += line;
    empty = 0;
    previous = more ? "more" : "text";
  }
  return out;
}
