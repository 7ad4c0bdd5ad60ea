// PTR0003: what pilot's service registry skipped or overrode while building
// the model (a Service without usable ports, a ServiceEntry host another
// object already defines). Pilot logs these once; analysis shows them with
// the object they are about.
import { kindInfo } from '../../../api/config/kinds.ts';
import { MESSAGES } from '../messages.ts';
import type { Analyzer } from '../types.ts';

/** The object a model diagnostic starts with: `service ns/name: …` or `ServiceEntry/ns/name: …`. */
function subjectOf(
  message: string,
): { kind: string; namespace: string; name: string; rest: string } | undefined {
  const m =
    /^([A-Za-z]+)\/([^/\s]*)\/([^:\s]+): (.*)$/.exec(message) ??
    /^([a-z]+) ([^/\s]*)\/([^:\s]+): (.*)$/.exec(message);
  if (!m) return undefined;
  const kind = kindInfo(m[1]!)?.kind ?? kindByLowerName(m[1]!);
  return kind ? { kind, namespace: m[2]!, name: m[3]!, rest: m[4]! } : undefined;
}

function kindByLowerName(lower: string): string | undefined {
  const candidates = ['Service', 'Pod', 'EndpointSlice', 'Endpoints', 'ServiceEntry', 'Node'];
  return candidates.find((k) => k.toLowerCase() === lower);
}

export const serviceRegistryAnalyzer: Analyzer = {
  name: 'model.ServiceRegistryAnalyzer',
  description: "Reports what pilot's service registry skipped or overrode",
  analyze(ctx) {
    for (const d of ctx.push.diagnostics ?? []) {
      const subject = subjectOf(d.message);
      if (!subject) {
        ctx.report(MESSAGES.ServiceModelProblem.make(d.message));
        continue;
      }
      const object = ctx.snapshot.get(subject.kind, subject.namespace || undefined, subject.name);
      const message = MESSAGES.ServiceModelProblem.make(subject.rest);
      if (object) ctx.report(message, object);
      else
        ctx.reportRef(message, {
          kind: subject.kind,
          namespace: subject.namespace,
          name: subject.name,
        });
    }
  },
};
