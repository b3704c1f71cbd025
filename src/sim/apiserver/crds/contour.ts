/**
 * Contour's HTTPProxy (projectcontour.io/v1), as Contour's CRD defines it: Flagger's contour
 * router writes one `<apex>` HTTPProxy per canary, which a root HTTPProxy with a virtualhost
 * includes (traffic/contour.ts serves it).
 */
import { defineCrd } from './define';

export const httpProxyCrd = defineCrd({
  group: 'projectcontour.io',
  kind: 'HTTPProxy',
  plural: 'httpproxies',
  shortNames: ['proxy', 'proxies'],
  versions: ['v1'],
  status: true,
  printerColumns: [
    { name: 'FQDN', type: 'string', jsonPath: '.spec.virtualhost.fqdn' },
    { name: 'TLS Secret', type: 'string', jsonPath: '.spec.virtualhost.tls.secretName' },
    { name: 'Status', type: 'string', jsonPath: '.status.currentStatus' },
    { name: 'Status Description', type: 'string', jsonPath: '.status.description' },
  ],
});

export const contourCrds = [httpProxyCrd];
