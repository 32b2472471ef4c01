"""The demonstration council: Hart District Council's published KPIs in an illustrative golden thread.

The KPIs, targets and values are Hart's real published figures for 2013/14
and the first half of 2014/15. The organisation, plans, actions and people
around them are invented so the portal has something to show. Every invented
thread item is flagged `is_illustrative` and ends its title with "(illustrative)".
Actions are dated in 2014/15, so read their ratings at the end of Q2 2014/15
(`DEMO_AS_AT`), the last period Hart published.
"""

import logging
import re
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from kpis.models import Kpi
from kpis.published import import_published_scorecard
from pmf.periods import FinancialYear, Period
from pmf.rag import DeliveryStatus, Rating

from .models import Directorate, GovernanceBody, ItemKind, Profile, Service, Team, ThreadItem

logger = logging.getLogger(__name__)

DEMO_ADDRESS = "http://127.0.0.1:8000/"
DEMO_PASSWORD = "demo-pass-2025"
DEMO_COUNCIL = "Hart District Council"
DEMO_YEAR = 2014
DEMO_AS_AT = Period(DEMO_YEAR, 6).end_on
PUBLISHED_SCORECARD = Path(settings.BASE_DIR) / "data" / "published" / "hart_dc_2013_15_kpis.csv"
ILLUSTRATIVE = " (illustrative)"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    place: str
    password: str = DEMO_PASSWORD


@dataclass
class DemoSummary:
    """The outcome of a load: `created` is False when demonstration data was already there."""

    created: bool
    kpi_count: int
    item_count: int
    logins: list[DemoLogin] = field(default_factory=list)
    import_summary: str = ""


# The organisation ---------------------------------------------------------------

DIRECTORATES = {
    "corporate": ("Corporate Services", [
        "Customer Services", "Revenues and Benefits", "Finance", "Human Resources", "IT", "Internal Audit",
        "Strategy, Policy and Performance",
    ]),
    "community": ("Community Services", ["Housing", "Leisure", "Community Safety"]),
    "place": ("Place Services", ["Planning", "Environmental Services", "Regulatory Services"]),
}

TEAMS = {
    "Customer Services": ["Contact Centre"],
    "Revenues and Benefits": ["Benefits", "Council Tax"],
    "Planning": ["Development Management"],
    "Environmental Services": ["Waste and Recycling"],
    "Housing": ["Housing Options"],
}

# username: (role, first name, last name, job title, service or directorate code, bodies)
USERS = {
    "officer": (Profile.Role.OFFICER, "Olu", "Adeyemi", "Benefits Officer", "Revenues and Benefits", []),
    "manager": (Profile.Role.SERVICE_MANAGER, "Mia", "Clarke", "Revenues and Benefits Manager",
                "Revenues and Benefits", []),
    "director": (Profile.Role.DIRECTOR, "Dan", "Hughes", "Director of Corporate Services", "corporate",
                 ["dlt:corporate", GovernanceBody.Kind.CLT]),
    "spp": (Profile.Role.SPP, "Sara", "Patel", "Performance and Policy Officer",
            "Strategy, Policy and Performance", [GovernanceBody.Kind.SPB]),
    "board": (Profile.Role.BOARD_MEMBER, "Ben", "Morris", "Chief Executive", None,
              [GovernanceBody.Kind.SPB, GovernanceBody.Kind.CLT]),
    "admin": (Profile.Role.ADMIN, "Ada", "Wright", "Systems Administrator", "IT", []),
}

# Action states, read at DEMO_AS_AT (30 September 2014).
ON_TRACK = {"start_on": date(2014, 4, 1), "end_on": date(2015, 3, 31), "owner_rating": Rating.GREEN,
            "delivery_status": DeliveryStatus.IN_PROGRESS, "commentary": "On track to finish by March."}
