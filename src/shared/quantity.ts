/**
 * Kubernetes resource.Quantity values ("100", "900m", "1k", "1Ki", "5e2"), as SMI v1alpha1
 * TrafficSplit weights carry them. Shared by the engine (which reads weights as Flagger's
 * AsInt64 does) and the playground (whose mesh splits by them).
 */

const DECIMAL_SUFFIXES: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

const BINARY_SUFFIXES: Record<string, number> = {
  Ki: 10,
  Mi: 20,
  Gi: 30,
  Ti: 40,
  Pi: 50,
  Ei: 60,
};

const QUANTITY = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:([eE][+-]?[0-9]+)|([a-zA-Z]*))$/;

/** The quantity's value, or undefined when it is not a quantity. JSON numbers are accepted too. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = QUANTITY.exec(value.trim());
  if (!m) return undefined;
  const mantissa = m[1]!;
  if (m[2] !== undefined) return Number(`${mantissa}${m[2]}`);
  const suffix = m[3] ?? '';
  const decimal = DECIMAL_SUFFIXES[suffix];
  // Scale with a decimal exponent in the string, so "900m" is exactly 0.9, not 900 * 0.001.
  if (decimal !== undefined) return Number(`${mantissa}e${decimal}`);
  const binary = BINARY_SUFFIXES[suffix];
  if (binary !== undefined) return Number(mantissa) * 2 ** binary;
  return undefined;
}

/** resource.Quantity.AsInt64: the value when it is a whole number, else 0 (Go's `w, _ :=`). */
export function quantityAsInt(value: unknown): number {
  const n = parseQuantity(value);
  return n !== undefined && Number.isSafeInteger(n) ? n : 0;
}
