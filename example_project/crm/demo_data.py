"""Word lists the ``seed_demo`` command draws its made-up customers and contacts from.

Everything here is invented. Email domains are reserved ones (``*.example``,
``example.com/.net/.org``), so no demo address can reach a real mailbox. UK landlines
come from Ofcom's ranges for drama (``0161 496 0xxx`` and friends). Ofcom's drama
mobiles (``07700 900xxx``) are rejected by libphonenumber as invalid, so demo mobiles
are random numbers in ordinary mobile ranges.
"""

FIRST_NAMES = {
    "en": {
        "f": [
            "Olivia",
            "Amelia",
            "Isla",
            "Ava",
            "Emily",
            "Sophie",
            "Grace",
            "Lucy",
            "Hannah",
            "Charlotte",
            "Eleanor",
            "Rebecca",
            "Sarah",
            "Claire",
            "Helen",
            "Joanne",
            "Rachel",
            "Katherine",
            "Elizabeth",
            "Margaret",
            "Susan",
            "Alison",
            "Fiona",
            "Priya",
            "Aisha",
            "Niamh",
            "Siobhan",
            "Megan",
            "Bethan",
            "Zara",
            "Jessica",
            "Victoria",
            "Louise",
        ],
        "m": [
            "Oliver",
            "George",
            "Harry",
            "Jack",
            "Thomas",
            "James",
            "William",
            "Daniel",
            "Matthew",
            "Andrew",
            "David",
            "Richard",
            "Stephen",
            "Mark",
            "Paul",
            "Simon",
            "Christopher",
            "Jonathan",
            "Robert",
            "Michael",
            "Peter",
            "Gareth",
            "Rhys",
            "Callum",
            "Ewan",
            "Arjun",
            "Imran",
            "Tariq",
            "Connor",
            "Liam",
            "Benjamin",
            "Samuel",
        ],
    },
    "de": {
        "f": ["Anna", "Katrin", "Sabine", "Julia", "Petra", "Lena", "Claudia", "Miriam"],
        "m": ["Jürgen", "Stefan", "Matthias", "Lukas", "Andreas", "Tobias", "Klaus", "Felix"],
    },
    "fr": {
        "f": ["Camille", "Élodie", "Claire", "Sophie", "Manon", "Isabelle", "Amélie", "Chloé"],
        "m": ["Julien", "Mathieu", "Nicolas", "Antoine", "Olivier", "François", "Thomas", "Luc"],
    },
}

MIDDLE_NAMES = {
    "f": ["Anne", "Louise", "Marie", "Jane", "Rose", "Mary"],
    "m": ["John", "James", "Edward", "Alexander", "David"],
}

LAST_NAMES = {
    "en": [
        "Smith",
        "Jones",
        "Taylor",
        "Brown",
        "Williams",
        "Wilson",
        "Johnson",
        "Davies",
        "Robinson",
        "Wright",
        "Thompson",
        "Evans",
        "Walker",
        "White",
        "Roberts",
        "Green",
        "Hall",
        "Wood",
        "Jackson",
        "Clarke",
        "Patel",
        "Khan",
        "Hughes",
        "Edwards",
        "Turner",
        "Hill",
        "Moore",
        "Cooper",
        "Ward",
        "Morris",
        "King",
        "Watson",
        "Harrison",
        "Morgan",
        "Baker",
        "Young",
        "Allen",
        "Mitchell",
        "Anderson",
        "Lewis",
        "Bell",
        "Kelly",
        "Murphy",
        "O'Neill",
        "MacDonald",
        "Fraser",
        "Campbell",
        "Reid",
        "Price",
        "Lloyd",
        "Hartley",
        "Pemberton",
        "Ashworth",
        "Fairbairn",
        "Sutcliffe",
        "Oakley",
        "Chowdhury",
        "Begum",
        "Nowak",
        "Okafor",
        "Mensah",
        "Da Silva",
        "Kowalski",
        "Singh",
        "Shah",
    ],
    "de": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Wagner"],
    "fr": ["Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Laurent", "Girard", "Fontaine"],
}