AT_RISK = {"start_on": date(2014, 4, 1), "end_on": date(2015, 3, 31), "owner_rating": Rating.AMBER,
           "delivery_status": DeliveryStatus.IN_PROGRESS, "commentary": "Progress is slower than planned.",
           "cause": "Two vacant posts since June.", "recovery": "Agency cover agreed until the posts are filled.",
           "support_needed": "None at present."}
OFF_TRACK = {"start_on": date(2014, 4, 1), "end_on": date(2015, 3, 31), "owner_rating": Rating.RED,
             "delivery_status": DeliveryStatus.IN_PROGRESS, "commentary": "Well behind the agreed plan.",
             "cause": "The new contractor's rounds were re-planned late.",
             "recovery": "Weekly contract meetings and a round-by-round improvement plan.",
             "support_needed": "Escalate to DLT if missed collections have not fallen by December."}
DELIVERED = {"start_on": date(2014, 4, 1), "end_on": date(2014, 7, 31), "owner_rating": Rating.GREEN,
             "delivery_status": DeliveryStatus.DELIVERED, "commentary": "Delivered in July."}
PLANNED = {"start_on": date(2015, 1, 5), "end_on": date(2015, 3, 31), "owner_rating": Rating.GREEN,
           "delivery_status": DeliveryStatus.NOT_STARTED, "commentary": "Due to start in January."}
# Start date passed without starting: the portal forces Red whatever the owner's rating.
NOT_STARTED_LATE = {"start_on": date(2014, 7, 1), "end_on": date(2015, 3, 31), "owner_rating": Rating.GREEN,
                    "delivery_status": DeliveryStatus.NOT_STARTED, "commentary": "Not started yet.",
                    "cause": "The payments team was moved onto the summer recovery notices.",
                    "recovery": "Start in October and run the campaign with the February bills.",
                    "support_needed": "None at present."}
CRITICAL_SLIPPING = {**AT_RISK, "is_critical": True, "start_on": date(2014, 6, 1), "end_on": date(2014, 12, 19),
                     "baseline_end_on": date(2014, 10, 31), "forecast_end_on": date(2014, 12, 19),
                     "cause": "The supplier delivered the payment module six weeks late."}

# The golden thread ----------------------------------------------------------------

COMMITMENTS = [
    ("C1", "Unlocking prosperity for all",
     ["Homes that local people can afford", "A thriving local economy, helped by timely planning decisions"]),
    ("C2", "Improving health and wellbeing",
     ["Fewer households becoming homeless", "Safe, clean and active communities"]),
    ("C3", "An effective and enabling council",
     ["Residents resolve their query at the first contact", "Sound finances and a healthy workforce"]),
]

# (reference, parent reference, title, service, state)
PRIORITY_DELIVERABLES = [
    ("PD1.1", "C1", "Deliver more affordable homes", "Housing", ON_TRACK),
    ("PD1.2", "C1", "Speed up planning decisions", "Planning", AT_RISK),
    ("PD1.3", "C1", "Support local businesses to grow", "Revenues and Benefits", ON_TRACK),
    ("PD2.1", "C2", "Prevent homelessness", "Housing", ON_TRACK),
    ("PD2.2", "C2", "Make communities safer with the Safer North Hampshire partnership", "Community Safety",
     ON_TRACK),
    ("PD2.3", "C2", "Reliable waste and recycling collections", "Environmental Services", OFF_TRACK),
    ("PD2.4", "C2", "Modernise the leisure centre", "Leisure", AT_RISK),
    ("PD3.1", "C3", "Improve customer service", "Customer Services", ON_TRACK),
    ("PD3.2", "C3", "Collect council tax and pay benefits promptly", "Revenues and Benefits", ON_TRACK),
    ("PD3.3", "C3", "Manage money, people and risk well", "Finance", ON_TRACK),
]

