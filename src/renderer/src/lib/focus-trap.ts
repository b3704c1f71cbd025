/**
 * Keeps Tab inside a modal dialog (WAI-ARIA dialog pattern): from the last focusable element
 * Tab goes to the first, and Shift+Tab from the first to the last. Returns true when it moved
 * the focus (the event is then handled).
 */
const FOCUSABLE =
  'button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export function trapTab(event: KeyboardEvent, container: HTMLElement | undefined): boolean {
  if (event.key !== 'Tab' || !container) return false;
  const items = [...container.querySelectorAll<HTMLElement>(FOCUSABLE)];
  const first = items[0];
  const last = items[items.length - 1];
  if (!first || !last) return false;
  const active = container.ownerDocument.activeElement;
  const target = event.shiftKey
    ? active === first
      ? last
      : undefined
    : active === last
      ? first
      : undefined;
  if (!target) return false;
  event.preventDefault();
  target.focus();
  return true;
}
