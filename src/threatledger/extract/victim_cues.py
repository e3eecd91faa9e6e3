"""Word classes the victim finder reads: attack verbs and nouns, institution and product nouns, sectors."""

from __future__ import annotations

from threatledger.extract import cues

__all__ = [
    "ATTACKERS",
    "ATTACK_EVENT_TYPES",
    "ATTACK_NOUNS",
    "ENTRY_PREPS",
    "EXCLUDED_TYPES",
    "EXPLOIT_VERBS",
    "FIND_VERBS",
    "FLAW_NOUNS",
    "NAME_HEADS",
    "NEVER_VICTIMS",
    "NOUN_PREPS",
    "ORG_NOUNS",
    "OWNER_ROLES",
    "PATCH_VERBS",
    "PRODUCT_NOUNS",
    "SECTORS",
    "SPEAKER_VERBS",
    "SUFFER_VERBS",
    "SYSTEM_DETS",
    "TITLES",
    "VENDOR_HEADS",
    "VICTIM_ROLES",
    "VICTIM_VERBS",
    "sector_of",
]

ATTACK_EVENT_TYPES = frozenset(
    [
        "data-breach",
        "phishing",
        "ransomware",
        "intrusion",
        "ddos",
        "malware-infection",
        "supply-chain",
        "destructive",
        "fraud",
        "vulnerability-exploitation",
    ]
)
VICTIM_ROLES = {"victim"}
OWNER_ROLES = {"vulnerable_system_owner"}

# Verbs whose direct object (or passive subject) is what was attacked.
VICTIM_VERBS = cues.words(
    """hack breach compromise infiltrate penetrate attack hit target infect encrypt disrupt access hijack
    cripple paralyse paralyze knock deface skim ransom"""
)
# Verbs of getting in: "broke into X", "injected code into X".
ENTRY_PREPS = cues.words("into inside within")
ATTACK_NOUNS = cues.ATTACK_NOUNS | cues.words(
    "cyberattacks cyber-attack skimmer skimming stuffing phishing ddos data-breach"
)
NOUN_PREPS = cues.words("on against at of")
ATTACKERS = cues.words("hacker attacker intruder cybercriminal criminal actor gang extortionist")
SUFFER_VERBS = cues.words("suffer experience disclose report confirm announce detect discover investigate")
SPEAKER_VERBS = cues.SPEECH_VERBS | cues.words("notify inform decline comment investigate detect discover")
PATCH_VERBS = cues.words("patch fix address remediate release resolve mitigate")
FLAW_NOUNS = cues.words(
    "vulnerability vulnerabilities flaw flaws bug bugs weakness hole zero-day cve patch update"
)
FIND_VERBS = cues.words("find discover report disclose uncover identify spot")
# Verbs whose "in" complement is the flawed system used, not the organisation attacked ("exploited a bug in X").
EXPLOIT_VERBS = cues.words("exploit abuse leverage use weaponize weaponise chain")
VENDOR_HEADS = cues.words("product products software")
# Nouns for products: a name that modifies them classifies the product ("an Ivanti Connect Secure appliance").
PRODUCT_NOUNS = cues.words(
    """appliance appliances server servers software app apps application applications device devices router routers
    firewall firewalls gateway gateways plugin plugins plug-in extension extensions library libraries product products
    client clients browser browsers firmware driver drivers component components module modules suite framework vpn
    controller controllers platform"""
)
# Common nouns that designate an organisation ("the company said"; "a freight company").
ORG_NOUNS = cues.words(
    """company firm business corporation utility bank lender insurer retailer automaker carmaker manufacturer
    maker provider operator chain group university college school hospital clinic agency ministry department
    county city council municipality airline carrier developer vendor organisation organization institution
    authority government district store brand giant exchange network"""
)
# Last words of proper names that mark an organisation ("Borealis Power", "Juniper Air", "Helix County").
NAME_HEADS = cues.words(
    """inc inc. corp corp. corporation ltd ltd. llc plc gmbh ag co co. company group holdings bank bancorp
    university college school academy hospital hospitals clinic clinics health healthcare medical network networks
    systems labs technologies technology software cloud power energy electric utilities air airlines airways motors
    logistics goods insurance financial capital media pharma pharmaceuticals county city council agency ministry
    department authority institute foundation association services solutions security telecom communications
    partners industries international enterprises store stores foods retail"""
)
# Titles that end an organisation's name in "Hancock Health CEO Steve Long".
TITLES = cues.words("ceo cfo cto ciso coo president director chief chairman spokesman spokeswoman secretary")
EXCLUDED_TYPES = {"country", "threat-actor", "malware", "tool", "sector", "person", "location"}
NEVER_VICTIMS = {"country", "threat-actor", "malware", "tool"}
SYSTEM_DETS = cues.words("the this that")
SECTORS = (
    (
        "government",
        cues.words("agency ministry government department center centre office cabinet council county"),
    ),
    ("defense", cues.words("defense defence military army navy")),
    (
        "transportation",
        cues.words("port airport airline air railway rail shipping logistics freight carrier"),
    ),
    ("financial", cues.words("bank banks exchange insurer payment lender bancorp financial")),
    ("healthcare", cues.words("hospital health clinic clinics healthcare medical patient")),
    ("education", cues.words("university school college academy")),
    ("water", cues.words("water wastewater sewage sewer")),
    ("telecommunications", cues.words("telecom telecoms telecommunications broadband")),
    ("energy", cues.words("energy power grid pipeline utility electricity electric")),
    ("manufacturing", cues.words("automaker carmaker manufacturer motors factory")),
    ("retail", cues.words("retailer store stores goods shop")),
    ("technology", cues.words("software cloud technologies technology")),
)


def sector_of(words: set[str]) -> str | None:
    """The sector named by any of the lower-cased words describing a victim."""
    return next((sector for sector, terms in SECTORS if words & terms), None)
