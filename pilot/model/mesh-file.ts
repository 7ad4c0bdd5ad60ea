// Istio's mesh config file (`petrel pilot --mesh-config FILE`): the MeshConfig YAML
// Istio keeps in ConfigMap `istio`, key `mesh`, which the chart mounts at
// /etc/istio/config/mesh (a whole ConfigMap document is read too). Fields pilot
// acts on become its mesh settings; defaultConfig fields the injector acts on are
// handed to it; every other field present is one warning line (an Istio field
// Petrel does not act on, or a name Istio does not have); a wrong value is one
// error naming the file and the field, and nothing of the file is used. A bad
// extension provider is the exception (pilot/model/mesh-providers.ts): as in
// Istio it is one warning line, and the CUSTOM policies naming it deny.
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { parseDurationMs } from '../../api/istio/duration.ts';
import { ModelError } from './errors.ts';
import { meshConfig } from './mesh-config.ts';
import { ISTIO_MESH_FIELDS, ISTIO_PROXY_FIELDS } from './mesh-file-fields.ts';
import { readExtensionProviders } from './mesh-providers.ts';
import type { IngressControllerMode, MeshConfig } from './types.ts';

/** The ProxyConfig defaults (defaultConfig) that Petrel's injector acts on. */
export interface ProxyDefaults {
  discoveryAddress?: string;
  holdApplicationUntilProxyStarts?: boolean;
  meshId?: string;
}

export interface MeshFile {
  mesh: Partial<MeshConfig>;
  proxy: ProxyDefaults;
  /** One line each: `FILE: field: …`. */
  warnings: string[];
}

type Fields = Record<string, unknown>;
type Reader = (value: unknown, at: string, out: MeshFile) => void;

const isRecord = (v: unknown): v is Fields =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A value that says nothing (`{}`, `[]`, `""`, null): no warning for ignoring it. */
const isEmpty = (v: unknown) =>
  v === null ||
  v === '' ||
  (Array.isArray(v) && v.length === 0) ||
  (isRecord(v) && Object.keys(v).length === 0);

class FieldError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

function text(v: unknown, at: string): string {
  if (typeof v !== 'string') throw new FieldError(at, 'must be a string');
  return v;
}

function bool(v: unknown, at: string): boolean {
  if (typeof v !== 'boolean') throw new FieldError(at, 'must be true or false');
  return v;
}

function list(v: unknown, at: string): string[] {
  if (!Array.isArray(v)) throw new FieldError(at, 'must be a list of strings');
  return v.map((e, i) => text(e, `${at}[${i}]`));
}

function oneOf<T extends string>(v: unknown, at: string, values: readonly T[]): T {
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v))
    throw new FieldError(at, `must be one of ${values.join(', ')}`);
  return v as T;
}

const MESH: Record<string, Reader> = {
  trustDomain: (v, at, o) => void (o.mesh.trustDomain = text(v, at)),
  rootNamespace: (v, at, o) => void (o.mesh.rootNamespace = text(v, at)),
  enableAutoMtls: (v, at, o) => void (o.mesh.enableAutoMtls = bool(v, at)),
  connectTimeout: (v, at, o) => {
    const ms = parseDurationMs(text(v, at));
    if (ms === undefined || ms < 1)
      throw new FieldError(at, 'must be a duration of at least 1ms like "10s"');
    o.mesh.connectTimeoutMs = ms;
  },
  outboundTrafficPolicy: (v, at, o) => {
    if (!isRecord(v)) throw new FieldError(at, 'must be an object');
    for (const key of Object.keys(v))
      if (key !== 'mode') o.warnings.push(`${at}.${key}: unknown field; ignored`);
    if (v.mode !== undefined)
      o.mesh.outboundTrafficPolicy = oneOf(v.mode, `${at}.mode`, [
        'ALLOW_ANY',
        'REGISTRY_ONLY',
      ] as const);
  },
  defaultServiceExportTo: (v, at, o) => void (o.mesh.defaultServiceExportTo = list(v, at)),
  defaultVirtualServiceExportTo: (v, at, o) =>
    void (o.mesh.defaultVirtualServiceExportTo = list(v, at)),
  defaultDestinationRuleExportTo: (v, at, o) =>
    void (o.mesh.defaultDestinationRuleExportTo = list(v, at)),
  ingressClass: (v, at, o) => void (o.mesh.ingressClass = text(v, at)),
  ingressControllerMode: (v, at, o) => {
    const mode = oneOf(v, at, ['UNSPECIFIED', 'OFF', 'DEFAULT', 'STRICT'] as const);
    // UNSPECIFIED is the proto's zero value: Istio's default applies.
    if (mode !== 'UNSPECIFIED') o.mesh.ingressControllerMode = mode as IngressControllerMode;
  },
  ingressService: (v, at, o) => {
    o.mesh.ingressService = text(v, at);
    if (!o.mesh.ingressService)
      o.warnings.push(
        `${at}: empty: Istio would report the gateway nodes' addresses in Ingress status; Petrel does not read Nodes and writes no Ingress status`,
      );
  },
  ingressSelector: (v, at, o) => void (o.mesh.ingressSelector = text(v, at) || undefined),
  extensionProviders: (v, at, o) => {
    if (!Array.isArray(v)) throw new FieldError(at, 'must be a list');
    const read = readExtensionProviders(v, at);
    o.warnings.push(...read.warnings);
    // Not an error: as in Istio, pilot runs and the provider's CUSTOM policies deny.
    for (const line of read.problems) {
      const name = read.providers.find((p) => p.problem === line)?.name;
      o.warnings.push(
        name
          ? `${line} (provider "${name}" is not used: CUSTOM policies naming it deny the requests they match)`
          : `${line}; ignored`,
      );
    }
    if (read.providers.length > 0) o.mesh.extensionProviders = read.providers;
  },
  defaultConfig: (v, at, o) => {
    if (!isRecord(v)) throw new FieldError(at, 'must be an object');
    readFields(v, at, PROXY, ISTIO_PROXY_FIELDS, 'ProxyConfig', o);
  },
};