# (reference, parent reference, kind, title, service, state)
PROGRAMMES = [
    ("TP1", "C3", ItemKind.PROGRAMME, "Digital Hart transformation programme", "IT", {}),
    ("TP1.M1", "TP1", ItemKind.MILESTONE, "New council website live", "IT", DELIVERED),
    ("TP1.M2", "TP1", ItemKind.MILESTONE, "Online council tax accounts open to residents", "IT", CRITICAL_SLIPPING),
    ("TP1.B1", "TP1", ItemKind.BENEFIT, "Fewer telephone calls as residents serve themselves online", "IT", {}),
    ("IP1", "C1", ItemKind.PROGRAMME, "Planning service improvement programme", "Planning", {}),
    ("IP1.M1", "IP1", ItemKind.MILESTONE, "Validation checklist adopted", "Planning", DELIVERED),
    ("IP1.M2", "IP1", ItemKind.MILESTONE, "Quarterly agents' forum launched", "Planning", PLANNED),
    ("IP1.B1", "IP1", ItemKind.BENEFIT, "More minor applications decided within eight weeks", "Planning", {}),
]

KEY_ACTIONS = [
    ("KA-PL1", "PD1.2", "Clear the backlog of minor and other planning applications", "Planning", ON_TRACK),
    ("KA-HS1", "PD2.1", "Spend the disabled facilities grant budget in year", "Housing", AT_RISK),
    ("KA-CS1", "PD2.2", "Tackle domestic abuse with partners", "Community Safety", ON_TRACK),
    ("KA-RS1", "PD2.2", "Carry out food and health and safety inspections on time", "Regulatory Services",
     ON_TRACK),
    ("KA-ET1", "PD2.3", "Cut missed bin collections with the waste contractor", "Environmental Services",
     OFF_TRACK),
    ("KA-LS1", "PD2.4", "Refurbish the leisure centre changing rooms", "Leisure", PLANNED),
    ("KA-CU1", "PD3.1", "Bill garden waste accurately and on time", "Customer Services", DELIVERED),
    ("KA-RB1", "PD3.2", "Process benefit claims and changes faster", "Revenues and Benefits", AT_RISK),
    ("KA-RB2", "PD3.2", "Move council tax payers to direct debit and online payment", "Revenues and Benefits",
     NOT_STARTED_LATE),
    ("KA-HR1", "PD3.3", "Pay staff accurately and answer HR queries promptly", "Human Resources", ON_TRACK),
    ("KA-IA1", "PD3.3", "Deliver the internal audit plan", "Internal Audit", ON_TRACK),
    ("KA-IT1", "TP1", "Keep IT systems dependable through the outsourced IT contract", "IT", ON_TRACK),
]

# (reference, directorate code, kind, title)
BUSINESS_PLAN_ITEMS = [
    ("CR1", "corporate", ItemKind.CORPORATE_RESPONSIBILITY, "Keep the directorate's spending within its budget"),
    ("RK1", "corporate", ItemKind.RISK, "Losing experienced benefits staff slows claims processing"),
]

# (reference, service, title, parent reference)
SERVICE_PLANS = [
    ("SP-RB", "Revenues and Benefits", "Revenues and Benefits service plan"),
    ("SP-PL", "Planning", "Planning service plan"),
    ("SP-CU", "Customer Services", "Customer Services service plan"),
]

# (reference, service plan, title, contributes to, state, lead username)
TASKS = [
    ("T-RB1", "SP-RB", "Train two new benefits assessors", "KA-RB1", ON_TRACK, "officer"),
    ("T-RB2", "SP-RB", "Promote direct debit with the annual bills", "KA-RB2", PLANNED, "officer"),
    ("T-PL1", "SP-PL", "Review the validation checklist with agents", "KA-PL1", DELIVERED, None),
    ("T-CU1", "SP-CU", "Offer a call-back when a caller has waited two minutes", "PD3.1", AT_RISK, None),
]

# (reference, task, title, lead username)
OBJECTIVES = [
    ("OBJ1", "T-RB1", "Mentor a new assessor through their first 50 claims", "officer"),
    ("OBJ2", "T-RB1", "Clear changes of circumstances within 10 days on average", "officer"),
    ("OBJ3", "T-RB2", "Lead the direct debit campaign with the annual bills", "manager"),
]

