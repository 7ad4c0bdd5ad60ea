// PATCH bodies, by Content-Type, as the API server applies them:
//   application/merge-patch+json          RFC 7386
//   application/json-patch+json           RFC 6902 (fast-json-patch)
//   application/strategic-merge-patch+json built-in kinds only (strategic-merge.ts)
// Server-side apply (application/apply-patch+yaml) is not modelled: 415.
import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { ApiError, badRequest } from './status.ts';
import { strategicMerge } from './strategic-merge.ts';

type Json = unknown;

const isObject = (v: Json): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * RFC 7386 merge patch. Written out because the RFC's own algorithm (section 2)
 * is these few lines; a null deletes, objects merge, everything else replaces.
 */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export function applyPatch(
  contentType: string,
  current: Json,
  body: string,
  kind: string,
  custom: boolean,
): Json {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  let patch: Json;
  const parse = () => {
    try {
      patch = JSON.parse(body);
    } catch (err) {
      throw badRequest(`error decoding patch: ${(err as Error).message}`);
    }
  };
  switch (type) {
    case 'application/merge-patch+json':
      parse();
      if (!isObject(patch)) throw badRequest('merge patch must be a JSON object');
      return mergePatch(current, patch);
    case 'application/json-patch+json':
      parse();
      if (!Array.isArray(patch)) throw badRequest('json patch must be a JSON array of operations');
      try {
        return fastJsonPatch.applyPatch(current, patch as Operation[], true, false).newDocument;
      } catch (err) {
        // The real server answers a patch that does not apply with 422.
        throw new ApiError(
          422,
          'Invalid',
          `the server rejected our request due to an error in our request: ${(err as Error).message.split('\n')[0]}`,
        );
      }
    case 'application/strategic-merge-patch+json':
      if (custom) {
        throw new ApiError(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
        );
      }
      parse();
      if (!isObject(patch)) throw badRequest('strategic merge patch must be a JSON object');
      return strategicMerge(current, patch, kind);
    default:
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (this double does not model ${type || 'no content type'})`,
      );
  }
}