# Short forms for a duplicate typed in by someone else ("Jon" for "Jonathan").
NICKNAMES = {
    "Jonathan": "Jon",
    "Christopher": "Chris",
    "Elizabeth": "Liz",
    "Katherine": "Kate",
    "Michael": "Mike",
    "Richard": "Rich",
    "Robert": "Rob",
    "Stephen": "Steve",
    "Margaret": "Maggie",
    "Rebecca": "Becky",
    "Matthew": "Matt",
    "Benjamin": "Ben",
    "Samuel": "Sam",
    "Victoria": "Vicky",
    "Andrew": "Andy",
    "Daniel": "Dan",
    "William": "Will",
    "Thomas": "Tom",
    "James": "Jim",
    "Alison": "Ali",
    "Jessica": "Jess",
}

# Ordinary UK mobile ranges (national format, first five digits).
UK_MOBILE_PREFIXES = [
    "07400",
    "07412",
    "07507",
    "07588",
    "07712",
    "07723",
    "07788",
    "07801",
    "07826",
    "07903",
    "07911",
    "07946",
    "07957",
    "07977",
]

TOWNS = [
    ("Harrogate", "0113 496 0"),
    ("Leeds", "0113 496 0"),
    ("Sheffield", "0114 496 0"),
    ("Leicester", "0116 496 0"),
    ("Bristol", "0117 496 0"),
    ("Reading", "0118 496 0"),
    ("Birmingham", "0121 496 0"),
    ("Edinburgh", "0131 496 0"),
    ("Glasgow", "0141 496 0"),
    ("Liverpool", "0151 496 0"),
    ("Manchester", "0161 496 0"),
    ("Stockport", "0161 496 0"),
    ("Newcastle", "0191 498 0"),
    ("Durham", "0191 498 0"),
    ("Belfast", "028 9649 6"),
    ("Cardiff", "029 2018 0"),
    ("London", "020 7946 0"),
    ("Camden", "020 7946 0"),
]

TRADES = [
    "Plumbing & Heating",
    "Joinery",
    "Solicitors",
    "Accountants",
    "Dental Practice",
    "Veterinary Surgery",
    "Logistics",
    "Engineering",
    "Architects",
    "Print & Design",
    "Bakery",
    "Brewing Co.",
    "Garden Centre",
    "Opticians",
    "IT Services",
    "Lettings",
    "Catering",
    "Roofing",
    "Electrical",
    "Physiotherapy",
    "Removals",
    "Recruitment",
    "Veterinary Group",
    "Pharmacy",
    "Builders",
    "Coffee Roasters",
    "Signs",
]

BRAND_WORDS = [
    "Northgate",
    "Bluebell",
    "Kingfisher",
    "Riverside",
    "Oakwood",
    "Greenacre",
    "Highfield",
    "Ashdown",
    "Brightwater",
    "Redbrick",
    "Fernhill",
    "Hollybush",
    "Millstone",
    "Stonebridge",
    "Westbury",
    "Larkspur",
    "Copperleaf",
    "Thistle",
    "Harbourside",
    "Meadowbank",
]

COMPANY_SUFFIXES = ["Ltd", "Ltd", "Ltd", "LLP", "plc", "Group", "", ""]

FOREIGN_COMPANIES = {
    "de": [
        ("Maschinenbau", "GmbH"),
        ("Logistik", "GmbH"),
        ("Steuerberatung", "Partner mbB"),
        ("Druckerei", "KG"),
        ("Software", "AG"),
    ],
    "fr": [
        ("Boulangerie", "SARL"),
        ("Transports", "SAS"),
        ("Conseil", "SA"),
        ("Imprimerie", "SARL"),
        ("Informatique", "SAS"),
    ],
}

JOB_TITLES = {
    "owner": ["Managing Director", "Owner", "Director", "Partner", "Senior Partner"],
    "finance": [
        "Finance Director",
        "Financial Controller",
        "Bookkeeper",
        "Accounts Payable Clerk",
        "Credit Controller",
    ],
    "it": ["IT Manager", "Systems Administrator", "Head of IT", "IT Support Technician"],
    "ops": [
        "Operations Manager",
        "Office Manager",
        "Practice Manager",
        "Facilities Manager",
        "Head of Procurement",
        "Company Secretary",
    ],
    "other": ["Marketing Manager", "Sales Manager", "Receptionist", "HR Manager", "Project Manager"],
}

