"""Cue lexicons for attribution claims and incident timelines.

The lists are linguistic classes (speech-act verbs, hedges, attribution predicates, habitual adverbs...), matched on
spaCy lemmas or lower-cased tokens. They are plain frozen sets and mappings so every rule that uses them stays
readable; nothing here is specific to one article.
"""

from __future__ import annotations

from types import MappingProxyType


def words(text: str) -> frozenset[str]:
    """The set of whitespace-separated words of ``text``."""
    return frozenset(text.split())


__all__ = [
    "ACCORDING",
    "ANAPHORS",
    "ATTACK_NOUNS",
    "ATTACK_VERBS",
    "ATTRIBUTION_VERBS",
    "BELIEF_VERBS",
    "CAPABILITY_NOUNS",
    "CITE_VERBS",
    "CLAIM_RESPONSIBILITY_NOUNS",
    "CONDITIONAL_MARKS",
    "CONFIDENCE_ADJECTIVES",
    "CONFIRM_VERBS",
    "CONTENT_NOUNS",
    "CRIMINAL_HEADS",
    "DENIAL_VERBS",
    "DISPUTE_NOUNS",
    "DISPUTE_VERBS",
    "GENERIC_ACTOR_HEADS",
    "GROUP_HEADS",
    "GROUP_NAME_PATTERN",
    "HABITUAL_ADVERBS",
    "HABITUAL_VERBS",
    "HEDGE_ADJECTIVES",
    "HEDGE_ADVERBS",
    "HEDGE_MODALS",
    "HEDGE_NOUNS",
    "HEDGE_VERBS",
    "INVOLVEMENT_NOUNS",
    "LEAK_SITE_NOUNS",
    "LINK_VERBS",
    "NAMING_VERBS",
    "NEGATIONS",
    "NO_COMMENT_PATTERN",
    "OUTLET_HEADS",
    "OUTLET_NAME_WORDS",
    "PUBLISH_VERBS",
    "REPORT_NOUNS",
    "RESPONSIBILITY_ADJECTIVES",
    "SIGNATURE_NOUNS",
    "SPEECH_VERBS",
    "STATES",
    "STATE_BODIES",
    "STATE_HEADS",
    "TIMELINE_VERBS",
    "words",
]

# Verbs by which a party makes a statement or states a finding (lemmas).
SPEECH_VERBS = words("""say tell state report claim write note announce reveal add explain assert allege contend insist argue
    warn conclude find discover determine confirm deny dispute believe suspect think assess consider accuse blame
    charge indict attribute name identify publish disclose indicate suggest show post tweet declare acknowledge
    admit maintain testify estimate judge reckon speculate observe detail describe""")

# Belief and assessment verbs: the claimant holds the attribution as likely rather than as fact.
BELIEF_VERBS = words("believe suspect think assess consider suppose presume speculate reckon guess feel")

# Attribution predicates that hold the object (or the `to`/`on` complement) responsible.
ATTRIBUTION_VERBS = words(
    "attribute blame accuse charge indict trace track pin finger implicate convict sanction"
)

# Link predicates: the brief counts them as hedged even when they sound firm.
LINK_VERBS = words("link tie connect associate relate")

# Verbs whose subject hedges a following clause ("appears to", "indicates that").
HEDGE_VERBS = words("appear seem suggest indicate hint imply")
HEDGE_MODALS = words("may might could")
HEDGE_ADVERBS = words("""likely probably possibly potentially allegedly reportedly purportedly apparently presumably seemingly
    perhaps maybe supposedly""")
HEDGE_ADJECTIVES = words("""suspected alleged believed likely possible probable presumed purported consistent reminiscent
    indicative suggestive""")
HEDGE_NOUNS = words("""suspicion suspect possibility hallmark origin link overlap similarity theory speculation tie
    connection fingerprint signature""")
