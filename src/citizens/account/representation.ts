// The "Ombud och företrädare" section of /account: who may act for the citizen, and for whom the
// citizen may act. The relations themselves are the representation module's
// (src/citizens/representation/relations.ts, issue 12 items 4 and 5); the page renders them through
// this small interface, empty until that module is wired in (src/citizens/module.ts, `representation`).
import type { Locale } from '../../idp/views/i18n.ts';
import { representationTexts } from '../../idp/views/messages/representation.ts';
import type { RelationLine, Relations } from '../representation/relations.ts';

/** One relation, as the page shows it: the other person's name, how they are related, until when. */
export interface ShownRelation {
  name: string;
  kind: 'guardian' | 'agent';
  /** What an agent's mandate covers, in words (e.g. "bokningar"); absent for a guardian. */
  mandate?: string | undefined;
  /** ISO instant the relation ends (a mandate's expiry, a child's 18th birthday), when known. */
  until?: string | undefined;
}

export interface CitizenRelations {
  /** People who may act for the citizen (guardians, agents). */
  actForMe: ShownRelation[];
  /** People the citizen may act for (children, principals). */
  iActFor: ShownRelation[];
}

/** Who the citizen is, as the account page knows it: the pseudonym, and the personnummer while signed in. */
export interface RelationsQuery {
  accountId: string;
  personalNumber: string | undefined;
}

export interface AccountRepresentation {
  relations(citizen: RelationsQuery, locale: Locale): Promise<CitizenRelations>;
}

/** The default: nobody acts for anybody (until the representation module is wired in). */
export const noRepresentation: AccountRepresentation = {
  async relations() {
    return { actForMe: [], iActFor: [] };
  },
};

/** One line of the representation module's answer, as the page shows it: names and words, no numbers. */
function shown(line: RelationLine, locale: Locale): ShownRelation {
  const types = line.mandate?.types ?? [];
  return {
    name: line.name,
    kind: line.relation === 'agent' ? 'agent' : 'guardian',
    ...(types.length ? { mandate: types.map((t) => representationTexts.say(locale, `mandate_${t}` as never)).join(', ') } : {}),
    ...(line.mandate?.expiresAt ? { until: line.mandate.expiresAt } : {}),
  };
}

/** The page's view of the representation module (src/citizens/representation/relations.ts): only what can be used now. */
export function accountRelations(relations: Pick<Relations, 'of'>): AccountRepresentation {
  return {
    async relations(citizen, locale) {
      if (!citizen.personalNumber) return { actForMe: [], iActFor: [] };
      const r = await relations.of(citizen.personalNumber);
      return {
        actForMe: r.actedForBy.filter((l) => l.usable).map((l) => shown(l, locale)),
        iActFor: r.actsFor.filter((l) => l.usable).map((l) => shown(l, locale)),
      };
    },
  };
}
