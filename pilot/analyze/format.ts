// Messages as istioctl prints them: one line
//   Error [IST0101] (VirtualService default/reviews samples/x.yaml:12) Referenced host not found: "reviewz"
// or, for -o json, istioctl's objects (code, level, origin, reference, message,
// documentationUrl). Order and de-duplication follow Istio's
// SortedDedupedCopy: level (errors first), code, origin, text.
import type { Level } from './messages.ts';
import type { AnalysisMessage, ResourceRef } from './types.ts';

const LEVEL_ORDER: Record<Level, number> = { Error: 0, Warning: 1, Info: 2 };
const DOCS = 'https://istio.io/latest/docs/reference/config/analysis';

export function friendlyName(r: ResourceRef): string {
  return `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
}

function reference(r: ResourceRef | undefined): string | undefined {
  if (!r?.file) return undefined;
  return r.line ? `${r.file}:${r.line}` : r.file;
}

/** `(Kind namespace/name file:line)`, or '' for a message about no object. */
export function originText(m: AnalysisMessage): string {
  if (!m.resource) return '';
  const ref = reference(m.resource);
  return `(${friendlyName(m.resource)}${ref ? ` ${ref}` : ''})`;
}

export function messageLine(m: AnalysisMessage): string {
  const origin = originText(m);
  return `${m.type.level} [${m.type.code}]${origin ? ` ${origin}` : ''} ${m.text}`;
}

export function messageJson(m: AnalysisMessage): Record<string, unknown> {
  const out: Record<string, unknown> = { code: m.type.code, level: m.type.level };
  if (m.resource) {
    out.origin = friendlyName(m.resource);
    const ref = reference(m.resource);
    if (ref) out.reference = ref;
  }
  out.message = m.text;
  // Only Istio's codes have a page on istio.io.
  if (m.type.code.startsWith('IST'))
    out.documentationUrl = `${DOCS}/${m.type.code.toLowerCase()}/?ref=petrel-analyze`;
  return out;
}

/** A sorted copy without repeats. */
export function sortedMessages(messages: readonly AnalysisMessage[]): AnalysisMessage[] {
  const seen = new Set<string>();
  const out: AnalysisMessage[] = [];
  for (const m of messages) {
    const key = messageLine(m);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(m);
  }
  return out.sort(
    (a, b) =>
      LEVEL_ORDER[a.type.level] - LEVEL_ORDER[b.type.level] ||
      cmp(a.type.code, b.type.code) ||
      cmp(a.resource ? friendlyName(a.resource) : '', b.resource ? friendlyName(b.resource) : '') ||
      cmp(a.resource?.file ?? '', b.resource?.file ?? '') ||
      (a.resource?.line ?? 0) - (b.resource?.line ?? 0) ||
      cmp(a.text, b.text),
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
