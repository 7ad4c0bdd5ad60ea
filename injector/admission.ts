// AdmissionReview in and out (admission.k8s.io/v1, and v1beta1 which has the
// same shape): parsing with precise errors, and the response envelope. The
// response must echo the request's uid and apiVersion or the API server
// discards it (https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#response).
import { InjectorError } from './errors.ts';
import type { PatchOperation } from './json-patch.ts';
import type { Pod } from './pod-types.ts';

export const REVIEW_VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const;

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface AdmissionRequest {
  uid: string;
  kind?: GroupVersionKind;
  namespace?: string;
  name?: string;
  operation?: string;
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
}

export interface AdmissionReview {
  apiVersion: string;
  request: AdmissionRequest;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patchType?: 'JSONPatch';
  patch?: string;
  status?: { code?: number; reason?: string; message: string };
  warnings?: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Throws PETREL_INJECT_REVIEW naming what is wrong: the API server never sends such a body. */
export function parseReview(body: string): AdmissionReview {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw new InjectorError('PETREL_INJECT_REVIEW', `body is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed))
    throw new InjectorError('PETREL_INJECT_REVIEW', 'body is not a JSON object');
  const { apiVersion, kind, request } = parsed;
  if (kind !== 'AdmissionReview')
    throw new InjectorError(
      'PETREL_INJECT_REVIEW',
      `kind ${JSON.stringify(kind)}: must be AdmissionReview`,
    );
  if (
    typeof apiVersion !== 'string' ||
    !(REVIEW_VERSIONS as readonly string[]).includes(apiVersion)
  ) {
    throw new InjectorError(
      'PETREL_INJECT_REVIEW',
      `apiVersion ${JSON.stringify(apiVersion)}: must be one of ${REVIEW_VERSIONS.join(', ')}`,
    );
  }
  if (!isObject(request)) throw new InjectorError('PETREL_INJECT_REVIEW', 'request: is required');
  if (typeof request.uid !== 'string' || request.uid === '')
    throw new InjectorError('PETREL_INJECT_REVIEW', 'request.uid: is required');
  return { apiVersion, request: request as unknown as AdmissionRequest };
}

export function reviewEnvelope(apiVersion: string, response: AdmissionResponse): object {
  return { apiVersion, kind: 'AdmissionReview', response };
}

export function allow(uid: string, warnings: string[] = []): AdmissionResponse {
  return { uid, allowed: true, ...(warnings.length ? { warnings } : {}) };
}

export function deny(uid: string, message: string, warnings: string[] = []): AdmissionResponse {
  return {
    uid,
    allowed: false,
    status: { code: 400, reason: 'BadRequest', message },
    ...(warnings.length ? { warnings } : {}),
  };
}

export function patchResponse(
  uid: string,
  ops: PatchOperation[],
  warnings: string[] = [],
): AdmissionResponse {
  return {
    uid,
    allowed: true,
    patchType: 'JSONPatch',
    patch: Buffer.from(JSON.stringify(ops)).toString('base64'),
    ...(warnings.length ? { warnings } : {}),
  };
}

function stringMap(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    (isObject(v) && Object.values(v).every((x) => typeof x === 'string'))
  );
}

function objectArray(v: unknown, named: boolean): boolean {
  if (v === undefined || v === null) return true;
  return Array.isArray(v) && v.every((x) => isObject(x) && (!named || typeof x.name === 'string'));
}

/** The pod in request.object, or the first thing that makes it unusable (`request.object.spec.containers: …`). */
export function asPod(object: unknown): Pod | string {
  const at = 'request.object';
  if (!isObject(object)) return `${at}: must be an object`;
  if (object.kind !== undefined && object.kind !== 'Pod')
    return `${at}.kind ${JSON.stringify(object.kind)}: not a Pod`;
  const { metadata, spec } = object;
  if (!isObject(metadata)) return `${at}.metadata: must be an object`;
  if (!stringMap(metadata.labels)) return `${at}.metadata.labels: must map strings to strings`;
  if (!stringMap(metadata.annotations))
    return `${at}.metadata.annotations: must map strings to strings`;
  if (!objectArray(metadata.ownerReferences, true))
    return `${at}.metadata.ownerReferences: must be a list of objects with a name`;
  if (!isObject(spec)) return `${at}.spec: must be an object`;
  if (!Array.isArray(spec.containers) || !objectArray(spec.containers, true))
    return `${at}.spec.containers: must be a list of containers with a name`;
  if (!objectArray(spec.initContainers, true))
    return `${at}.spec.initContainers: must be a list of containers with a name`;
  if (!objectArray(spec.volumes, true))
    return `${at}.spec.volumes: must be a list of volumes with a name`;
  for (const [list, cs] of [
    ['containers', spec.containers],
    ['initContainers', spec.initContainers ?? []],
  ] as const) {
    const bad = (cs as Array<Record<string, unknown>>).findIndex(
      (c) => !objectArray(c.ports, false),
    );
    if (bad >= 0) return `${at}.spec.${list}[${bad}].ports: must be a list of ports`;
  }
  return object as unknown as Pod;
}
