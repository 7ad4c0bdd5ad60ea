// The proxy gets Secrets from two places: its own identity (`default`, `ROOTCA`)
// and pilot over ADS (gateway credentials, `kubernetes://…`). DataPlane.applyConfig
// replaces the whole set of a type, so both go through this merge: each side
// replaces only its own part, and the local identity wins a name clash (Istio's
// agent serves `default`/`ROOTCA` itself, never pilot).
import type { ApplyResult, DataPlane, EnvoyResource } from '../types.ts';
import { SECRET_TYPE_URL } from './secrets.ts';

type Secrets = ReadonlyMap<string, EnvoyResource>;

export class SecretMerge {
  readonly #inner: DataPlane;
  #fromXds: Secrets = new Map();
  #local: Secrets = new Map();
  /** Give this to the xDS agent: every type passes through, Secrets are merged. */
  readonly xds: DataPlane;
  /** Give this to WorkloadIdentity. */
  readonly identity: DataPlane;

  constructor(inner: DataPlane) {
    this.#inner = inner;
    this.xds = {
      applyConfig: (typeUrl, resources) => {
        if (typeUrl !== SECRET_TYPE_URL) return inner.applyConfig(typeUrl, resources);
        const result = this.#apply(resources, this.#local);
        if (result.errors.length === 0) this.#fromXds = resources;
        return result;
      },
      drain: () => inner.drain?.(),
      close: () => inner.close?.(),
    };
    this.identity = {
      applyConfig: (typeUrl, resources) => {
        if (typeUrl !== SECRET_TYPE_URL)
          return { errors: [`${typeUrl}: the identity side only sets Secrets`] };
        const result = this.#apply(this.#fromXds, resources);
        if (result.errors.length === 0) this.#local = resources;
        return result;
      },
    };
  }

  /** Rejected as a whole, the data path keeps its previous set, and the callers keep theirs. */
  #apply(fromXds: Secrets, local: Secrets): ApplyResult {
    return this.#inner.applyConfig(SECRET_TYPE_URL, new Map([...fromXds, ...local]));
  }
}
