// One admin API route as data: its path, its zod schemas for path parameters, query and body, its
// If-Match rule, the service it calls and its handler. The route table (routes.ts) is a list of these;
// the Koa router (router.ts) and the OpenAPI document (openapi.ts) are both built from it, so what is
// documented is what is validated and served.
import { z } from 'zod';
import type { ExposureAdmin } from '../../scopes/exposureAdmin.ts';
import type { ConcernedProduct } from '../authorization.ts';
import type { Principal } from '../model.ts';
import { slug } from '../schemas.ts';
import type { RegistryService } from '../service.ts';

export const API_BASE = '/admin/api/v1';

/** What the routes call: the registry always; the exposure resources only where the decision point runs. */
export interface AdminServices {
  registry: RegistryService;
  exposure: ExposureAdmin;
}
export type ServiceName = keyof AdminServices;

export type IfMatchRule = 'required' | 'optional';

/** `{id}` and `{cohortId}` of '/controllers/{id}/cohorts/{cohortId}'. */
type ParamNames<P extends string> = P extends `${string}{${infer N}}${infer Rest}` ? N | ParamNames<Rest> : never;
export type PathParams<P extends string> = { [K in ParamNames<P>]: string };

export interface Call<P = Record<string, string>, B = unknown, Q = unknown, E = number | undefined> {
  principal: Principal;
  /** Parsed by the route's params schema: every id matches the id pattern. */
  params: P;
  /** Parsed by the route's zod schema before the handler runs. */
  body: B;
  query: Q;
  /** The version named by If-Match: always there when the route requires it. */
  expected: E;
}

export interface Answer {
  status?: number;
  body?: unknown;
  /** The object's version, sent as ETag. */
  version?: number;
  /** For 201: the new object's path under the API base. */
  location?: string;
}

export interface RouteSpec {
  service: ServiceName;
  method: 'get' | 'post' | 'put' | 'delete';
  /** OpenAPI style: /controllers/{id}. */
  path: string;
  summary: string;
  /** Who may call it, in words (the checks themselves are the rules of src/whitelist/authorization.ts). */
  who: string;
  /** One member per `{name}` of the path. */
  params: z.ZodType<Record<string, string>>;
  body?: z.ZodType;
  query?: z.ZodType;
  response?: z.ZodType;
  status: number;
  /** required: 428 without it; optional: checked when sent (a first policy has no version yet). */
  ifMatch?: IfMatchRule;
  /** The largest JSON body accepted (a cohort's member list is larger than the API's default). */
  jsonLimit?: string;
  /**
   * Every route that changes anything: the products the change is about, read before it is made
   * (`aboutNoProduct(why)` for none). The router refuses a change by someone who speaks for the
   * supplier of any of them, and a change whose route declares nothing (separation of duties,
   * src/whitelist/authorization.ts).
   */
  concerns?: (service: unknown, call: Call) => Promise<readonly ConcernedProduct[]>;
  handle(service: unknown, call: Call): Promise<Answer>;
}

/** Every method but GET changes something, and so falls under separation of duties. */
export const isMutating = (method: RouteSpec['method']): boolean => method !== 'get';

/** An id in a path: the registry's slugs and the server-made UUIDs both match it; nothing else reaches a query. */
export const pathId = slug;

export const paramNames = (path: string): string[] => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');

type TypedCall<Path extends string, B, Q, M extends IfMatchRule | undefined> = Call<PathParams<Path>, B, Q, M extends 'required' ? number : number | undefined>;

/** A route with its handler typed by its own path, schemas and If-Match rule; the table stores them untyped. */
interface RouteBase<K extends ServiceName, Path extends string, B, Q, M extends IfMatchRule | undefined>
  extends Omit<RouteSpec, 'service' | 'method' | 'path' | 'params' | 'body' | 'query' | 'ifMatch' | 'concerns' | 'handle'> {
  path: Path;
  body?: z.ZodType<B>;
  query?: z.ZodType<Q>;
  ifMatch?: M;
  handle(service: AdminServices[K], call: TypedCall<Path, B, Q, M>): Promise<Answer>;
}

/** A read declares nothing; a change must say what it is about (the compiler refuses a row without it). */
type Declared<K extends ServiceName, Path extends string, B, Q, M extends IfMatchRule | undefined> =
  | { method: 'get'; concerns?: never }
  | { method: Exclude<RouteSpec['method'], 'get'>; concerns: (service: AdminServices[K], call: TypedCall<Path, B, Q, M>) => Promise<readonly ConcernedProduct[]> };

type RouteDef<K extends ServiceName, Path extends string, B, Q, M extends IfMatchRule | undefined> = RouteBase<K, Path, B, Q, M> & Declared<K, Path, B, Q, M>;

/** The route maker of one service: `const route = routesOf('registry')`. */
export const routesOf = <K extends ServiceName>(service: K) =>
  <Path extends string, B = undefined, Q = undefined, M extends IfMatchRule | undefined = undefined>(definition: RouteDef<K, Path, B, Q, M>): RouteSpec => {
    const params = z.strictObject(Object.fromEntries(paramNames(definition.path).map((name) => [name, pathId])));
    return { ...definition, service, params, handle: definition.handle as RouteSpec['handle'], concerns: definition.concerns as RouteSpec['concerns'] } as RouteSpec;
  };

export const emptyAction = z.strictObject({});
export const object = <T extends { version: number }>(value: T, status = 200): Answer => ({ status, body: value, version: value.version });
/** Every list of the API: `{ "items": [...] }`. */
export const items = (list: unknown[]): Answer => ({ body: { items: list } });
