// Swedish: acting for someone else (guardians and agents, docs/domain.md rules 9 and 10).
export const representation = {
  actingFor: 'Du agerar för {name} ({age} år)',
  actingForAdult: 'Du agerar för {name}',
  chooseTitle: 'Vem agerar du för?',
  chooseIntro: 'Du kan agera för dig själv, eller för någon du är vårdnadshavare eller ombud för.',
  myself: 'Mig själv',
  asGuardian: 'som vårdnadshavare',
  asAgent: 'som ombud',
  continue: 'Fortsätt',
  refusedTitle: 'Du kan inte agera för den personen',
  refusedBody: 'Det finns ingen giltig behörighet att agera för personen du valde. Välj igen eller börja om från appen.',
  expiredBody: 'Valet har gått ut. Börja om från appen.',
  mandate_bookings: 'bokningar',
  mandate_listing: 'listning',
  mandate_social_care_documentation: 'dokumentation i socialtjänsten',
} as const;