# Nouns whose "of X" names the party an attack resembles: "bears the hallmarks of X".
SIGNATURE_NOUNS = words(
    "hallmark hallmarks signature signatures fingerprint fingerprints trademark trademarks"
)
# Nouns that take a "that" clause holding a proposition: "the claim that X was behind", "no evidence that".
CONTENT_NOUNS = words("""claim claims allegation allegations accusation accusations assertion suggestion theory notion idea
    evidence proof indication sign speculation suspicion suspicions conclusion finding findings assessment belief
    report reports view charge charges possibility""")
# Predicative adjectives that make the copula's subject a claimant: "the company was confident that X ...".
CONFIDENCE_ADJECTIVES = words("confident convinced sure certain adamant positive")

CONFIRM_VERBS = words("confirm verify corroborate")
DENIAL_VERBS = words("deny reject refute rebuff dismiss repudiate")
DISPUTE_VERBS = words("dispute doubt question contest challenge criticise criticize downplay")
DISPUTE_NOUNS = words("doubt criticism")
CITE_VERBS = words("cite quote")
NAMING_VERBS = words("call name dub know identify refer go")

# What a denial or claim of responsibility is about ("denied any involvement", "claimed responsibility").
INVOLVEMENT_NOUNS = words("involvement responsibility role part participation hand complicity")
CLAIM_RESPONSIBILITY_NOUNS = words("responsibility credit")
# What an extortion crew's own publication is called: posting a victim there claims the attack.
LEAK_SITE_NOUNS = words("site website blog forum channel portal page")
PUBLISH_VERBS = words("post publish list add upload name dump leak advertise announce")
RESPONSIBILITY_ADJECTIVES = words("responsible culpable guilty")

# Verbs of attack activity whose subject (or passive agent) is the party held responsible.
ATTACK_VERBS = words("""hack breach attack compromise infiltrate penetrate steal leak target infect deploy launch conduct carry
    perpetrate orchestrate mount hit exploit extort blackmail encrypt spy break plant install develop create
    steer sponsor meddle interfere mastermind hijack deface dump phish ddos access exfiltrate wipe sabotage
    disrupt ransom demand intrude abuse use modify distribute spread operate run swing influence manipulate""")

# Nouns naming an attack or an actor's part in one.
ATTACK_NOUNS = words("""attack cyberattack hack hacking breach intrusion campaign operation incident compromise leak heist theft
    espionage cyberespionage meddling interference involvement activity activities attacks hacks breaches dump
    infection scheme fraud ransomware malware virus worm wiper spree assault raid sabotage""")

# Heads of noun phrases that designate an actor once they carry a name, state or nationality.
GROUP_HEADS = words("""group groups gang gangs crew crews collective team actor actors hacker hackers operator operators
    outfit unit cell syndicate attackers attacker cybercriminals criminals spies agents""")
CRIMINAL_HEADS = words("gang gangs crew syndicate cartel cybercriminals criminals extortionists")
STATE_HEADS = words("""government state regime authorities intelligence military army agency agencies services ministry
    spies officials interests operatives elements""")
# Heads that never make an actor on their own ("hackers", "the attackers").
GENERIC_ACTOR_HEADS = words("hacker hackers attacker attackers actor actors criminals cybercriminals")

# State bodies that act as attribution targets on their own (lower-cased surface forms -> country).
STATE_BODIES = MappingProxyType(
    {
        "gru": "Russia",
        "fsb": "Russia",
        "svr": "Russia",
        "kremlin": "Russia",
        "moscow": "Russia",
        "rgb": "North Korea",
        "reconnaissance general bureau": "North Korea",
        "pyongyang": "North Korea",
        "mss": "China",
        "pla": "China",
        "beijing": "China",
        "tehran": "Iran",
        "irgc": "Iran",
        "washington": "United States",
    }
)

