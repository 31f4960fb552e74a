// Maps a data API request (method + URI) to a decision target through the configured route table, for
// /pdp/v1/auth-request (nginx auth_request, Envoy ext_authz) and the built-in PEP. A route names one
// data set and one action; the controller and the citizen come from the URI's placeholders, so a
// client cannot ask for one thing in the URI and have another decided. The query is normalised: a
// parameter that names a citizen, controller or data set appears once, under exactly the name the route
// gives it, or the request is refused (query_ambiguous) — some upstream parsers read `citizen[]=B`,
// `citizen=A&citizen=B`, `Citizen=B` or `patient:identifier=B` as another or a second citizen after a
// permit for A. What is forwarded, and bound into the decision assertion, is the canonical query.
import type { Action } from '../whitelist/model.ts';
import type { PdpRouteConfig } from '../config.ts';

export interface RouteTarget {
  route: PdpRouteConfig;
  controller: string;
  citizen: string;
  dataset: string;
  action: Action;
}

/** A request whose path and method match a route but whose query could be read as another target. */
export interface QueryRefusal {
  refused: 'query_ambiguous';
  /** Which parameter, for the problem's detail (by base name: neither key nor value is repeated, either may carry a personnummer). */
  detail: string;
}

/**
 * Names that, under any spelling, name a citizen, controller or data set, whatever the route calls
 * them: the route's own query keys are added per route. Compared by base name (below).
 */
const TARGET_NAMES = ['citizen', 'patient', 'subject', 'personnummer', 'pnr', 'controller', 'dataset'];

/**
 * A parameter's base name as lenient parsers read it: case-folded, up to the first bracket, dot or colon
 * (`citizen[]`, `citizen[0]`, `Citizen`, `patient.identifier`, `patient:missing`), without spaces or NULs.
 */
export function baseName(key: string): string {
  return (key.normalize('NFKC').toLowerCase().split(/[[\].:]/, 1)[0] ?? '').replace(/[\s\u0000]/g, '');
}

/**
 * The canonical form of a query, as forwarded and as bound into the decision assertion: parsed as
 * application/x-www-form-urlencoded (WHATWG URLSearchParams), sorted by name (stable, UTF-16 code units),
 * serialised again. An upstream computes the same from the query it received and compares.
 */
export function canonicalQuery(search: string): string {
  const params = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search);
  params.sort();
  return params.toString();
}

/** The raw query of a request-line URI, without `?` (and without a fragment). */
export function queryOf(uri: string): string {
  const q = uri.indexOf('?');
  if (q === -1) return '';
  const hash = uri.indexOf('#', q);
  return uri.slice(q + 1, hash === -1 ? undefined : hash);
}

function decodedKey(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/**
 * Why the query is ambiguous about the target, or undefined: a parameter that names a citizen,
 * controller or data set must appear at most once and only under one of the route's own keys. The
 * query is read twice — as WHATWG URLSearchParams does (`&`) and as older parsers do (`&` and `;`) — so
 * that no parser's reading adds a target the decision did not see.
 */
function ambiguity(query: string, routeKeys: Set<string>): string | undefined {
  const reserved = new Set([...TARGET_NAMES, ...[...routeKeys].map(baseName)]);
  const readings = [[...new URLSearchParams(query).keys()], query.split(/[&;]/).map((pair) => decodedKey(pair.split('=', 1)[0] ?? ''))];
  for (const keys of readings) {
    const seen = new Set<string>();
    for (const key of keys) {
      if (!reserved.has(baseName(key))) continue;
      // Named by its base name only: the key itself may carry a personnummer (`citizen[1980…]`).
      const name = JSON.stringify(baseName(key));
      if (!routeKeys.has(key)) return `query parameter ${name} names a citizen, controller or data set, and the route takes none from it`;
      if (seen.has(key)) return `query parameter ${name} is repeated`;
      seen.add(key);
    }
  }
  return undefined;
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
  /** The query keys the pattern names. */
  keys: Set<string>;
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
  return { route, path: new RegExp(`^${source}$`), pathNames, query: params, keys: new Set(params.map((p) => p.key)) };
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

  /**
   * The target of `method uri` (uri = path and query, as in the request line); a refusal when a route's
   * path matches but the query is ambiguous about the target; undefined when no route matches.
   */
  match(method: string, uri: string): RouteTarget | QueryRefusal | undefined {
    const url = URL.parse(uri, 'http://route.invalid');
    if (!url || !uri.startsWith('/')) return undefined;
    // Match the path as sent: a percent-encoded or dot-segment variant is not the same route.
    const rawPath = pathOf(uri);
    for (const c of this.#routes) {
      if (c.route.method !== method.toUpperCase()) continue;
      const m = c.path.exec(rawPath);
      if (!m) continue;
      const problem = ambiguity(queryOf(uri), c.keys);
      if (problem) return { refused: 'query_ambiguous', detail: problem };
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

/** The route table's answer was a refusal of the query. */
export function isRefusal(m: RouteTarget | QueryRefusal | undefined): m is QueryRefusal {
  return m !== undefined && 'refused' in m;
}

/**
 * The upstream URL for a permitted PEP request: the route's template with the placeholders filled in,
 * plus the request's other query parameters (those the pattern did not name), the query canonical.
 */
export function upstreamUrl(target: RouteTarget, requestUri: string): URL {
  const template = target.route.upstream;
  if (!template) throw new Error(`route ${target.route.method} ${target.route.pattern} has no upstream to forward to`);
  const url = new URL(template.replace('{controller}', encodeURIComponent(target.controller)).replace('{citizen}', encodeURIComponent(target.citizen)));
  const named = new Set((target.route.pattern.split('?', 2)[1] ?? '').split('&').map((p) => p.split('=', 1)[0]));
  const incoming = URL.parse(requestUri, 'http://route.invalid');
  for (const [k, v] of incoming?.searchParams ?? []) if (!named.has(k)) url.searchParams.append(k, v);
  url.search = canonicalQuery(url.search);
  return url;
}

/** The identity (decision assertion `aud`) of the sandbox's mock data APIs. */
export const sandboxDataAudience = (issuer: string) => `${issuer}/sandbox/data`;

/** The sandbox's route table: the mock data APIs of every sandbox controller. */
export function sandboxRoutes(issuer: string): PdpRouteConfig[] {
  return ['bookings', 'vaccinations', 'lab-results', 'home-care-decisions'].map((dataset) => ({
    method: 'GET' as const,
    pattern: `/data/{controller}/${dataset}?citizen={citizen}`,
    dataset,
    action: 'read' as const,
    upstream: `${issuer}/sandbox/data/{controller}/${dataset}?citizen={citizen}`,
    audience: sandboxDataAudience(issuer),
  }));
}
