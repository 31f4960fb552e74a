// A minimal browser for protocol tests: a cookie jar, manual redirects and form posts, so a test can
// play the citizen's browser through the real HTTP endpoints without Chromium.
export interface UaResponse {
  status: number;
  headers: Headers;
  text: string;
  url: string;
  location?: string;
}

export class UserAgent {
  readonly #cookies = new Map<string, string>();
  readonly origin: string;

  constructor(origin: string) {
    this.origin = origin;
  }

  #store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  cookieHeader(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(url: string, init: { method?: string; form?: Record<string, string>; json?: unknown; headers?: Record<string, string> } = {}): Promise<UaResponse> {
    const absolute = new URL(url, this.origin).href;
    const headers: Record<string, string> = { cookie: this.cookieHeader(), ...init.headers };
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    } else if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    }
    const res = await fetch(absolute, { method: init.method ?? (body !== undefined ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    this.#store(res);
    const location = res.headers.get('location') ?? undefined;
    return { status: res.status, headers: res.headers, text: await res.text(), url: absolute, ...(location ? { location: new URL(location, absolute).href } : {}) };
  }

  /**
   * Follows redirects while they stay on the gateway; stops at the first one that leaves it (the
   * client's redirect_uri). A SAML IdP's self-submitting form (the HTTP-POST binding: the simulator's
   * `post-back` form, e.g. its NoPassive answer to a passive request) is submitted, as a browser's
   * script would.
   */
  async follow(url: string, init: Parameters<UserAgent['request']>[1] = {}, stopAt?: (u: string) => boolean): Promise<UaResponse> {
    let res = await this.request(url, init);
    for (let i = 0; i < 20; i += 1) {
      if (res.location && !(stopAt?.(res.location))) {
        res = await this.request(res.location);
        continue;
      }
      const posted = res.status === 200 && !res.location ? autoPost(res.text) : undefined;
      if (!posted || stopAt?.(new URL(posted.action, res.url).href)) break;
      res = await this.request(new URL(posted.action, res.url).href, { form: posted.fields });
    }
    return res;
  }
}

/** The simulated IdP's self-submitting form (id="post-back"): where it posts and its hidden fields. */
function autoPost(page: string): { action: string; fields: Record<string, string> } | undefined {
  const form = /<form method="post" action="([^"]+)" id="post-back"[^>]*>([\s\S]*?)<\/form>/.exec(page);
  if (!form?.[1] || !page.includes("getElementById('post-back').submit()")) return undefined;
  const unescape = (v: string) => v.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const fields: Record<string, string> = {};
  for (const input of (form[2] ?? '').matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[input[1]!] = unescape(input[2]!);
  return { action: unescape(form[1]), fields };
}
