// What the drivers hand back for each kind of column, as zod schemas, and the one way a table's rows
// become domain objects. Both drivers give timestamptz as a Date, bigint as a string (node-postgres)
// or a number (PGlite), jsonb already parsed but unchecked. A row's type parameter on query() is only
// a claim; the mapper is where it is checked, so a row the code does not expect (a hand-edited enum,
// a JSON column of the wrong shape) stops here with its table and column named instead of travelling
// on as a lie to the gate or the admin API.
import { z } from 'zod';

/** A row that does not hold what its table promises. Its message names table, key and columns, never values. */
export class RowError extends Error {
  readonly table: string;
  readonly key: string;

  constructor(table: string, key: string, problems: string) {
    super(`${table} row ${key} cannot be read: ${problems}`);
    this.name = 'RowError';
    this.table = table;
    this.key = key;
  }
}

/** timestamptz: a Date from both drivers (a string from a text cast); answered as an ISO instant. */
export const timestamp = z.union([z.date(), z.string()]).transform((value, ctx) => {
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) {
    ctx.addIssue({ code: 'custom', message: 'is not a timestamp' });
    return z.NEVER;
  }
  return at.toISOString();
});

/** bigint: a string from node-postgres, a number from PGlite; the registry's counters fit a double. */
export const int8 = z.union([z.number().int(), z.string().regex(/^-?\d+$/, 'is not an integer')]).transform(Number);

/** A NULL-able column: NULL is answered as absent. */
export const nullable = <T extends z.ZodType>(column: T) => column.nullable().transform((v): z.output<T> | undefined => (v === null ? undefined : v));

/** A text column whose values the code knows by name: anything else is an error, not a cast. */
export const oneOf = <T extends z.ZodType<string, string>>(values: T) => z.string().pipe(values);

/** A jsonb column, checked against the schema of what is stored in it. */
export const json = <T extends z.ZodType>(shape: T) => z.unknown().pipe(shape);

/** Drops undefined members so a mapped object compares and serialises like the one that was written. */
export const clean = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

const described = (error: z.ZodError): string =>
  error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : 'the row'}: ${issue.message}`).join('; ');

/**
 * A table's mapper: checks the row against its columns' schema (which also shapes the domain object)
 * and answers the result, or throws a RowError naming the row by `keyColumn`.
 */
export function mapperFor<Schema extends z.ZodType<unknown, Record<string, unknown>>>(table: string, keyColumn: string, schema: Schema): (row: z.input<Schema>) => z.output<Schema> {
  return (row) => {
    const result = schema.safeParse(row);
    if (result.success) return result.data;
    const fields: Record<string, unknown> = row;
    const key = fields[keyColumn];
    throw new RowError(table, typeof key === 'string' || typeof key === 'number' ? JSON.stringify(key) : '(without a key)', described(result.error));
  };
}

/** The one row a statement must answer (INSERT ... RETURNING, an aggregate): its absence is a bug, said so. */
export function theRow<R>(result: { rows: R[] }, statement: string): R {
  const [row] = result.rows;
  if (row === undefined) throw new Error(`${statement} answered no row`);
  return row;
}
