// Which Ingresses pilot serves: Istio's class rules (annotation first, then the
// IngressClass's controller, then the mode) plus Petrel's class name and the
// default IngressClass the API server would have applied.
import { describe, expect, it } from 'vitest';
import type { ConfigObject } from '../../../../api/config/object.ts';
import { ownedIngresses } from '../../../../pilot/model/ingress/class.ts';
import type { IngressControllerMode } from '../../../../pilot/model/types.ts';
import { admitted, ingress, ingressClass, mesh, path, rule } from './support.ts';

const SPEC = { rules: [rule('a.example.com', [path('/', 'Prefix', 'web', 80)])] };
const ISTIO = 'istio.io/ingress-controller';

function owned(objects: ConfigObject[], mode: IngressControllerMode, ingressClassName = 'petrel') {
  return ownedIngresses(
    admitted(objects),
    mesh({ ingressControllerMode: mode, ingressClass: ingressClassName }),
  )
    .map((o) => o.metadata.name)
    .sort();
}

const withClass = (name: string, className: string) =>
  ingress(name, 'default', { ...SPEC, ingressClassName: className });
const annotated = (name: string, value: string, className?: string) =>
  ingress(
    name,
    'default',
    { ...SPEC, ...(className ? { ingressClassName: className } : {}) },
    { annotations: { 'kubernetes.io/ingress.class': value } },
  );

describe('Ingress ownership', () => {
  const objects = [
    ingress('no-class', 'default', SPEC),
    withClass('class-petrel', 'petrel'),
    withClass('class-nginx', 'nginx'),
    withClass('class-ours', 'mesh-edge'),
    withClass('class-unknown', 'nobody-made-me'),
    annotated('annotation-petrel', 'petrel'),
    annotated('annotation-nginx', 'nginx'),
    // The annotation decides alone, even against an IngressClass of ours.
    annotated('annotation-nginx-class-ours', 'nginx', 'mesh-edge'),
    ingressClass('nginx', 'k8s.io/ingress-nginx'),
    ingressClass('mesh-edge', ISTIO),
  ];

  it('STRICT (the default) serves only our class: annotation, class name, or an IngressClass with our controller', () => {
    expect(owned(objects, 'STRICT')).toEqual(['annotation-petrel', 'class-ours', 'class-petrel']);
  });

  it('DEFAULT also serves Ingresses with no class, or a class that names no IngressClass', () => {
    expect(owned(objects, 'DEFAULT')).toEqual([
      'annotation-petrel',
      'class-ours',
      'class-petrel',
      'class-unknown',
      'no-class',
    ]);
  });

  it('OFF serves none', () => {
    expect(owned(objects, 'OFF')).toEqual([]);
  });

  it('an IngressClass named like our class but for another controller wins over the name', () => {
    expect(
      owned([withClass('x', 'petrel'), ingressClass('petrel', 'example.com/other')], 'DEFAULT'),
    ).toEqual([]);
  });

  it('follows the mesh ingressClass', () => {
    const objs = [withClass('class-istio', 'istio'), annotated('annotation-istio', 'istio')];
    expect(owned(objs, 'STRICT', 'istio')).toEqual(['annotation-istio', 'class-istio']);
    expect(owned(objs, 'STRICT')).toEqual([]);
  });

  it('an Ingress with no class takes the default IngressClass, as the API server gives it one', () => {
    const none = ingress('no-class', 'default', SPEC);
    const def = { 'ingressclass.kubernetes.io/is-default-class': 'true' };
    expect(owned([none, ingressClass('mesh-edge', ISTIO, def)], 'STRICT')).toEqual(['no-class']);
    expect(owned([none, ingressClass('nginx', 'k8s.io/ingress-nginx', def)], 'DEFAULT')).toEqual(
      [],
    );
  });
});
