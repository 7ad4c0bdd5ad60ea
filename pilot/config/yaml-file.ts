// One config file: multi-document YAML, each document a Kubernetes-style object
// or a `List` of them. Every problem becomes one line `file:line: message`,
// the line being that of the field the problem names when it can be found.
import { LineCounter, isNode, parseAllDocuments } from 'yaml';
import type { Document } from 'yaml';
import type { ConfigObject } from '../../api/config/object.ts';
import type { ConfigDiagnostic } from './types.ts';
import { objectLabel } from '../../api/istio/validate.ts';
import { admitObject } from './admit.ts';
import type { FieldPath, Problem } from './admit.ts';
import { errorMessage } from './errors.ts';

export interface FileEntry {
  key: string;
  object: ConfigObject;
  /** 1-based line where the object starts. */
  line: number;
}

export interface ParsedFile {
  entries: FileEntry[];
  errors: ConfigDiagnostic[];
  warnings: ConfigDiagnostic[];
}

/** Kinds that wrap other objects (`kubectl get -o yaml` prints `List`; `*List` kinds are the same shape). */
function isListKind(doc: Record<string, unknown>): boolean {
  return (
    typeof doc.kind === 'string' &&
    /List$/.test(doc.kind) &&
    Array.isArray(doc.items) &&
    doc.apiVersion === 'v1'
  );
}

export function parseConfigFile(text: string, file: string): ParsedFile {
  const out: ParsedFile = { entries: [], errors: [], warnings: [] };
  const lines = new LineCounter();
  const lineAt = (offset: number) => lines.linePos(offset).line;
  const docs = parseAllDocuments(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
  });
  if (!Array.isArray(docs)) return out; // an empty stream: no documents, no problems

  const seen = new Map<string, number>();
  const admit = (raw: unknown, doc: Document.Parsed, base: FieldPath, startLine: number) => {
    const result = admitObject(raw);
    const at = (p: Problem) =>
      `${file}:${p.path ? (lineOfPath(doc, [...base, ...p.path], lineAt) ?? startLine) : startLine}: ${p.message}`;
    for (const p of result.errors)
      out.errors.push({ severity: 'error', code: p.code, message: at(p) });
    for (const p of result.warnings)
      out.warnings.push({ severity: 'warning', code: p.code, message: at(p) });
    if (!result.object || !result.key) return;
    const first = seen.get(result.key);
    if (first !== undefined) {
      out.errors.push({
        severity: 'error',
        code: 'PETREL_CONFIG_DUPLICATE',
        message: `${file}:${startLine}: ${objectLabel(result.object)}: defined twice in this file (first at line ${first})`,
      });
      return;
    }
    seen.set(result.key, startLine);
    out.entries.push({ key: result.key, object: result.object, line: startLine });
  };

  docs.forEach((doc, index) => {
    const startLine = doc.contents?.range ? lineAt(doc.contents.range[0]) : lineAt(doc.range[0]);
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        out.errors.push({
          severity: 'error',
          code: 'PETREL_CONFIG_YAML',
          message: `${file}:${lineAt(err.pos[0])}: YAML: ${firstLine(err.message)}`,
        });
      }
      return;
    }
    let raw: unknown;
    try {
      raw = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      out.errors.push({
        severity: 'error',
        code: 'PETREL_CONFIG_YAML',
        message: `${file}:${startLine}: YAML: document ${index + 1}: ${errorMessage(err)}`,
      });
      return;
    }
    if (raw === null || raw === undefined) return; // `---` with nothing (or only comments) after it
    if (
      typeof raw === 'object' &&
      !Array.isArray(raw) &&
      isListKind(raw as Record<string, unknown>)
    ) {
      (raw as { items: unknown[] }).items.forEach((item, i) => {
        admit(item, doc, ['items', i], lineOfPath(doc, ['items', i], lineAt) ?? startLine);
      });
    } else {
      admit(raw, doc, [], startLine);
    }
  });
  return out;
}

/** The line of the deepest node along `path` that exists (a missing field points at its parent). */
function lineOfPath(
  doc: Document.Parsed,
  path: FieldPath,
  lineAt: (offset: number) => number,
): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node: unknown = doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return lineAt(node.range[0]);
  }
  return undefined;
}

function firstLine(message: string): string {
  return message.split('\n', 1)[0]!.trim();
}