# The home of each Hart KPI in the thread: every code prefix has one, and some
# KPIs sit more precisely on a key action.
SERVICE_BY_PREFIX = {
    "CS": "Customer Services", "ETS": "Environmental Services", "FI": "Finance", "HR": "Human Resources",
    "HS": "Housing", "IA": "Internal Audit", "IT": "IT", "LS": "Leisure", "PS": "Planning",
    "RB": "Revenues and Benefits", "RS": "Regulatory Services", "SNH": "Community Safety",
}
PLACE_BY_PREFIX = {
    "CS": "PD3.1", "ETS": "PD2.3", "FI": "PD3.3", "HR": "KA-HR1", "HS": "PD2.1", "IA": "KA-IA1",
    "IT": "KA-IT1", "LS": "PD2.4", "PS": "PD1.2", "RB": "PD3.2", "RS": "KA-RS1", "SNH": "PD2.2",
}
PLACE_BY_CODE = {
    "HS16": "PD1.1", "RB05": "PD1.3", "HR11": "PD3.3", "PS05": "KA-PL1", "HS08": "KA-HS1",
    "SNH03": "KA-CS1", "SNH04": "KA-CS1", "CS03": "KA-CU1",
    "RB01": "KA-RB1", "RB02": "KA-RB1", "RB08": "KA-RB1", "RB04": "KA-RB2",
}
# Four headline KPIs per commitment, shown on the corporate dashboard.
HEADLINE_CODES = {
    "HS16", "PS01", "PS02", "RB05",
    "HS01", "HS07", "SNH01", "ETS01",
    "CS02A", "RB06", "RB07", "HR11",
}
_CODE_RE = re.compile(r"([A-Z]+)(\d+[A-Za-z]?)")


# Loading --------------------------------------------------------------------------


def load_demo_data(*, stdout=None) -> DemoSummary:
    """Load the demonstration council into a database that has no KPIs, then print the logins.

    With any KPI already present nothing is changed. The logins are printed
    either way.
    """
    stdout = stdout or sys.stdout
    if Kpi.objects.exists():
        summary = DemoSummary(created=False, kpi_count=Kpi.objects.count(), item_count=ThreadItem.objects.count())
        stdout.write(f"Demonstration data is already loaded ({summary.kpi_count} KPIs): nothing changed.\n")
    else:
        summary = _load()
        stdout.write(
            f"Loaded {DEMO_COUNCIL}: {summary.kpi_count} published KPIs ({summary.import_summary}), "
            f"{summary.item_count} illustrative golden-thread items and {len(USERS)} users.\n"
        )
    summary.logins = demo_logins()
    _write_logins(stdout, summary.logins)
    return summary


def demo_logins() -> list[DemoLogin]:
    logins = []
    for username, (role, *_rest) in USERS.items():
        profile = Profile.objects.filter(user__username=username).select_related("service", "directorate").first()
        place = (profile.service or profile.directorate or "") if profile else ""
        logins.append(DemoLogin(username=username, role=Profile.Role(role).label, place=str(place)))
    return logins


