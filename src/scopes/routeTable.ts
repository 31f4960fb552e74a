// Maps a data API request (method + URI) to a decision target through the configured route table, for
// /pdp/v1/auth-request (nginx auth_request, Envoy ext_authz) and the built-in PEP. A route names one
// data set and one action; the controller and the citizen come from the URI's placeholders, so a
// client cannot ask for one thing in the URI and have another decided.
import type { Action } from '../whitelist/model.ts';
import type { PdpRouteConfig } from '../config.ts';

export interface RouteTarget {
  route: PdpRouteConfig;
  controller: string;
  citizen: string;
  dataset: string;
  action: Action;
}

const PLACEHOLDER: Record<string, string> = {
  controller: '([a-z0-9][a-z0-9-]{1,62})',
  // Anything up to the next separator: the decision validates it (and answers target_invalid).
  citizen: '([^/?&#]{1,32})',
};

interface CompiledRoute {
  route: PdpRouteConfig;
  path: RegExp;
  pathNames: string[];
  /** Query parameter -> placeholder name or literal value. */
  query: Array<{ key: string; placeholder?: string; literal?: string }>;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compile(route: PdpRouteConfig): CompiledRoute {
  const [path, query = ''] = route.pattern.split('?', 2) as [string, string?];
  const pathNames: string[] = [];
  const source = path.split(/(\{[a-z]+\})/).map((part) => {
    const name = /^\{([a-z]+)\}$/.exec(part)?.[1];
    if (!name) return escape(part);
    if (!PLACEHOLDER[name]) throw new Error(`route ${route.pattern}: unknown placeholder {${name}}`);
    pathNames.push(name);
    return PLACEHOLDER[name];
  }).join('');
  const params = query ? query.split('&').map((pair) => {
    const [key, value = ''] = pair.split('=', 2) as [string, string?];
    const name = /^\{([a-z]+)\}$/.exec(value)?.[1];
    if (name && !PLACEHOLDER[name]) throw new Error(`route ${route.pattern}: unknown placeholder {${name}}`);
    return name ? { key, placeholder: name } : { key, literal: value };
  }) : [];
  return { route, path: new RegExp(`^${source}$`), pathNames, query: params };
}

/** The path of a request-line URI as sent: everything before its query or fragment. */
export function pathOf(uri: string): string {
  const end = uri.search(/[?#]/);
  return end === -1 ? uri : uri.slice(0, end);
}

export class RouteTable {
  readonly #routes: CompiledRoute[];

  constructor(routes: PdpRouteConfig[]) {
    this.#routes = routes.map(compile);
  }

  get size(): number {
    return this.#routes.length;
  }

  /** The target of `method uri` (uri = path and query, as in the request line), or undefined. */
  match(method: string, uri: string): RouteTarget | undefined {
    const url = URL.parse(uri, 'http://route.invalid');
    if (!url || !uri.startsWith('/')) return undefined;
    // Match the path as sent: a percent-encoded or dot-segment variant is not the same route.
    const rawPath = pathOf(uri);
    for (const c of this.#routes) {
      if (c.route.method !== method.toUpperCase()) continue;
      const m = c.path.exec(rawPath);
      if (!m) continue;
      const values: Record<string, string> = {};
      // Every placeholder is a required group, so each has matched something.
      c.pathNames.forEach((name, i) => {
        const value = m[i + 1];
        if (value !== undefined) values[name] = value;
      });
      let ok = true;
      for (const q of c.query) {
        // Exactly one occurrence: `?patient=A&patient=B` must not decide on A and fetch B.
        const all = url.searchParams.getAll(q.key);
        const value = all.length === 1 ? all[0] : undefined;
        if (value === undefined) { ok = false; break; }
        if (q.literal !== undefined && value !== q.literal) { ok = false; break; }
        if (q.placeholder) {
          if (values[q.placeholder] !== undefined && values[q.placeholder] !== value) { ok = false; break; }
          values[q.placeholder] = value;
        }
      }
      if (!ok || !values.controller || values.citizen === undefined) continue;
      return { route: c.route, controller: values.controller, citizen: values.citizen, dataset: c.route.dataset, action: c.route.action };
    }
    return undefined;
  }
}

/**
 * The upstream URL for a permitted PEP request: the route's template with the placeholders filled in,
 * plus the request's other query parameters (those the pattern did not name).
 */
export function upstreamUrl(target: RouteTarget, requestUri: string): URL {
  const template = target.route.upstream;
  if (!template) throw new Error(`route ${target.route.method} ${target.route.pattern} has no upstream to forward to`);
  const url = new URL(template.replace('{controller}', encodeURIComponent(target.controller)).replace('{citizen}', encodeURIComponent(target.citizen)));
  const named = new Set((target.route.pattern.split('?', 2)[1] ?? '').split('&').map((p) => p.split('=', 1)[0]));
  const incoming = URL.parse(requestUri, 'http://route.invalid');
  for (const [k, v] of incoming?.searchParams ?? []) if (!named.has(k)) url.searchParams.append(k, v);
  return url;
}

/** The sandbox's route table: the mock data APIs of every sandbox controller. */
export function sandboxRoutes(issuer: string): PdpRouteConfig[] {
  return ['bookings', 'vaccinations', 'lab-results', 'home-care-decisions'].map((dataset) => ({
    method: 'GET' as const,
    pattern: `/data/{controller}/${dataset}?citizen={citizen}`,
    dataset,
    action: 'read' as const,
    upstream: `${issuer}/sandbox/data/{controller}/${dataset}?citizen={citizen}`,
  }));
}
