// Svenska: texter om uppgifter från folkbokföringen (befolkningsregistret), referensen för området.
export const register = {
  scopeAddress: 'din adress från folkbokföringen (lämnas aldrig ut om du har skyddade personuppgifter)',
  scopeEmail: 'din e-postadress (lämnas aldrig ut om du har skyddade personuppgifter)',
  scopePhone: 'ditt telefonnummer (lämnas aldrig ut om du har skyddade personuppgifter)',
} as const;
