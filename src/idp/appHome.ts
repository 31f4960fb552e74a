// Where a page sends a person "back to the app": the app's own page as it registered it. The first
// post_logout_redirect_uri is the page the app wants people back at; without one, the origin of its
// first redirect_uri. Only registered URIs are used, never anything from the request.
import type { HotStore } from '../store/hotStore.ts';
import type { WayBack } from './views/errors.ts';

export function appHome(client: { name?: string | undefined; postLogoutRedirectUris?: readonly string[] | undefined; redirectUris?: readonly string[] | undefined }): WayBack | undefined {
  const registered = client.postLogoutRedirectUris?.[0];
  const href = registered ?? originOf(client.redirectUris?.[0]);
  return href ? { href, ...(client.name ? { name: client.name } : {}) } : undefined;
}

function originOf(uri: string | undefined): string | undefined {
  const url = uri ? URL.parse(uri) : null;
  return url && (url.protocol === 'https:' || url.protocol === 'http:') ? `${url.origin}/` : undefined;
}

/**
 * The app of each interaction, kept for as long as the interaction could be: once oidc-provider has
 * finished and forgotten an interaction (the code went to the app), the browser's Back button lands on
 * its page again, and that page can still name the app and link back to it instead of a dead end.
 */
export class InteractionApps {
  readonly #store: HotStore;
  readonly #ttlSeconds: number;

  constructor(store: HotStore, ttlSeconds: number) {
    this.#store = store;
    this.#ttlSeconds = ttlSeconds;
  }

  async remember(uid: string, home: WayBack | undefined): Promise<void> {
    if (home) await this.#store.set(`interaction:app:${uid}`, JSON.stringify(home), this.#ttlSeconds);
  }

  /** The app of an interaction that is gone; undefined when unknown or the store does not answer. */
  async find(uid: string): Promise<WayBack | undefined> {
    try {
      const raw = await this.#store.get(`interaction:app:${uid}`);
      const parsed = raw ? JSON.parse(raw) as { href?: unknown; name?: unknown } : undefined;
      return parsed && typeof parsed.href === 'string' ? { href: parsed.href, ...(typeof parsed.name === 'string' ? { name: parsed.name } : {}) } : undefined;
    } catch {
      return undefined;
    }
  }
}
