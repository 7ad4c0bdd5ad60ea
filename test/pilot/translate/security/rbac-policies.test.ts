import { describe, expect, it } from 'vitest';
import type { AuthorizationPolicy } from '../../../../pilot/model/authorization.ts';
import { isDryRun } from '../../../../pilot/translate/security/rbac-policies.ts';

const withDryRun = (value: string | undefined) =>
  ({
    metadata: {
      name: 'p',
      namespace: 'default',
      annotations: value === undefined ? {} : { 'istio.io/dry-run': value },
    },
    spec: {},
  }) as unknown as AuthorizationPolicy;

describe('istio.io/dry-run', () => {
  it("reads the annotation as Istio does (Go's strconv.ParseBool)", () => {
    for (const v of ['1', 't', 'T', 'TRUE', 'true', 'True'])
      expect(isDryRun(withDryRun(v))).toBe(true);
    for (const v of [undefined, '', '0', 'false', 'False', 'yes', 'tRuE', ' true'])
      expect(isDryRun(withDryRun(v))).toBe(false);
  });
});
