// Reading YAML files for analysis. Each document goes through pilot's own
// admission (pilot/config/admit.ts), so analysis accepts and rejects exactly
// what pilot does. Unlike pilot/config/yaml-file.ts, which reduces problems to
// `file:line: message` strings, this keeps each parsed document so a message
// can point at the line of the field it is about (the destination host, the
// subset name), as istioctl does.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LineCounter, isNode, parseAllDocuments } from 'yaml';
import type { Document } from 'yaml';
import { kindInfo } from '../../api/config/kinds.ts';
import { admitObject } from '../config/admit.ts';
import type { FieldPath, Problem } from '../config/admit.ts';
import { listConfigFiles, readConfigFile } from '../config/config-dir.ts';
import { errorMessage } from '../config/errors.ts';
import { refOf, type InputBuilder } from './input.ts';
import type { ResourceRef } from './types.ts';

/** Adds every object of `paths` (files, or directories read as `--config-dir` reads them). */
export async function addPaths(builder: InputBuilder, paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    let isDir: boolean;
    try {
      isDir = (await stat(path)).isDirectory();
    } catch (err) {
      builder.problem({
        severity: 'error',
        code: 'PETREL_CONFIG_IO',
        detail: errorMessage(err),
        file: path,
      });
      continue;
    }
    const files = isDir ? (await listConfigFiles(path)).map((f) => join(path, f)) : [path];
    for (const file of files) {
      const read = await readConfigFile(file);
      if ('error' in read)
        builder.problem({ severity: 'error', code: 'PETREL_CONFIG_IO', detail: read.error, file });
      else addText(builder, read.text, file);
    }
  }
}

/** Adds the objects of one file's text. */
export function addText(builder: InputBuilder, text: string, file: string): void {
  const lines = new LineCounter();
  const lineAt = (offset: number) => lines.linePos(offset).line;
  const docs = parseAllDocuments(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
  });
  if (!Array.isArray(docs)) return; // an empty stream
  for (const [index, doc] of docs.entries()) {
    const startLine = lineAt(doc.contents?.range?.[0] ?? doc.range[0]);
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        builder.problem({
          severity: 'error',
          code: 'PETREL_CONFIG_YAML',
          detail: `YAML: ${err.message.split('\n', 1)[0]!.trim()}`,
          file,
          line: lineAt(err.pos[0]),
        });
      }
      continue;
    }
    let raw: unknown;
    try {
      raw = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      const detail = `YAML: document ${index + 1}: ${errorMessage(err)}`;
      builder.problem({
        severity: 'error',
        code: 'PETREL_CONFIG_YAML',
        detail,
        file,
        line: startLine,
      });
      continue;
    }
    if (raw === null || raw === undefined) continue;
    if (isList(raw)) {
      raw.items.forEach((item, i) => {
        const base = ['items', i];
        admit(builder, item, file, doc, base, lineOf(doc, base, lineAt) ?? startLine, lineAt);
      });
    } else admit(builder, raw, file, doc, [], startLine, lineAt);
  }
}

function admit(
  builder: InputBuilder,
  raw: unknown,
  file: string,
  doc: Document.Parsed,
  base: FieldPath,
  line: number,
  lineAt: (offset: number) => number,
): void {
  const result = admitObject(raw);
  const lineOfPath = (path: FieldPath) => lineOf(doc, [...base, ...path], lineAt);
  const at = (p: Problem) => (p.path ? (lineOfPath(p.path) ?? line) : line);
  const resource = rawRef(raw, file, line);
  for (const p of [...result.errors, ...result.warnings]) {
    const severity = result.errors.includes(p) ? 'error' : 'warning';
    // Problems about the object (not its envelope) carry the object's label first: drop it, the origin says it.
    const detail = resource ? stripLabel(p.message) : p.message;
    builder.problem({
      severity,
      code: p.code,
      detail,
      resource: resource && { ...resource, line: at(p) },
      file,
      line: at(p),
    });
  }
  if (result.object) builder.add(result.object, { file, line, lineOf: lineOfPath });
}

/** `virtualservice default/reviews: spec.http[0]: …` → `spec.http[0]: …`. */
function stripLabel(message: string): string {
  const m = /^[a-z]+ (?:[a-z0-9-]+\/)?[^\s:]+: /.exec(message);
  return m ? message.slice(m[0].length) : message;
}

/** Kind and name of a document that may have failed admission, when it names both. */
function rawRef(raw: unknown, file: string, line: number): ResourceRef | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  if (typeof r.kind !== 'string' || typeof r.metadata?.name !== 'string') return undefined;
  const info = kindInfo(r.kind);
  if (!info) return undefined;
  const ns =
    typeof r.metadata.namespace === 'string' && r.metadata.namespace
      ? r.metadata.namespace
      : 'default';
  return refOf(
    {
      apiVersion: '',
      kind: r.kind,
      metadata: { name: r.metadata.name, ...(info.namespaced ? { namespace: ns } : {}) },
    },
    { file, line },
  );
}

function isList(raw: unknown): raw is { items: unknown[] } {
  const doc = raw as { kind?: unknown; apiVersion?: unknown; items?: unknown };
  return (
    typeof raw === 'object' &&
    raw !== null &&
    typeof doc.kind === 'string' &&
    /List$/.test(doc.kind) &&
    doc.apiVersion === 'v1' &&
    Array.isArray(doc.items)
  );
}

/** The line of the deepest node along `path` that exists (a missing field points at its parent). */
function lineOf(
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