const PROXY: Record<string, Reader> = {
  discoveryAddress: (v, at, o) => {
    const address = text(v, at);
    if (address && !/^[^\s:]+:\d{1,5}$/.test(address))
      throw new FieldError(at, 'must be host:port');
    if (address) o.proxy.discoveryAddress = address;
  },
  holdApplicationUntilProxyStarts: (v, at, o) =>
    void (o.proxy.holdApplicationUntilProxyStarts = bool(v, at)),
  meshId: (v, at, o) => void (o.proxy.meshId = text(v, at) || undefined),
};

function readFields(
  doc: Fields,
  prefix: string,
  readers: Record<string, Reader>,
  known: ReadonlySet<string>,
  type: string,
  out: MeshFile,
): void {
  for (const [key, value] of Object.entries(doc)) {
    const at = prefix ? `${prefix}.${key}` : key;
    const read = readers[key];
    if (read) {
      if (value !== null && value !== undefined) read(value, at, out);
    } else if (!known.has(key)) out.warnings.push(`${at}: not a ${type} field; ignored`);
    else if (!isEmpty(value)) out.warnings.push(`${at}: not supported by Petrel; ignored`);
  }
}

/** The MeshConfig document: the file itself, or the `mesh` key of a ConfigMap. */
function meshDocument(file: string, source: string): Fields {
  const doc = parseDocument(source, { uniqueKeys: true });
  const problem = doc.errors[0];
  if (problem) {
    const line = problem.linePos?.[0]?.line;
    throw new ModelError(
      'PETREL_MODEL_MESH',
      `${file}${line ? `:${line}` : ''}: ${problem.message.split('\n')[0]}`,
    );
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (!isRecord(value))
    throw new ModelError('PETREL_MODEL_MESH', `${file}: must be a MeshConfig YAML mapping`);
  if (value.kind === 'ConfigMap' && isRecord(value.data) && 'mesh' in value.data) {
    if (typeof value.data.mesh !== 'string')
      throw new ModelError('PETREL_MODEL_MESH', `${file}: data.mesh: must be a string`);
    return meshDocument(`${file} (data.mesh)`, value.data.mesh);
  }
  return value;
}

/** Parses a mesh config file's text; throws one line (`FILE: field: message`) on a bad value. */
export function parseMeshFile(file: string, source: string): MeshFile {
  const out: MeshFile = { mesh: {}, proxy: {}, warnings: [] };
  const doc = meshDocument(file, source);
  try {
    readFields(doc, '', MESH, ISTIO_MESH_FIELDS, 'MeshConfig', out);
    // The checks every mesh setting gets (export entries, names), with this file's name.
    meshConfig(out.mesh);
  } catch (err) {
    if (err instanceof FieldError)
      throw new ModelError('PETREL_MODEL_MESH', `${file}: ${err.field}: ${err.message}`);
    if (err instanceof ModelError)
      throw new ModelError('PETREL_MODEL_MESH', err.message.replace(/^mesh config:/, `${file}:`));
    throw err;
  }
  out.warnings = out.warnings.map((w) => `${file}: ${w}`);
  return out;
}

export function readMeshFile(file: string): MeshFile {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ModelError(
      'PETREL_MODEL_MESH',
      `${file}: cannot read the mesh config: ${(err as Error).message}`,
    );
  }
  return parseMeshFile(file, source);
}
