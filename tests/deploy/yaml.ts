import { parseAllDocuments } from "yaml";

export type YamlValue = null | boolean | number | string | YamlValue[] | { [key: string]: YamlValue };

/** Every document of a YAML stream; the first syntax error fails with the file named. */
export function parseYamlDocuments(content: string, source = "<yaml>"): YamlValue[] {
  return parseAllDocuments(content).map((document) => {
    const [error] = document.errors;
    if (error) throw new Error(`${source}: ${error.message}`);
    return document.toJS() as YamlValue;
  });
}
