// Which Kubernetes Ingresses pilot serves, by Istio's rules
// (pilot/pkg/config/kube/ingress shouldProcessIngressWithClass), in this order:
//   1. mesh ingressControllerMode OFF: none (Istio starts no ingress controller then);
//   2. the legacy `kubernetes.io/ingress.class` annotation, when present, decides
//      alone: it must equal mesh ingressClass;
//   3. `spec.ingressClassName` naming an IngressClass that exists: its
//      spec.controller must be istio.io/ingress-controller;
//   4. (Petrel) `spec.ingressClassName` equal to mesh ingressClass with no such
//      IngressClass object (file mode has no cluster to hold one);
//   5. (Petrel) no class at all while an IngressClass is marked default: the API
//      server would have given that class to the Ingress when it was created, so
//      its controller decides, as in 3;
//   6. otherwise DEFAULT mode takes it and STRICT does not.
import type { ConfigObject } from '../../../api/config/object.ts';
import {
  DEFAULT_CLASS_ANNOTATION,
  INGRESS_CLASS_ANNOTATION,
  ISTIO_INGRESS_CONTROLLER,
  type IngressClassSpec,
  type IngressSpec,
} from '../../../api/kube/ingress.ts';
import type { ConfigSnapshot } from '../../config/types.ts';
import type { MeshConfig } from '../types.ts';

export type IngressObject = ConfigObject<IngressSpec> & { spec: IngressSpec };

type ClassObject = ConfigObject<IngressClassSpec>;

export interface IngressClasses {
  byName: ReadonlyMap<string, ClassObject>;
  /** The IngressClass marked default, when exactly one is (the API server refuses to pick among several). */
  defaultClass: ClassObject | undefined;
}

export function ingressClasses(snapshot: ConfigSnapshot): IngressClasses {
  const byName = new Map<string, ClassObject>();
  const defaults: ClassObject[] = [];
  for (const obj of snapshot.list('IngressClass')) {
    byName.set(obj.metadata.name, obj as ClassObject);
    if (obj.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true')
      defaults.push(obj as ClassObject);
  }
  return { byName, defaultClass: defaults.length === 1 ? defaults[0] : undefined };
}

const ours = (c: ClassObject) => c.spec?.controller === ISTIO_INGRESS_CONTROLLER;

/** Whether pilot serves `ingress` under `mesh`'s ingressClass and ingressControllerMode. */
export function ownsIngress(
  ingress: ConfigObject<IngressSpec>,
  mesh: MeshConfig,
  classes: IngressClasses,
): boolean {
  if (mesh.ingressControllerMode === 'OFF') return false;
  const annotation = ingress.metadata.annotations?.[INGRESS_CLASS_ANNOTATION];
  if (annotation !== undefined) return annotation === mesh.ingressClass;
  const className = ingress.spec?.ingressClassName;
  if (className) {
    const cls = classes.byName.get(className);
    if (cls) return ours(cls);
    if (className === mesh.ingressClass) return true;
  } else if (classes.defaultClass) return ours(classes.defaultClass);
  return mesh.ingressControllerMode === 'DEFAULT';
}

/** The Ingresses pilot serves, each with a spec. */
export function ownedIngresses(snapshot: ConfigSnapshot, mesh: MeshConfig): IngressObject[] {
  if (mesh.ingressControllerMode === 'OFF') return [];
  const classes = ingressClasses(snapshot);
  return snapshot
    .list('Ingress')
    .filter((o): o is IngressObject => o.spec !== undefined)
    .filter((o) => ownsIngress(o, mesh, classes));
}
