// Kubernetes' error responses: a `Status` object with reason and code, exactly
// as client libraries parse them (k8s.io/apimachinery/pkg/api/errors).
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: Array<{ reason?: string; message?: string; field?: string }>;
}

export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** Thrown by handlers; the server turns it into a Status response. */
export class ApiError extends Error {
  readonly status: KubeStatus;
  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'ApiError';
    this.status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      code,
      ...(details ? { details } : {}),
    };
  }
}

/** `services "reviews"` / `virtualservices.networking.istio.io "reviews"`: how the API server names objects in messages. */
export function qualified(resource: string, name: string): string {
  return `${resource} "${name}"`;
}

export const notFound = (resource: string, group: string, plural: string, name: string) =>
  new ApiError(404, 'NotFound', `${qualified(resource, name)} not found`, {
    name,
    group,
    kind: plural,
  });

export const alreadyExists = (resource: string, group: string, plural: string, name: string) =>
  new ApiError(409, 'AlreadyExists', `${qualified(resource, name)} already exists`, {
    name,
    group,
    kind: plural,
  });

export const conflict = (resource: string, group: string, plural: string, name: string) =>
  new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(resource, name)}: the object has been modified; please apply your changes to the latest version and try again`,
    { name, group, kind: plural },
  );

export const badRequest = (message: string) => new ApiError(400, 'BadRequest', message);

export const invalid = (kind: string, name: string, field: string, value: unknown, why: string) =>
  new ApiError(
    422,
    'Invalid',
    `${kind} "${name}" is invalid: ${field}: Invalid value: ${JSON.stringify(value)}: ${why}`,
    {
      name,
      kind,
      causes: [
        {
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${JSON.stringify(value)}: ${why}`,
          field,
        },
      ],
    },
  );

export const expired = (message: string) => new ApiError(410, 'Expired', message);

export function successStatus(details: StatusDetails): KubeStatus {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details, code: 200 };
}