# Countries that appear as state actors: lower-cased names and demonyms -> (canonical name, ISO alpha-2).
_STATE_ROWS = (
    ("China", "CN", "china, chinese, prc"),
    ("Russia", "RU", "russia, russian, russians, russian federation"),
    ("North Korea", "KP", "north korea, north korean, north koreans, dprk"),
    ("South Korea", "KR", "south korea, south korean"),
    ("Iran", "IR", "iran, iranian, iranians"),
    ("United States", "US", "united states, u.s., us, usa, america, american, americans"),
    ("United Kingdom", "GB", "united kingdom, uk, u.k., britain, british"),
    ("Israel", "IL", "israel, israeli"),
    ("Ukraine", "UA", "ukraine, ukrainian"),
    ("Vietnam", "VN", "vietnam, vietnamese"),
    ("Pakistan", "PK", "pakistan, pakistani"),
    ("India", "IN", "india, indian"),
    ("Turkey", "TR", "turkey, turkish"),
    ("Syria", "SY", "syria, syrian"),
    ("Belarus", "BY", "belarus, belarusian"),
    ("Lebanon", "LB", "lebanon, lebanese"),
    ("Japan", "JP", "japan, japanese"),
    ("Germany", "DE", "germany, german"),
    ("France", "FR", "france, french"),
    ("Lithuania", "LT", "lithuania, lithuanian"),
    ("Serbia", "RS", "serbia, serbian"),
    ("Nigeria", "NG", "nigeria, nigerian"),
    ("Brazil", "BR", "brazil, brazilian"),
    ("Italy", "IT", "italy, italian"),
)

# Lower-cased country names and demonyms -> (canonical name, ISO alpha-2).
STATES = MappingProxyType(
    {form.strip(): (name, code) for name, code, forms in _STATE_ROWS for form in forms.split(",")}
)

# Words that make a sentence hypothetical or conditional.
CONDITIONAL_MARKS = words("if unless whether")
NEGATIONS = words("not n't no never nobody nothing")

# Habits and capabilities rather than a concrete past operation.
HABITUAL_ADVERBS = words("typically usually often generally primarily frequently commonly routinely mostly")
HABITUAL_VERBS = words("tend focus specialise specialize rely employ prefer favour favor")
CAPABILITY_NOUNS = words("capability capabilities access toolkit arsenal habit habits")

# Report-like subjects: "a report by X said" makes X the claimant.
REPORT_NOUNS = words(
    "report reports analysis assessment investigation study paper statement findings article story blog"
)
OUTLET_HEADS = words("newspaper paper outlet daily publication broadcaster magazine site")
# Words in the names of news organisations ("the Financial Times", "NBC News", "Reuters").
OUTLET_NAME_WORDS = words("""times post journal news guardian telegraph herald tribune daily gazette reuters bloomberg bbc cnn
    nbc cbs abc npr ap afp buzzfeed wired politico axios independent observer economist monde spiegel zeit
    mail express mirror sun chronicle globe press standard record register week magazine radio television tv
    broadcasting dpa kyodo yonhap xinhua tass ria interfax techcrunch zdnet databreaches.net""")
ACCORDING = "according"
ANAPHORS = words("it they them he she we its their his her country group")

# "no comment", "declined to comment", "did not respond to requests for comment".
NO_COMMENT_PATTERN = (
    r"\b(no comment|declin\w* to comment|(?:not|n't) (?:respond|reply)\w*|request\w* for comment)\b"
)

# Named threat-actor designations: vendor ids and the animal/weather naming schemes.
GROUP_NAME_PATTERN = (
    r"\b(?:APT ?-?\d{1,3}|FIN\d{1,3}|TA\d{3,4}|UNC\d{3,5}|DEV-\d{3,4}|Storm-\d{3,4}|TEMP\.[A-Z]\w+"
    r"|[A-Z][a-z]+ (?:Bear|Panda|Kitten|Chollima|Spider|Tiger|Typhoon|Blizzard|Sleet|Sandstorm|Tempest|Hail|Dust"
    r"|Leopard|Jackal|Buffalo|Libra|Scorpius|Ursa|Taurus|Serpens))\b"
)

# Verbs that place a date on a timeline slot (lemmas).
TIMELINE_VERBS = MappingProxyType(
    {
        "compromised": words("""hack breach compromise infiltrate penetrate attack hit access steal target intrude infect encrypt
            exfiltrate start begin occur happen take"""),
        "discovered": words("discover detect notice spot uncover find identify learn realise realize"),
        "disclosed": words(
            "announce disclose confirm reveal notify inform admit acknowledge publish say state"
        ),
    }
)