def _write_logins(stdout, logins: list[DemoLogin]) -> None:
    rows = [("Username", "Password", "Role", "Place")] + [
        (login.username, login.password, login.role, login.place or "—") for login in logins
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    stdout.write(f"\nOpen {DEMO_ADDRESS} and sign in as one of:\n\n")
    for row in rows:
        stdout.write("  " + "  ".join(text.ljust(width) for text, width in zip(row, widths)).rstrip() + "\n")
    stdout.write(
        f"\nHart's figures run to September 2014: choose Q2 {FinancialYear(DEMO_YEAR).label} to see them.\n"
    )


@transaction.atomic
def _load() -> DemoSummary:
    report = import_published_scorecard(PUBLISHED_SCORECARD)
    services = _build_organisation()
    users = _create_users(services)
    items = _build_thread(services, users)
    _place_kpis(items, services, users["officer"])
    logger.info("Demonstration data loaded: %d KPIs, %d thread items", Kpi.objects.count(), len(items))
    return DemoSummary(
        created=True, kpi_count=Kpi.objects.count(), item_count=len(items), import_summary=report.summary()
    )


def _build_organisation() -> dict[str, Service | Directorate]:
    """Create directorates, services, teams and governance bodies; return them by service name or code."""
    places = {}
    for code, (name, service_names) in DIRECTORATES.items():
        directorate = Directorate.objects.create(code=code, name=name)
        places[code] = directorate
        GovernanceBody.objects.create(
            kind=GovernanceBody.Kind.DLT, directorate=directorate, name=f"{name} Directorate Leadership Team"
        )
        for service_name in service_names:
            service = Service.objects.create(directorate=directorate, name=service_name)
            places[service_name] = service
            for team_name in TEAMS.get(service_name, []):
                Team.objects.create(service=service, name=team_name)
    for kind in GovernanceBody.Kind:
        if kind != GovernanceBody.Kind.DLT:
            GovernanceBody.objects.create(kind=kind, name=kind.label)
    return places


def _create_users(places) -> dict[str, object]:
    User = get_user_model()
    users = {}
    for username, (role, first_name, last_name, job_title, place, bodies) in USERS.items():
        is_admin = role == Profile.Role.ADMIN
        user = User.objects.create_user(
            username, email=f"{username}@example.org", password=DEMO_PASSWORD, first_name=first_name,
            last_name=last_name, is_staff=is_admin, is_superuser=is_admin,
        )
        location = places.get(place)
        service = location if isinstance(location, Service) else None
        directorate = service.directorate if service else location
        profile = Profile.objects.create(
            user=user, role=role, job_title=job_title, directorate=directorate, service=service,
            team=service.teams.first() if service and role == Profile.Role.OFFICER else None,
        )
        profile.governance_bodies.set(_bodies(bodies))
        users[username] = user
    return users


def _bodies(keys: list[str]) -> list[GovernanceBody]:
    bodies = []
    for key in keys:
        if key.startswith("dlt:"):
            bodies.append(GovernanceBody.objects.get(kind=GovernanceBody.Kind.DLT, directorate__code=key[4:]))
        else:
            bodies.append(GovernanceBody.objects.get(kind=key, directorate=None))
    return bodies


def _build_thread(places, users) -> dict[str, ThreadItem]:
    """Create the illustrative thread from the Corporate Plan to individual objectives, by reference."""
    items = {}

    def add(reference, kind, title, parent=None, place=None, **fields):
        """Create one item; `place` names its service or its directorate's code."""
        unit = places.get(place)
        item = ThreadItem(
            kind=kind, reference=reference, title=title + ILLUSTRATIVE, parent=items.get(parent),
            service=unit if isinstance(unit, Service) else None,
            directorate=unit.directorate if isinstance(unit, Service) else unit,
            is_illustrative=True, **fields,
        )
        item.full_clean()
        item.save()
        items[reference] = item
        return item

    year = {"financial_year": DEMO_YEAR}
    add("CP", ItemKind.CORPORATE_PLAN, "Corporate Plan 2025–2029")
    for reference, title, outcomes in COMMITMENTS:
        add(reference, ItemKind.COMMITMENT, title, parent="CP")
        for number, outcome in enumerate(outcomes, start=1):
            add(f"{reference}.O{number}", ItemKind.OUTCOME, outcome, parent=reference)
    delivery_plan = add("DP", ItemKind.DELIVERY_PLAN, f"Delivery Plan {FinancialYear(DEMO_YEAR).label}",
                        parent="CP", **year)
    for reference, parent, title, service, state in PRIORITY_DELIVERABLES:
        add(reference, ItemKind.PRIORITY_DELIVERABLE, title, parent, service, **year, **state)
        items[reference].contributes_to.add(delivery_plan)
    for reference, parent, kind, title, service, state in PROGRAMMES:
        add(reference, kind, title, parent, service, **year, **state)

    _build_business_plans(add, places, users, year)
    for reference, parent, title, service, state in KEY_ACTIONS:
        add(reference, ItemKind.KEY_ACTION, title, parent, service, **year, **state)
        items[reference].contributes_to.add(items[f"BP-{places[service].directorate.code}"])
    _build_service_plans(add, items, users, year)
    _assign_leads(items, users)
    return items


def _build_business_plans(add, places, users, year) -> None:
    for code, (name, _services) in DIRECTORATES.items():
        add(f"BP-{code}", ItemKind.BUSINESS_PLAN, f"{name} business plan {FinancialYear(DEMO_YEAR).label}",
            parent="CP", place=code, **year)
    for reference, code, kind, title in BUSINESS_PLAN_ITEMS:
        add(reference, kind, title, parent=f"BP-{code}", place=code, lead_officer=users["director"], **year)


def _build_service_plans(add, items, users, year) -> None:
    for reference, service, title in SERVICE_PLANS:
        add(reference, ItemKind.SERVICE_PLAN, f"{title} {FinancialYear(DEMO_YEAR).label}",
            parent=f"BP-{_directorate_code(service)}", place=service, **year)
    for reference, plan, title, supports, state, lead in TASKS:
        task = add(reference, ItemKind.TASK, title, parent=plan, place=items[plan].service.name,
                   lead_officer=users.get(lead), **year, **state)
        task.contributes_to.add(items[supports])
    for reference, task, title, lead in OBJECTIVES:
        add(reference, ItemKind.OBJECTIVE, title, parent=task, place=items[task].service.name,
            lead_officer=users[lead], **year)


def _directorate_code(service_name: str) -> str:
    return next(code for code, (_name, services) in DIRECTORATES.items() if service_name in services)


def _assign_leads(items, users) -> None:
    """Make the director lead their directorate's deliverables and key actions, the manager their service's."""
    director, manager = users["director"].profile, users["manager"].profile
    actions = [item for item in items.values() if item.kind in (ItemKind.PRIORITY_DELIVERABLE, ItemKind.KEY_ACTION)]
    for item in actions:
        if item.service_id == manager.service_id:
            item.lead_officer = manager.user
        elif item.directorate_id == director.directorate_id:
            item.lead_officer = director.user
        else:
            continue
        item.save(update_fields=["lead_officer"])


def kpi_code(kpi: Kpi) -> tuple[str, str] | None:
    """Return the prefix and full code of a Hart KPI ("CS", "CS02A"), from its reference or name."""
    for text in (kpi.reference, kpi.name):
        if match := _CODE_RE.match(text):
            return match[1], (match[1] + match[2]).upper()
    return None


def _place_kpis(items, places, owner) -> None:
    """Put every imported KPI in the thread, with a tier, an owner and a service.

    Raises ValueError for a KPI whose code has no home, so a changed
    scorecard cannot leave a KPI outside the thread unnoticed.
    """
    for kpi in Kpi.objects.all():
        prefix, code = kpi_code(kpi) or (None, None)
        if prefix not in PLACE_BY_PREFIX:
            raise ValueError(f"KPI {kpi.reference} has no place in the demonstration thread.")
        item = items[PLACE_BY_CODE.get(code, PLACE_BY_PREFIX[prefix])]
        kpi.thread_item = item
        kpi.tier = _tier(code, item)
        kpi.owner = owner
        kpi.service = places[SERVICE_BY_PREFIX[prefix]]
        kpi.directorate = kpi.service.directorate
        kpi.save(update_fields=["thread_item", "tier", "owner", "service", "directorate"])


def _tier(code: str, item: ThreadItem) -> int:
    if code in HEADLINE_CODES:
        return Kpi.Tier.PLAN
    if item.kind == ItemKind.PRIORITY_DELIVERABLE:
        return Kpi.Tier.PRIORITY
    return Kpi.Tier.OPERATIONAL