# Which notification categories someone in that role opts into, when they don't take all.
ROLE_CATEGORIES = {
    "owner": ["billing", "general"],
    "finance": ["billing"],
    "it": ["outages", "helpdesk", "usage"],
    "ops": ["outages", "general"],
    "other": ["general"],
}

TAGS = [
    "Decision maker",
    "Technical",
    "Finance",
    "VIP",
    "Newsletter",
    "Trade show 2024",
    "Key account",
    "Large print",
]
ROLE_TAGS = {
    "owner": ["Decision maker", "Key account", "VIP"],
    "finance": ["Finance"],
    "it": ["Technical"],
    "ops": ["Decision maker"],
    "other": ["Newsletter", "Trade show 2024"],
}

CONSENT_SOURCES = ["web form", "signed paper form", "trade show 2024", "phone call", "newsletter sign-up"]

PRIVATE_MAIL_DOMAINS = ["example.com", "example.net", "example.org"]

CASE_TITLES = {
    "business": [
        "Broadband down at main office",
        "Invoice query: duplicate charge",
        "Add a new user",
        "VPN drops every afternoon",
        "Request for a copy of the contract",
        "Change of billing address",
        "Printer not reachable over Wi-Fi",
        "Upgrade to the business plan",
        "Email bouncing for new domain",
        "Site visit to check the wiring",
        "Data export for the auditors",
        "Cancel the second line",
    ],
    "private": [
        "Router keeps restarting",
        "Question about last bill",
        "Moving house next month",
        "Direct debit date change",
        "No dial tone",
        "Engineer appointment",
        "Slow speeds in the evening",
        "Update the account holder",
    ],
}

# People a case needs for a while only: the case's one-time contacts.
ONE_TIME_ROLES = {
    "business": [
        "Site engineer",
        "Locum practice manager",
        "Building manager",
        "Contractor",
        "Solicitor acting for the customer",
    ],
    "private": [
        "Landlord",
        "Letting agent",
        "Neighbour with a spare key",
        "Carer",
        "Solicitor acting for the customer",
    ],
}

# Notes staff keep on contacts, customers and cases (the CRM's Note model).
CONTACT_NOTES = [
    "Prefers a call after 2pm; in meetings most mornings.",
    "Works Monday to Wednesday only.",
    "Asked us to copy the office manager on anything about billing.",
    "Met at the trade show; interested in the business plan.",
    "On parental leave until the spring; her colleague covers.",
    "Very responsive by text, rarely reads email.",
    "Signs off purchase orders over £1,000.",
    "Doesn't want paper invoices any more.",
    "Hard of hearing: email rather than phone, please.",
    "Happy to be a reference customer.",
    "Complained about the last engineer visit; handle with care.",
    "Renewal conversation due in the autumn.",
]

CUSTOMER_NOTES = {
    "business": [
        "Pays by BACS on the last working day of the month.",
        "Quarterly review with the directors; next one is booked.",
        "Second site opening next year: will need another line.",
        "Purchase order number required on every invoice.",
        "Moved from a competitor after an outage there; reliability matters to them.",
        "Car park at the back; reception is on the first floor.",
    ],
    "private": [
        "Long-standing customer, always pays on time.",
        "Prefers letters for anything contractual.",
        "Elderly account holder; her son helps with the account.",
        "Asked about fibre when it reaches the street.",
    ],
}

CASE_NOTES = [
    "Called the customer: fault reproduced, escalated to second line.",
    "Engineer booked for Tuesday morning, 8am to noon slot.",
    "Customer confirmed it works again; closing if nothing in a week.",
    "Waiting for the customer to send the router's serial number.",
    "Credit of one month's line rental agreed with the team lead.",
    "Site contact will meet the engineer at the gate.",
    "Sent the contract copy by email.",
]

DUPLICATE_NOTE = "Came in with the old address book import: check whether this is someone we already have."

ONE_TIME_NOTES = [
    "Only reachable on site; mobile signal is poor in the plant room.",
    "Acting for the customer until the case is closed.",
    "Has the keys to the comms cabinet.",
]

# Contacts planted for the review of unused contacts: added long ago, never reached.
UNUSED_STORIES = [
    "From the staff list sent when the account was opened.",
    "Imported from a trade-show badge scan.",
    "Added by the previous account manager.",
]
