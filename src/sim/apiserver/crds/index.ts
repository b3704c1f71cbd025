/** The CRDs every simulated cluster starts with. Add a mesh's CRDs here with one spread. */
import type { KubeObject } from '../../store';
import { apisixCrds } from './apisix';
import { appMeshCrds } from './appmesh';
import { contourCrds } from './contour';
import { flaggerCrds } from './flagger';
import { gatewayApiCrds } from './gateway-api';
import { glooCrds } from './gloo';
import { istioCrds } from './istio';
import { knativeCrds } from './knative';
import { kumaCrds } from './kuma';
import { smiCrds } from './smi';
import { traefikCrds } from './traefik';

export const preinstalledCrds: KubeObject[] = [
  ...flaggerCrds,
  ...istioCrds,
  ...gatewayApiCrds,
  ...contourCrds,
  ...glooCrds,
  ...kumaCrds,
  ...traefikCrds,
  ...smiCrds,
  ...apisixCrds,
  ...appMeshCrds,
  ...knativeCrds,
];

export { defineCrd } from './define';
export type { CrdDefinition } from './define';
