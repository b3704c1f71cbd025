/**
 * Traefik's Kubernetes CRD provider kinds Flagger's traefik router works with, in the
 * traefik.io/v1alpha1 group Flagger uses (pkg/apis/traefik: GroupName "traefik.io"; the
 * older traefik.containo.us group is not used by current Flagger). Flagger writes the
 * `<apex>` TraefikService; the user's IngressRoute points at it (traffic/traefik.ts).
 */
import { defineCrd } from './define';

export const traefikServiceCrd = defineCrd({
  group: 'traefik.io',
  kind: 'TraefikService',
  plural: 'traefikservices',
  versions: ['v1alpha1'],
});

export const ingressRouteCrd = defineCrd({
  group: 'traefik.io',
  kind: 'IngressRoute',
  plural: 'ingressroutes',
  versions: ['v1alpha1'],
});

export const traefikCrds = [traefikServiceCrd, ingressRouteCrd];
