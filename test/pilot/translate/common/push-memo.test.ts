// Per-push sharing of outbound clusters and ClusterLoadAssignments: proxies that
// would get identical resources get the SAME objects (encoded once per push), and
// a proxy whose view differs (here: a namespace-local DestinationRule) does not.
import { describe, expect, it } from 'vitest';
import { identityKey, memoPerPush } from '../../../../pilot/translate/common/push-memo.ts';
import { named, resourcesOf, scenarioFromYaml } from '../support/scenario.ts';

const proxy = (name: string, ns: string, ip: string) => `
kind: TestProxy
name: ${name}
node:
  id: sidecar~${ip}~${name}-7d9b8.${ns}~${ns}.svc.cluster.local
  metadata: {NAMESPACE: ${ns}, LABELS: {app: ${name}}}`;

// A rule for reviews visible only from namespace "other" (Istio's proxy-namespace rule).
const LOCAL_DR = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews-local, namespace: other}
spec:
  host: reviews.default.svc.cluster.local
  exportTo: ["."]
  trafficPolicy: {connectionPool: {tcp: {maxConnections: 7}}}
  subsets: [{name: v1, labels: {version: v1}}]`;

const SCENARIO = [
  'kind: TestInclude\nfile: base/bookinfo.yaml',
  LOCAL_DR,
  proxy('a', 'default', '10.1.0.1'),
  proxy('b', 'default', '10.1.0.2'),
  proxy('c', 'other', '10.1.0.3'),
].join('\n---\n');

const REVIEWS = 'outbound|9080||reviews.default.svc.cluster.local';
const REVIEWS_V1 = 'outbound|9080|v1|reviews.default.svc.cluster.local';

describe('per-push sharing', () => {
  it('hands proxies of the same view the same cluster and assignment objects', () => {
    const s = scenarioFromYaml(SCENARIO);
    expect(named(resourcesOf(s, 'cds', 'a'), REVIEWS)).toBe(
      named(resourcesOf(s, 'cds', 'b'), REVIEWS),
    );
    expect(named(resourcesOf(s, 'eds', 'a'), REVIEWS)).toBe(
      named(resourcesOf(s, 'eds', 'b'), REVIEWS),
    );
  });

  it('builds apart for a proxy whose DestinationRule differs', () => {
    const s = scenarioFromYaml(SCENARIO);
    const a = named(resourcesOf(s, 'cds', 'a'), REVIEWS);
    const c = named(resourcesOf(s, 'cds', 'c'), REVIEWS);
    expect(c).not.toBe(a);
    expect(JSON.stringify(c.circuit_breakers)).toContain('"max_connections":{"value":7}');
    expect(JSON.stringify(a.circuit_breakers ?? null)).not.toContain('"value":7');
    expect(resourcesOf(s, 'cds', 'c').some((r) => r.name === REVIEWS_V1)).toBe(true);
    // The subset only exists through the rule "other" sees.
    expect(named(resourcesOf(s, 'eds', 'c', [REVIEWS_V1]), REVIEWS_V1).endpoints).not.toEqual([]);
    expect(named(resourcesOf(s, 'eds', 'a', [REVIEWS_V1]), REVIEWS_V1).endpoints).toEqual([]);
  });

  it('starts empty for a new push', () => {
    const first = scenarioFromYaml(SCENARIO);
    const second = scenarioFromYaml(SCENARIO);
    expect(named(resourcesOf(first, 'cds', 'a'), REVIEWS)).not.toBe(
      named(resourcesOf(second, 'cds', 'a'), REVIEWS),
    );
  });

  it('memoPerPush keys by push, owner and key; identityKey names objects apart', () => {
    const push = {};
    const owner = {};
    let builds = 0;
    const build = () => ({ n: ++builds });
    const one = memoPerPush(push, owner, 'k', build);
    expect(memoPerPush(push, owner, 'k', build)).toBe(one);
    expect(memoPerPush(push, owner, 'other', build)).not.toBe(one);
    expect(memoPerPush({}, owner, 'k', build)).not.toBe(one);
    expect(builds).toBe(3);
    expect(identityKey(owner)).toBe(identityKey(owner));
    expect(identityKey(owner)).not.toBe(identityKey(push));
    expect(identityKey(undefined)).toBe('-');
  });
});
