/** The CRDs every simulated cluster starts with. Add a mesh's CRDs here with one spread. */
import type { KubeObject } from '../../store';
import { flaggerCrds } from './flagger';

export const preinstalledCrds: KubeObject[] = [...flaggerCrds];

export { defineCrd } from './define';
export type { CrdDefinition } from './define';
