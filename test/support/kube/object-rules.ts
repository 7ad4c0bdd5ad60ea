// Rules the API server applies to objects on write, kept apart from the verbs:
// name formats, what create resets, generateName, and list continue tokens.
import type { ResourceType } from './resource-table.ts';
import { badRequest, invalid } from './status.ts';
import type { KubeObject } from './storage.ts';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

export function checkName(type: ResourceType, name: string): void {
  const [re, what] =
    type.kind === 'Namespace'
      ? [DNS1123_LABEL, 'a lowercase RFC 1123 label']
      : type.kind === 'Service' && !type.group
        ? [DNS1035_LABEL, 'a DNS-1035 label']
        : [DNS1123_SUBDOMAIN, 'a lowercase RFC 1123 subdomain'];
  if (!re.test(name) || name.length > 253) {
    throw invalid(
      type.kind,
      name,
      'metadata.name',
      name,
      `must be ${what} consisting of lower case alphanumeric characters or '-'`,
    );
  }
}

export function objectKey(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

export function specOf(o: KubeObject): unknown {
  const { metadata: _m, status: _s, ...rest } = o;
  return rest;
}

/** What the registry's PrepareForCreate does for kinds with a status subresource. */
export function resetStatus(kind: string, obj: KubeObject): void {
  if (kind === 'Pod') obj.status = { phase: 'Pending' };
  else if (kind === 'Namespace') obj.status = { phase: 'Active' };
  else delete obj.status;
}

export function randomSuffix(): string {
  // The apiserver's alphabet for generateName (no vowels, no confusable digits).
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let s = '';
  for (let i = 0; i < 5; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
  return s;
}

export function encodeContinue(rv: number, after: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: after })).toString(
    'base64url',
  );
}

export function decodeContinue(token: string): { rv: number; after: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      rv: number;
      start: string;
    };
    if (typeof parsed.rv !== 'number' || typeof parsed.start !== 'string')
      throw new Error('bad token');
    return { rv: parsed.rv, after: parsed.start };
  } catch {
    throw badRequest('continue key is not valid');
  }
}
