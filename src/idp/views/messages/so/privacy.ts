// Somali (Soomaali): the privacy information.
import type { KeysOf } from '../catalogue.ts';
import type { privacy as sv } from '../sv/privacy.ts';

export const privacy: KeysOf<typeof sv> = {
  title: 'Sida aan u maamulno xogtaada',
  intro: 'Adeeggan wuxuu kugu gelinayaa barnaamijyada (apps) daryeelka caafimaadka iyo daryeelka bulshada, wuxuuna hubiyaa in barnaamijyada la oggolaaday oo keliya ay gaaraan xogtaada.',
  whatHeading: 'Xogta noocee ah',
  whatText: 'Lambarkaaga aqoonsiga shakhsiga iyo magacaaga oo laga helo aqoonsigaaga elektaroonigga ah (e-legitimation), barnaamijyada aad isticmaasho, oggolaanshaha aad bixisay, iyo marka barnaamij uu codsaday xogtaada iyo jawaabta la siiyay.',
  whyHeading: 'Sababta',
  whyText: 'Si aan si ammaan ah kuugu gelino, si barnaamijyada uu bixiyaha daryeelka ama degmadu oggolaaday oo keliya ay u gaaraan xogtaada, iyo si adiga iyo kuwa mas\'uulka ka ah aad u arki kartaan cidda akhriday.',
  howLongHeading: 'Muddada',
  howLongText: 'Lambarkaaga aqoonsiga iyo magacaaga waxaa la hayaa oo keliya inta aad gudaha ku jirto. Oggolaanshahaaga waxaa la hayaa inta ay shaqaynayaan, kadibna caddayn ahaan goorta aad ka noqotay. Diiwaanka cidda akhriday xogtaada waxaa la hayaa {months} bilood.',
  whoHeading: 'Cidda mas\'uulka ah',
  whoText: 'Cidda maamusha adeegga ayaa mas\'uul ka ah gelitaanka, oggolaanshaha iyo diiwaanka. Bixiye kasta oo daryeel iyo degmo kasta ayaa mas\'uul ka ah xogtooda adiga kugu saabsan, barnaamij kastana waxa uu ku sameeyo.',
  rightsHeading: 'Waxa aad samayn karto',
  rightsText: 'Bogga "Barnaamijyadayda iyo xogtayda" waxaad ku arki kartaa waxan oo dhan, waxaad u soo dejisan kartaa fayl ahaan, waxaadna ka noqon kartaa barnaamij. Haddii aad rabto inaad saxdo xog, la xiriir bixiyaha daryeelka ama degmada haysa.',
  otherLanguages: 'Luqado kale',
  back: 'Ku noqo Barnaamijyadayda iyo xogtayda',
};
