// The sandbox's population register: the personas of config/sandbox/personas.json as Navet would
// describe them. Birth dates come from the numbers; guardians are the inverse of `guardianOf`. Tests
// change records here (a protection mark set, a child's birth date moved, a guardianship blocked, the
// register down) to see the gateway follow within its cache bound. Production refuses it (src/config.ts).
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseIdentityNumber } from '../../personnummer.ts';
import { RegisterUnavailable, type Guardianship, type GuardianshipBlock, type PopulationRegister, type RegisterRecord } from './register.ts';

export const personasFile = new URL('../../../config/sandbox/personas.json', import.meta.url);

const protection = z.enum(['sekretessmarkering', 'skyddad-folkbokforing']);
const block = z.enum(['lvu', 'other']);
const personaSchema = z.object({
  id: z.string().min(1),
  personalNumber: z.string().refine((v) => parseIdentityNumber(v) !== undefined, 'a valid 12-digit personnummer or samordningsnummer'),
  givenName: z.string().min(1),
  surname: z.string().min(1),
  /** The shorthand the e-ID simulators read; `protection` says which kind (default sekretessmarkering). */
  protectedIdentity: z.boolean().optional(),
  protection: protection.optional(),
  deceased: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
  address: z.object({
    streetAddress: z.string().min(1),
    postalCode: z.string().regex(/^\d{3} ?\d{2}$/),
    locality: z.string().min(1),
    country: z.string().length(2).default('SE'),
  }).optional(),
  email: z.string().optional(),
  phoneNumber: z.string().regex(/^\+\d{6,15}$/).optional(),
  // A child's id, or { id, blocked } for a custody the register restricts (LVU).
  guardianOf: z.array(z.union([z.string(), z.object({ id: z.string(), blocked: block })])).optional(),
}).loose();
const fixtureSchema = z.object({ citizens: z.array(personaSchema), staff: z.array(personaSchema).optional() }).loose();
export type RegisterPersonas = z.input<typeof fixtureSchema>;

export type RecordChange = Partial<Omit<RegisterRecord, 'personalNumber' | 'guardians' | 'custodyOf' | 'protection' | 'deceased'>> & {
  /** Removes the protection mark (undefined in a Partial cannot say "remove"). */
  protection?: RegisterRecord['protection'] | null;
  deceased?: string | null;
};

export class SandboxRegister implements PopulationRegister {
  readonly #records = new Map<string, RegisterRecord>();
  /** How many lookups reached the register (tests see the cache answer instead). */
  lookups = 0;
  /** While true every lookup throws RegisterUnavailable, as a register that is down would. */
  unavailable = false;

  constructor(personas: RegisterPersonas) {
    const fixture = fixtureSchema.parse(personas);
    const people = [...fixture.citizens, ...(fixture.staff ?? [])];
    const byId = new Map(people.map((p) => [p.id, p]));
    for (const p of people) {
      const id = parseIdentityNumber(p.personalNumber);
      if (!id) continue; // the schema refused it already
      const prot = p.protection ?? (p.protectedIdentity ? 'sekretessmarkering' : undefined);
      this.#records.set(id.value, {
        personalNumber: id.value,
        coordinationNumber: id.kind === 'samordningsnummer',
        birthDate: id.birthDate,
        givenName: p.givenName,
        surname: p.surname,
        name: `${p.givenName} ${p.surname}`,
        ...(p.deceased ? { deceased: p.deceased } : {}),
        ...(prot ? { protection: prot } : {}),
        ...(p.address ? { address: { ...p.address } } : {}),
        ...(p.email || p.phoneNumber ? { contact: { ...(p.email ? { email: p.email } : {}), ...(p.phoneNumber ? { phoneNumber: p.phoneNumber } : {}) } } : {}),
        guardians: [],
        custodyOf: [],
      });
    }
    for (const guardian of people) {
      for (const entry of guardian.guardianOf ?? []) {
        const { id, blocked } = typeof entry === 'string' ? { id: entry, blocked: undefined } : entry;
        const child = byId.get(id);
        if (!child) throw new Error(`personas: ${guardian.id} is guardian of unknown persona ${id}`);
        this.setGuardianship(guardian.personalNumber, child.personalNumber, blocked);
      }
    }
  }

  static fromFile(file: URL | string = personasFile): SandboxRegister {
    return new SandboxRegister(JSON.parse(readFileSync(file, 'utf8')) as RegisterPersonas);
  }

  async lookup(personalNumber: string): Promise<RegisterRecord | undefined> {
    this.lookups += 1;
    if (this.unavailable) throw new RegisterUnavailable('the sandbox register is set to be unavailable');
    const record = this.#records.get(personalNumber);
    // A copy: what a caller does with its answer never changes the register.
    return record ? structuredClone(record) : undefined;
  }

  /**
   * Registers a person the personas do not have (a test's citizen of a given age, a cohort member);
   * birth date and kind from the number, nothing protected unless `change` says so.
   */
  add(personalNumber: string, givenName = 'Testperson', surname = 'Sandlåda', change: RecordChange = {}): void {
    const id = parseIdentityNumber(personalNumber);
    if (!id) throw new Error('not a valid personnummer or samordningsnummer');
    if (this.#records.has(id.value)) throw new Error('that person is in the sandbox register already');
    this.#records.set(id.value, {
      personalNumber: id.value, coordinationNumber: id.kind === 'samordningsnummer', birthDate: id.birthDate,
      givenName, surname, name: `${givenName} ${surname}`, guardians: [], custodyOf: [],
    });
    this.update(id.value, change);
  }

  /** Changes a person's record as the register would (a protection mark set, a birth date, a death). */
  update(personalNumber: string, change: RecordChange): void {
    const record = this.#get(personalNumber);
    const { protection: prot, deceased, ...rest } = change;
    Object.assign(record, structuredClone(rest));
    if (prot === null) delete record.protection;
    else if (prot !== undefined) record.protection = prot;
    if (deceased === null) delete record.deceased;
    else if (deceased !== undefined) record.deceased = deceased;
  }

  /** Records (or changes) custody of `child` by `guardian`; `blocked` restricts it (LVU), undefined lifts that. */
  setGuardianship(guardian: string, child: string, blocked?: GuardianshipBlock): void {
    const g = this.#get(guardian);
    const c = this.#get(child);
    const put = (list: Guardianship[], other: string) => {
      const kept = list.filter((r) => r.personalNumber !== other);
      kept.push({ personalNumber: other, ...(blocked ? { blocked } : {}) });
      return kept;
    };
    g.custodyOf = put(g.custodyOf, child);
    c.guardians = put(c.guardians, guardian);
  }

  /** Ends custody (the child came of age in the register's books, or a court moved it). */
  endGuardianship(guardian: string, child: string): void {
    const g = this.#get(guardian);
    const c = this.#get(child);
    g.custodyOf = g.custodyOf.filter((r) => r.personalNumber !== child);
    c.guardians = c.guardians.filter((r) => r.personalNumber !== guardian);
  }

  #get(personalNumber: string): RegisterRecord {
    const record = this.#records.get(personalNumber);
    if (!record) throw new Error('no such person in the sandbox register');
    return record;
  }
}
