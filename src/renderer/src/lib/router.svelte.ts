/**
 * The current route, kept in the location hash (see routes.ts). The page's own history
 * carries it, so back/forward and reload need nothing more.
 */
import { fleetRoute, formatRoute, parseRoute, sameRoute, type Route } from './routes';

export class Router {
  route = $state.raw<Route>(fleetRoute);
  readonly #win: Window;

  /**
   * Create it after the transport: in web mode lib/web-socket.ts takeToken() has already
   * taken `#token=…` out of the address bar, and parseRoute never reads a token as a place.
   */
  constructor(win: Window = window) {
    this.#win = win;
    this.route = parseRoute(win.location.hash);
  }

  /** Follows back/forward and edited addresses; returns the function that stops. */
  start(): () => void {
    const sync = (): void => {
      const next = parseRoute(this.#win.location.hash);
      if (!sameRoute(next, this.route)) this.route = next;
    };
    this.#win.addEventListener('hashchange', sync);
    this.#win.addEventListener('popstate', sync);
    sync();
    return () => {
      this.#win.removeEventListener('hashchange', sync);
      this.#win.removeEventListener('popstate', sync);
    };
  }

  /** replace: for edits of the same place (typing a filter) that should not fill history. */
  navigate(route: Route, options: { replace?: boolean } = {}): void {
    if (sameRoute(route, this.route)) return;
    const hash = formatRoute(route);
    const { pathname, search } = this.#win.location;
    if (options.replace) this.#win.history.replaceState(null, '', pathname + search + hash);
    else this.#win.history.pushState(null, '', pathname + search + hash);
    this.route = route;
  }

  href(route: Route): string {
    return formatRoute(route);
  }
}
