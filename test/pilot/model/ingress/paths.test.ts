// Ingress path types as VirtualService matches with Istio's semantics, and the
// order Istio puts them in.
import { describe, expect, it } from 'vitest';
import type { HTTPMatchRequest } from '../../../../api/istio/index.ts';
import { byPathPrecedence, pathMatch } from '../../../../pilot/model/ingress/paths.ts';

/** Whether a request path matches any of the VirtualService URI matches (none: everything). */
function matches(match: HTTPMatchRequest[] | undefined, url: string): boolean {
  if (!match) return true;
  return match.some((m) =>
    m.uri?.exact !== undefined ? url === m.uri.exact : url.startsWith(m.uri!.prefix!),
  );
}

function accepted(p: string, pathType: string, urls: string[]): string[] {
  const { match } = pathMatch({ path: p, pathType: pathType as 'Exact' });
  return urls.filter((u) => matches(match, u));
}

const URLS = ['/', '/foo', '/foo/', '/foo/bar', '/foobar', '/other'];

describe('Ingress path types', () => {
  it('Exact matches the path only', () => {
    expect(accepted('/foo', 'Exact', URLS)).toEqual(['/foo']);
  });

  it('Prefix /foo matches /foo and what is under /foo/, never /foobar; a trailing slash changes nothing', () => {
    expect(accepted('/foo', 'Prefix', URLS)).toEqual(['/foo', '/foo/', '/foo/bar']);
    expect(accepted('/foo/', 'Prefix', URLS)).toEqual(['/foo', '/foo/', '/foo/bar']);
  });

  it('Prefix / matches everything', () => {
    expect(accepted('/', 'Prefix', URLS)).toEqual(URLS);
  });

  it("ImplementationSpecific follows Istio's fallback: wildcards match all, `.*` and `/*` are prefixes, the rest exact", () => {
    for (const p of ['', '/*'])
      expect(pathMatch({ path: p, pathType: 'ImplementationSpecific' }).match).toBeUndefined();
    expect(accepted('/foo/*', 'ImplementationSpecific', URLS)).toEqual([
      '/foo',
      '/foo/',
      '/foo/bar',
    ]);
    expect(accepted('/foo.*', 'ImplementationSpecific', URLS)).toEqual([
      '/foo',
      '/foo/',
      '/foo/bar',
    ]);
    expect(accepted('/foo', 'ImplementationSpecific', URLS)).toEqual(['/foo']);
  });

  it('orders longer paths first and, at equal length, exact before prefix; catch-alls last', () => {
    const paths = [
      { path: '/', pathType: 'Prefix' },
      { path: '/a', pathType: 'Prefix' },
      { path: '', pathType: 'ImplementationSpecific' },
      { path: '/a/b', pathType: 'Prefix' },
      { path: '/a', pathType: 'Exact' },
    ] as const;
    const sorted = paths
      .map((p) => ({ p, m: pathMatch(p) }))
      .sort((a, b) => byPathPrecedence(a.m, b.m))
      .map(({ p }) => `${p.pathType} ${p.path}`);
    expect(sorted).toEqual([
      'Prefix /a/b',
      'Exact /a',
      'Prefix /a',
      'Prefix /',
      'ImplementationSpecific ',
    ]);
  });
});
