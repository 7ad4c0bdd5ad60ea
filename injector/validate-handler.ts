// The validating webhook (`/validate`): Istio config checked by the same
// validation the config sources use, so `kubectl apply` rejects what pilot
// would reject, with the field path (`spec.http[0].route[0].weight: …`).
import { resolveKind } from '../api/config/kinds.ts';
import type { ConfigObject } from '../api/config/object.ts';
import { validateConfig } from '../api/istio/validate.ts';
import { allow, deny, type AdmissionResponse, type AdmissionReview } from './admission.ts';

const PREFIX = 'petrel validator';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function handleValidate(review: AdmissionReview): AdmissionResponse {
  const req = review.request;
  // Deleting is always allowed: there is nothing left to validate.
  if (req.operation === 'DELETE') return allow(req.uid);
  const obj = req.object;
  if (!isObject(obj)) return deny(req.uid, `${PREFIX}: request.object: must be an object`);
  if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') {
    return deny(req.uid, `${PREFIX}: request.object: apiVersion and kind are required`);
  }
  if (!isObject(obj.metadata))
    return deny(req.uid, `${PREFIX}: request.object.metadata: must be an object`);
  const info = resolveKind(obj.apiVersion, obj.kind);
  if (!info?.istio) {
    // The webhook may be registered for Istio kinds Petrel does not model (Telemetry, EnvoyFilter, …).
    return allow(req.uid, [`${PREFIX}: ${obj.apiVersion} ${obj.kind} is not validated by Petrel`]);
  }
  const metadata = { ...obj.metadata } as unknown as ConfigObject['metadata'];
  if (metadata.namespace === undefined && req.namespace) metadata.namespace = req.namespace;
  // A generateName-only object has no name yet; the API server assigns one after admission.
  if (!metadata.name && req.name) metadata.name = req.name;
  const result = validateConfig({ ...obj, metadata } as ConfigObject);
  const warnings = result.warnings;
  if (result.errors.length)
    return deny(req.uid, `configuration is invalid: ${result.errors.join('; ')}`, warnings);
  return allow(req.uid, warnings);
}
