// What the registry answers when it refuses: a status, a stable reason code (the problem type's last
// segment) and a detail that names the problem. The admin API turns these into problem+json.

export interface FieldError {
  path: string;
  message: string;
}

export class RegistryError extends Error {
  readonly status: number;
  readonly code: string;
  readonly errors: FieldError[] | undefined;
  constructor(status: number, code: string, detail: string, errors?: FieldError[]) {
    super(detail);
    this.name = 'RegistryError';
    this.status = status;
    this.code = code;
    this.errors = errors;
  }
}

export const notFound = (what: string, id: string) => new RegistryError(404, 'not_found', `${what} ${JSON.stringify(id)} does not exist`);
export const versionConflict = (what: string, id: string, expected: number, actual: number) =>
  new RegistryError(412, 'version_conflict', `${what} ${JSON.stringify(id)} is at version ${actual}, not ${expected}: reload it and apply the change again`);
export const invalid = (code: string, detail: string, errors?: FieldError[]) => new RegistryError(422, code, detail, errors);
