import { describe, expect, it } from "vitest";
import { parseYamlDocuments, YamlSubsetError } from "./yaml.js";

const one = (text: string) => parseYamlDocuments(text, "test.yaml")[0];

describe("the YAML subset parser used for the deployment manifests", () => {
  it("reads block mappings, sequences (indented or not) and compact items", () => {
    const text = [
      "a: 1",
      "list:",
      "- x",
      "- name: why",
      "  value: '2'",
      "nested:",
      "  deeper:",
      "    - [1, two, {k: v}]",
    ].join("\n");
    expect(one(text)).toEqual({
      a: 1,
      list: ["x", { name: "why", value: "2" }],
      nested: { deeper: [[1, "two", { k: "v" }]] },
    });
  });

  it("resolves scalars with the YAML 1.2 core schema and keeps quoted ones as strings", () => {
    expect(
      one(
        'n: ~\nt: true\ni: -3\nf: 1.5\ns: 0.0.0.0\nq: "30000"\nu: http://x:80/#frag\nc: a # note\ne: "\\u00e9\\t"',
      ),
    ).toEqual({
      n: null,
      t: true,
      i: -3,
      f: 1.5,
      s: "0.0.0.0",
      q: "30000",
      u: "http://x:80/#frag",
      c: "a",
      e: "é\t",
    });
  });

  it("reads literal and folded block scalars with their chomping", () => {
    const text = "lit: |\n  one\n    two\n\nfold: >-\n  a\n  b\n\n  c\nkeep: |+\n  k\n\nend: 1";
    expect(one(text)).toEqual({ lit: "one\n  two\n", fold: "a b\nc", keep: "k\n\n", end: 1 });
  });

  it("splits documents on --- and returns empty documents as null", () => {
    expect(parseYamlDocuments("---\nkind: A\n---\n# nothing\n---\nkind: B\n")).toEqual([
      { kind: "A" },
      null,
      { kind: "B" },
    ]);
  });

  it.each([
    ["a: b: c", "`: ` inside a plain scalar"],
    ["a: 1\n  b: 2", "unexpected indentation"],
    ["a: 1\na: 2", 'duplicate key "a"'],
    ["a: &x 1", "unsupported value"],
    ["a: *x", "unsupported value"],
    ["<<: {}", "merge keys"],
    ["a: !!str 1", "unsupported value"],
    ["a: 'open", "not closed"],
    ["a: [1, 2", "not closed"],
    ["a: yes", "quote it"],
    ["a: 0755", "quote it"],
    ["a:\n\t- b", "tab in indentation"],
  ])("rejects %j", (text, message) => {
    expect(() => one(text)).toThrow(YamlSubsetError);
    expect(() => one(text)).toThrow(message);
  });
});
