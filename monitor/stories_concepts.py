"""Words that outlets use for the same fact, folded to one token for story matching (pure data).

Reports of one event rarely share their wording: "quake" / "tremor" / "temblor" / "séisme",
"killed" / "dead" / "death toll" / "muertos", "BTC" / "Bitcoin", "Kiev" / "Kyiv". Story
fingerprints compare
content tokens, so each group below becomes one token (its first word), and the common
inflections of English verbs ("shelling", "fired") lose their ending. Only words whose senses
all mean the same in news copy are grouped: "strike" (a walkout or an air strike) stays itself.
"""

from __future__ import annotations

_GROUPS = """
kill killed killing killings kills dead death deaths die died dies dying toll fatality fatalities
  fatal martyred martyr martyrs slain muerto muertos muerte muertes mort morts tue tues tote toten
  morto mortos mortes murder murders murdered asesinato asesinado asesinados asesinada asesinan
  assassine assassinat ermordet homicidio
injure injured injuries injury wounded wounding wound wounds hurt herido heridos blesse blesses
  verletzte ferido feridos
quake earthquake earthquakes tremor tremors temblor seismic seisme sismo terremoto erdbeben
rocket projectile katyusha roquette cohete
drone uav
bomb bombing bombings blast blasts explosion explosions explosive explosives exploded explode
  ied explosion explosiones attentat
shooting shootings gunman gunmen gunfire gunshot gunshots tiroteo fusillade
fire blaze blazes wildfire wildfires bushfire bushfires incendio incendios incendie incendies
flood floods flooding flooded inundacion inundaciones inondation inondations hochwasser
  enchente enchentes
storm hurricane typhoon cyclone huracan ouragan tempete tormenta
protest protests protester protesters protesting protested demonstration demonstrations
  demonstrator demonstrators rally rallies rallied marcher marchers manifestation manifestations
  manifestant manifestants manifestantes protesta protestas
walkout grev greve huelga streik
resign resigned resigns resignation resigning quit quits renuncia renuncio dimite dimision
  demission demissionne rucktritt
election elections vote votes voting voter voters poll polls ballot ballots runoff eleccion
  elecciones election elections wahl wahlen eleicao eleicoes
arrest arrested arrests arresting detain detained detention custody arrestation detenido
  detenidos festgenommen preso presos
hostage hostages kidnap kidnapped kidnapping abduct abducted abduction secuestro secuestrados
  enlevement otage otages
crash crashed collision collided derail derailed derailment accidente accident
ship vessel vessels tanker tankers freighter navire buque
plane aircraft airliner jet jetliner avion avione
prisoner prisoners captive captives captivity pow pows detainee detainees prisonnier prisionero
exchange swap swapped echange intercambio
soldier soldiers troop troops servicemen serviceman servicemembers soldat soldats soldado
  soldados
police policeman policemen policewoman cop cops officers officer policia policier policiers
  polizei
crypto bitcoin btc cryptocurrency cryptocurrencies
inflation cpi
volcano volcanic eruption erupt erupted lava volcan
landslide landslides mudslide mudslides glissement deslave deslizamiento
ceasefire truce armistice cessez
coup putsch golpe
stampede
drill drills exercise exercises wargame wargames maneuver maneuvers manoeuvre manoeuvres
museum musee museo
jewel jewels jewellery jewelry bijou bijoux joya joyas
heist robbery robberies theft thefts robbed stolen steal stole
tsunami
evacuate evacuated evacuation evacuations evacuee evacuees
rescue rescued rescuers rescuer rescate sauvetage
sentence sentenced sentencing jailed jail imprisonment convicted conviction condamne
kyiv kiev
odesa odessa
kharkiv kharkov
zaporizhzhia zaporozhye zaporizhia
mykolaiv nikolaev
dnipro dnepr dnipropetrovsk
luhansk lugansk
tehran teheran
mumbai bombay
kolkata calcutta
chennai madras
beijing peking
yangon rangoon
brussel bruxelle
geneva geneve genf
premier pm primer
parliament parliamentary lawmakers legislature congress assemblee parlamento
stab stabbing stabbings stabbed knifeman knife messerangriff messerattacke apunalamiento
  esfaqueamento
outage outages apagon apagone stromausfall
tariff tariffs arancel aranceles zoll zolle
ecb bce ezb
government gouvernement gobierno governo regierung
journalist journalists journaliste journalistes periodista periodistas jornalista jornalistas
  reporter reporters
rate zin zinsen leitzin leitzinsen taux juro
unchanged unverandert inchange inchanges inalterado inalterada
quarter cuarto quart viertel
point punto punkt ponto
cut recorta recorte senkt senkung abaisse reduz
nato otan
imf fmi iwf
opec opep
"""

CONCEPTS: dict[str, str] = {}
for _line in _GROUPS.replace("\n  ", " ").strip().splitlines():
    _words = _line.split()
    for _word in _words:
        CONCEPTS.setdefault(_word, _words[0])

# English verb endings dropped before the lookup: "shelling" → "shell", "fired" → "fire".
_MIN_STEM = 4


# Spanish, Portuguese and Italian spellings of the Latin "-tion" nouns, folded to ASCII and
# singular: "inflación" / "inflação" / "inflazione" = "inflation", "elección" = "election".
_COGNATE_ENDINGS = (
    ("ccione", "ction"), ("ccion", "ction"), ("cione", "tion"), ("cion", "tion"),
    ("zione", "tion"), ("zioni", "tion"), ("coe", "tion"), ("cao", "tion"),
)  # fmt: skip
_MIN_COGNATE = 6


def cognate(token: str) -> str:
    """The English spelling of a Romance "-tion" noun ("inflacion" → "inflation")."""
    if len(token) >= _MIN_COGNATE:
        for ending, english in _COGNATE_ENDINGS:
            if token.endswith(ending):
                return token[: -len(ending)] + english
    return token


def concept(token: str) -> str:
    """The token's group word, else the token without an -ing / -ed ending when what is left
    is a plausible stem ("shelling" → "shell"; "ring", "bed" stay)."""
    found = CONCEPTS.get(token)
    if found is not None:
        return found
    for ending in ("ing", "ed"):
        if token.endswith(ending) and len(token) - len(ending) >= _MIN_STEM:
            base = token[: -len(ending)]
            return CONCEPTS.get(base, base)
    return token
