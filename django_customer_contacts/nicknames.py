"""Given names and their common short forms, for duplicate detection.

Each line is a name followed by the nicknames and spellings people use for it:
"Bob" and "Robert" are the same given name, and so are "Bill" and "William". A short
form that belongs to several names ("Chris", "Alex", "Sam") is listed under each, and
compares equal to all of them. Names are folded (lower case, no accents), as
:func:`~django_customer_contacts.normalize.fold_name` folds them.

Mostly English names, with the most common German, French, Spanish, Italian and Dutch
short forms; a host with other needs can extend :data:`NICKNAMES` at start-up. The
table only ever makes two names compare as one: a name that isn't in it is compared
by spelling alone.
"""

from __future__ import annotations

__all__ = ["NICKNAMES", "SPELLINGS", "given_name_forms", "name_spellings"]

_TABLE = """
abigail: abby abbie gail
albert: al bert bertie
alexander: alex alec alek sasha sandy xander
alexandra: alex alexa lexi sasha sandy
alfred: alf alfie fred freddie
andrew: andy drew
angela: angie
anthony: tony ant antony
antonio: tony toni
arthur: art artie
barbara: barb barbie babs
benjamin: ben benny benji
bernard: bernie
beatrice: bea trixie
caroline: carol carrie caro
catherine: cathy cat kate katie kathy katherine kathryn catharine
charles: charlie chuck chas chaz
charlotte: lottie charlie
christina: chris tina christine kristina kristin
christopher: chris kit topher kristopher cristopher
christian: chris christiaan
cynthia: cindy
daniel: dan danny
david: dave davey davy
deborah: debbie deb debra
dominic: dom
donald: don donnie
dorothy: dot dottie dolly
douglas: doug
edward: ed eddie ned ted teddy
eleanor: ellie elle
elizabeth: liz lizzie beth betty eliza elisabeth libby bess
emily: em emmy millie
emma: em emmy
eugene: gene
francis: frank fran
francisco: paco pancho frank
frances: fran fanny frankie
frederick: fred freddie fritz
gabriel: gabe gabby
gabriella: gabby gabriela
gerald: gerry jerry
gregory: greg
harold: harry hal
henry: harry hank hal heinz
isabella: bella isabel izzy isabelle
jacob: jake
james: jim jimmy jamie jem
janet: jan
jennifer: jen jenny jenn
jessica: jess jessie
johannes: hans johann jan
john: johnny jack jon
jonathan: jon jonny
joseph: joe joey jo jos josef
josef: sepp joe
jose: pepe
joshua: josh
josephine: jo josie
judith: judy
katharina: katja kathi kati
kenneth: ken kenny
lawrence: larry laurence
leonard: leo len lenny
louis: lou louie
lucy: lu
margaret: maggie meg peggy marge madge greta margot
maria: mary marie
martin: marty
matthew: matt matty
michael: mike mikey mick mickey micha michel
mitchell: mitch
nathaniel: nate nathan nat
nicholas: nick nicky nico klaus claus nicolas
olivia: liv livvy
pamela: pam
patricia: pat patty trish tricia
patrick: pat paddy
peter: pete piet
philip: phil pip phillip filip
rebecca: becky becca
richard: rick ricky dick rich richie
robert: bob bobby rob robbie bert
ronald: ron ronnie
samantha: sam sammy
samuel: sam sammy
sarah: sally sadie sara
stephen: steve stevie steven stefan
susan: sue susie suzy suzanne
theodore: ted teddy theo
thomas: tom tommy thom
timothy: tim timmy
victoria: vicky tori
vincent: vince vinny
walter: walt wally
william: bill billy will willy liam wilhelm willem
zachary: zach zack
"""


def _parse(table: str) -> dict[str, frozenset[str]]:
    forms: dict[str, set[str]] = {}
    for line in table.strip().splitlines():
        name, _sep, rest = line.partition(":")
        for spelling in [name, *rest.split()]:
            forms.setdefault(spelling.strip(), set()).add(name.strip())
    return {spelling: frozenset(names) for spelling, names in forms.items()}


#: Folded spelling -> the full given names it can stand for.
NICKNAMES: dict[str, frozenset[str]] = _parse(_TABLE)


def _spellings(nicknames: dict[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    spellings: dict[str, set[str]] = {}
    for spelling, names in nicknames.items():
        for name in names:
            spellings.setdefault(name, set()).add(spelling)
    return {name: frozenset(found) for name, found in spellings.items()}


#: Full given name -> every spelling of it in the table (itself included).
SPELLINGS: dict[str, frozenset[str]] = _spellings(NICKNAMES)


def name_spellings(names: frozenset[str]) -> set[str]:
    """Every spelling of the full given names ``names``: ``{"robert"}`` -> robert, bob, rob, …"""
    found: set[str] = set()
    for name in names:
        found |= SPELLINGS.get(name, {name})
    return found


def given_name_forms(name: str) -> frozenset[str]:
    """The full given names ``name`` (folded) stands for: itself when not in the table."""
    return NICKNAMES.get(name, frozenset({name}))
