// The admin API as its two clients (the console and the CLI) call it: over HTTP, with a DPoP-bound
// access token, so the API stays the one place where the role rules are enforced. Every answer the
// API gives as problem+json becomes an AdminApiProblem the caller can show in plain words; a network
// failure or a non-JSON answer becomes one too, so no caller ever shows a stack trace.
import * as oidc from 'openid-client';
import type { DatasetAccess } from './model.ts';

export const ADMIN_API_PATH = '/admin/api/v1';

/** A problem the admin API (or the way to it) reported, with the contract's reason code. */
export class AdminApiProblem extends Error {
  readonly status: number;
  /** The last segment of the problem type (`urn:gateway:problem:<code>`), e.g. `outside_controller`. */
  readonly code: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: Array<{ path: string; message: string }>;
  constructor(status: number, code: string, title: string, detail?: string, errors: Array<{ path: string; message: string }> = []) {
    super(detail ?? title);
    this.name = 'AdminApiProblem';
    this.status = status;
    this.code = code;
    this.title = title;
    this.detail = detail;
    this.errors = errors;
  }
}

export interface AdminApiResponse<T> {
  status: number;
  body: T;
  /** The object's version as the API's ETag carries it ("<version>"), for If-Match. */
  etag: string | undefined;
  location: string | undefined;
}

export interface AdminApiRequest {
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** The version the caller last saw; sent as If-Match "<version>". */
  ifMatch?: number | string;
}

export function problemFromBody(status: number, body: unknown): AdminApiProblem {
  const p = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const type = typeof p.type === 'string' ? p.type : '';
  const code = type.startsWith('urn:gateway:problem:') ? type.slice('urn:gateway:problem:'.length) : `http_${status}`;
  const errors = Array.isArray(p.errors)
    ? p.errors.filter((e): e is { path: string; message: string } => typeof e === 'object' && e !== null)
      .map((e) => ({ path: String((e as { path: unknown }).path ?? ''), message: String((e as { message: unknown }).message ?? '') }))
    : [];
  return new AdminApiProblem(status, code, typeof p.title === 'string' ? p.title : `HTTP ${status}`, typeof p.detail === 'string' ? p.detail : undefined, errors);
}

/** An API list answer as an array, whether it came bare or wrapped ({ items: [...] }). */
export function listOf<T>(body: unknown): T[] {
  if (Array.isArray(body)) return body as T[];
  if (typeof body === 'object' && body !== null) {
    for (const key of ['items', 'data', 'results']) {
      const v = (body as Record<string, unknown>)[key];
      if (Array.isArray(v)) return v as T[];
    }
  }
  return [];
}

export class AdminApiClient {
  readonly #config: oidc.Configuration;
  readonly #accessToken: string;
  readonly #dpop: oidc.DPoPHandle;
  readonly #base: URL;

  constructor(opts: { issuer: string; config: oidc.Configuration; accessToken: string; dpop: oidc.DPoPHandle }) {
    this.#config = opts.config;
    this.#accessToken = opts.accessToken;
    this.#dpop = opts.dpop;
    this.#base = new URL(`${opts.issuer.replace(/\/$/, '')}${ADMIN_API_PATH}/`);
  }

  async request<T = unknown>(method: string, path: string, req: AdminApiRequest = {}): Promise<AdminApiResponse<T>> {
    const url = new URL(path.replace(/^\//, ''), this.#base);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, v);
    const headers = new Headers({ accept: 'application/json, application/problem+json' });
    let body: string | undefined;
    if (req.body !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(req.body);
    }
    if (req.ifMatch !== undefined) headers.set('if-match', `"${String(req.ifMatch).replace(/"/g, '')}"`);
    let res: Response;
    try {
      res = await oidc.fetchProtectedResource(this.#config, this.#accessToken, url, method, body, headers, { DPoP: this.#dpop });
    } catch (err) {
      // oauth4webapi turns a 401 with a WWW-Authenticate challenge into an error; keep its reason.
      if (err instanceof oidc.WWWAuthenticateChallengeError) {
        const challenge = err.cause[0];
        const reason = challenge?.parameters.error ?? 'invalid_token';
        return Promise.reject(new AdminApiProblem(err.response.status, reason, 'Unauthorized', challenge?.parameters.error_description));
      }
      return Promise.reject(new AdminApiProblem(502, 'api_unreachable', 'The admin API could not be reached', err instanceof Error ? err.message : undefined));
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      return Promise.reject(new AdminApiProblem(502, 'api_bad_response', 'The admin API answered with something that is not JSON', `HTTP ${res.status}`));
    }
    if (!res.ok) return Promise.reject(problemFromBody(res.status, parsed));
    const etag = res.headers.get('etag') ?? undefined;
    return { status: res.status, body: parsed as T, etag: etag?.replace(/^W\//, '').replace(/"/g, ''), location: res.headers.get('location') ?? undefined };
  }

  get<T = unknown>(path: string, query?: Record<string, string | undefined>): Promise<AdminApiResponse<T>> {
    return this.request<T>('GET', path, query ? { query } : {});
  }

  async list<T>(path: string, query?: Record<string, string | undefined>): Promise<T[]> {
    return listOf<T>((await this.get(path, query)).body);
  }

  post<T = unknown>(path: string, body: unknown, ifMatch?: number | string): Promise<AdminApiResponse<T>> {
    return this.request<T>('POST', path, { body, ...(ifMatch !== undefined ? { ifMatch } : {}) });
  }
}

export interface LiveAccess {
  controllerId: string;
  access: DatasetAccess[];
  basis?: string;
  purpose?: string;
  /** For an automatic (policy) or certification-based approval: the certification it rests on. */
  certificationId?: string;
  frameworkId?: string;
}

/** The live approvals of GET /products/{id}/access ({ approvals: [...] }, or a bare list). */
export function liveAccessOf(body: unknown): LiveAccess[] {
  const rows = Array.isArray(body) ? body
    : typeof body === 'object' && body !== null
      ? ((body as Record<string, unknown>).controllers ?? (body as Record<string, unknown>).items ?? (body as Record<string, unknown>).approvals ?? [])
      : [];
  if (!Array.isArray(rows)) return [];
  return rows.filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null && typeof (r as Record<string, unknown>).controllerId === 'string')
    .map((r) => ({
      controllerId: r.controllerId as string,
      access: Array.isArray(r.access) ? r.access as DatasetAccess[] : [],
      ...(typeof r.basis === 'string' ? { basis: r.basis } : {}),
      ...(typeof r.purpose === 'string' ? { purpose: r.purpose } : {}),
      ...(typeof r.certificationId === 'string' ? { certificationId: r.certificationId } : {}),
      ...(typeof r.frameworkId === 'string' ? { frameworkId: r.frameworkId } : {}),
    }));
}

/** Why candidate approvals do not count right now (liveApprovals' lapses), e.g. `certification_expired`. */
export function lapsesOf(body: unknown): string[] {
  const lapses = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).lapses : undefined;
  return Array.isArray(lapses) ? [...new Set(lapses.filter((l): l is string => typeof l === 'string'))] : [];
}
