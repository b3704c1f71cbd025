/**
 * The error texts of Flagger's pkg/router (kubernetes_default.go, ingress.go). They reach people
 * as `%v` warning events, so they keep Flagger's words and punctuation exactly.
 */

export const reconcileServiceFailed = (err: string): string => `reconcileService failed: ${err}`;
export const serviceCreateError = (name: string, ns: string, err: string): string =>
  `service ${name}.${ns} create error: ${err}`;
export const serviceGetQueryError = (name: string, err: string): string =>
  `service ${name} get query error: ${err}`;
export const serviceUpdateError = (name: string, err: string): string =>
  `service ${name} update error: ${err}`;
export const serviceFinalizeGetQueryError = (name: string, ns: string, err: string): string =>
  `service ${name}.${ns} get query error: ${err}`;
export const unmarshalAnnotationFailed = (name: string, ns: string, annotation: string): string =>
  `router ${name}.${ns} failed to unMarshal annotation ${annotation}`;

export const ingressSelectorEmpty = (): string => 'ingress selector is empty';
export const ingressGetQueryError = (name: string, ns: string, err: string): string =>
  `ingress ${name}.${ns} get query error: ${err}`;
export const backendNotFound = (apex: string, ingress: string): string =>
  `backend ${apex} not found in ingress ${ingress}`;
export const ingressCreateError = (name: string, ns: string, err: string): string =>
  `ingress ${name}.${ns} create error: ${err}`;
export const ingressQueryError = (name: string, ns: string, err: string): string =>
  `ingress ${name}.${ns} query error: ${err}`;
export const ingressUpdateError = (name: string, ns: string, err: string): string =>
  `ingress ${name}.${ns} update error: ${err}`;
/** SetRoutes' own format: no colon before the cause. */
export const ingressSetRoutesUpdateError = (name: string, ns: string, err: string): string =>
  `ingress ${name}.${ns} update error ${err}`;
/** `failed to convert %s to int: %w` around strconv.Atoi's error. */
export const weightNotAnInt = (
  value: string,
  reason: 'invalid syntax' | 'value out of range',
): string =>
  `failed to convert ${value} to int: strconv.Atoi: parsing ${JSON.stringify(value)}: ${reason}`;

/** Not in Flagger (it falls back to Istio): providers Aviary has no router for yet. */
export const providerNotSupported = (provider: string): string =>
  `provider ${provider} is not supported yet`;
