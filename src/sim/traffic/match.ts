/**
 * Request matching the proxies share: a regex that must match the whole value (RE2-style full
 * match, as Envoy, Istio, the Gateway API and App Mesh use), Envoy's string matcher (Istio's
 * StringMatch, App Mesh's header match), and a host against a route's host that may start with
 * a `*.` wildcard (one label or more, never the bare suffix).
 */

/** An invalid pattern never matches: the proxy's controller would have rejected it. */
export function fullMatch(pattern: string, value: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return false;
  }
}

export function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  if (p === '*') return true;
  if (p.startsWith('*.')) return host.endsWith(p.slice(1)) && host.length > p.length - 1;
  return p === host;
}

/** exact, prefix, suffix or regex; an absent value never matches, an empty matcher asks presence. */
export interface StringMatch {
  exact?: string;
  prefix?: string;
  suffix?: string;
  regex?: string;
}

export function stringMatches(m: StringMatch, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (m.exact !== undefined) return value === m.exact;
  if (m.prefix !== undefined) return value.startsWith(m.prefix);
  if (m.suffix !== undefined) return value.endsWith(m.suffix);
  if (m.regex !== undefined) return fullMatch(m.regex, value);
  return true;
}
