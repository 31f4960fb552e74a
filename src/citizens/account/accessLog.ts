// The citizen's access log (docs/domain.md, rule 7): the decision point's audit of every decision
// about this citizen — product, controller, data set, action, time, permitted or denied — read from
// decision_audit by the citizen's pseudonym only, so nothing about anyone else can appear, paged and
// filtered. The filters are checked before any query: a malformed one is a 400 with its name.
import type { Db } from '../../whitelist/db/db.ts';
import { decisionFromRow, type DecisionAuditRow, type DecisionRecord } from '../../scopes/decisionAudit.ts';

export interface AccessLogFilter {
  product?: string | undefined;
  controller?: string | undefined;
  dataset?: string | undefined;
  outcome?: 'permit' | 'deny' | undefined;
  /** Inclusive days, YYYY-MM-DD (UTC). */
  from?: string | undefined;
  to?: string | undefined;
  /** 1-based. */
  page: number;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MAX_PAGE = 10_000;

export type FilterResult = { ok: true; filter: AccessLogFilter } | { ok: false; reason: `filter_invalid:${string}` };

const one = (v: unknown): string | undefined => {
  if (Array.isArray(v)) return undefined;
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
};

const validDay = (s: string): boolean => DAY.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);

/** The filter of a query string; the first field that is malformed names the refusal. */
export function parseFilter(query: Record<string, unknown>): FilterResult {
  const filter: AccessLogFilter = { page: 1 };
  for (const field of ['product', 'controller', 'dataset', 'outcome', 'from', 'to', 'page'] as const) {
    const raw = query[field];
    if (raw === undefined || raw === '') continue;
    const value = one(raw);
    if (value === undefined) return { ok: false, reason: `filter_invalid:${field}` };
    switch (field) {
      case 'product': case 'controller': case 'dataset':
        if (!ID.test(value)) return { ok: false, reason: `filter_invalid:${field}` };
        filter[field] = value;
        break;
      case 'outcome':
        if (value !== 'permit' && value !== 'deny') return { ok: false, reason: 'filter_invalid:outcome' };
        filter.outcome = value;
        break;
      case 'from': case 'to':
        if (!validDay(value)) return { ok: false, reason: `filter_invalid:${field}` };
        filter[field] = value;
        break;
      case 'page': {
        const n = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
        if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) return { ok: false, reason: 'filter_invalid:page' };
        filter.page = n;
        break;
      }
    }
  }
  if (filter.from && filter.to && filter.from > filter.to) return { ok: false, reason: 'filter_invalid:to' };
  return { ok: true, filter };
}

export interface AccessLogPage {
  entries: DecisionRecord[];
  page: number;
  hasNext: boolean;
}

function where(citizen: string, f: Omit<AccessLogFilter, 'page'>): { sql: string; params: unknown[] } {
  const params: unknown[] = [citizen];
  const clauses = ['citizen = $1'];
  const add = (clause: string, value: unknown) => {
    params.push(value);
    clauses.push(clause.replace('?', `$${params.length}`));
  };
  if (f.product) add('product_id = ?', f.product);
  if (f.controller) add('controller_id = ?', f.controller);
  if (f.dataset) add('dataset = ?', f.dataset);
  if (f.outcome) add('decision = ?', f.outcome);
  if (f.from) add('decided_at >= ?', `${f.from}T00:00:00.000Z`);
  if (f.to) add('decided_at < ?', new Date(Date.parse(`${f.to}T00:00:00.000Z`) + 86_400_000).toISOString());
  return { sql: clauses.join(' AND '), params };
}

export class AccessLog {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** One page of the decisions about this citizen, newest first. */
  async page(citizen: string, filter: AccessLogFilter, pageSize: number): Promise<AccessLogPage> {
    const { sql, params } = where(citizen, filter);
    const rows = (await this.#db.query<DecisionAuditRow>(
      `SELECT * FROM decision_audit WHERE ${sql} ORDER BY decided_at DESC, id LIMIT ${pageSize + 1} OFFSET ${(filter.page - 1) * pageSize}`, params)).rows;
    return { entries: rows.slice(0, pageSize).map(decisionFromRow), page: filter.page, hasNext: rows.length > pageSize };
  }

  /** Every decision about this citizen (the export), newest first, at most `limit`. */
  async all(citizen: string, limit = 10_000): Promise<DecisionRecord[]> {
    const rows = (await this.#db.query<DecisionAuditRow>(
      `SELECT * FROM decision_audit WHERE citizen = $1 ORDER BY decided_at DESC, id LIMIT ${limit}`, [citizen])).rows;
    return rows.map(decisionFromRow);
  }

  /** When each product last got this citizen's data (a permit), by product id. */
  async lastUse(citizen: string): Promise<Map<string, string>> {
    const rows = (await this.#db.query<{ product_id: string; at: Date | string }>(
      `SELECT product_id, max(decided_at) AS at FROM decision_audit WHERE citizen = $1 AND decision = 'permit' AND product_id IS NOT NULL GROUP BY product_id`, [citizen])).rows;
    return new Map(rows.map((r) => [r.product_id, new Date(r.at).toISOString()]));
  }
}
