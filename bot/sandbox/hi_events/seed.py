"""Seed data of the emulator: Fashionistas Medellín and its four upcoming shows.

Ids are fixed so tests, the bench and the bot's fixtures can name them: events 1–4,
products 1–10 and their prices 101–110 (a price id is never equal to its product's
id, so a client mixing the two fails loudly), one product category and one check-in
list per event (id = event id). Short ids of events and check-in lists come from a
seeded generator: the door page and a developer's notes stay valid across restarts.
"""

from __future__ import annotations

import random
import string
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bot.sandbox.hi_events.model import (
    UTC,
    CheckInList,
    Event,
    Organizer,
    Price,
    Product,
    ProductCategory,
)

BOGOTA = ZoneInfo("America/Bogota")
_ALNUM = string.ascii_letters + string.digits

OFFLINE_INSTRUCTIONS = (
    "Paga por Wompi (tarjeta, PSE, Nequi o Bancolombia) con el enlace que te enviamos por "
    "WhatsApp. Tu entrada se confirma sola cuando el pago queda aprobado y te llega el QR "
    "por el mismo chat. / Pay through Wompi with the link we sent you on WhatsApp; your "
    "ticket is confirmed as soon as the payment is approved."
)


@dataclass(frozen=True)
class _TicketSpec:
    title: str
    price: int
    capacity: int
    description: str


@dataclass(frozen=True)
class _EventSpec:
    title: str
    local_start: datetime
    duration_min: int
    doors_open: str
    venue: str
    address: str
    zip_code: str
    latitude: float
    longitude: float
    description: str
    dress_code: str
    dress_code_en: str
    programme: str
    programme_en: str
    tickets: tuple[_TicketSpec, ...]


def _general(price: int, capacity: int) -> _TicketSpec:
    return _TicketSpec(
        "General", price, capacity, "Acceso a la pasarela, de pie o en gradería libre."
    )


def _vip(price: int, capacity: int) -> _TicketSpec:
    return _TicketSpec(
        "VIP",
        price,
        capacity,
        "Silla numerada en primera fila lateral, copa de bienvenida y acceso al after party.",
    )


def _palco(price: int, capacity: int) -> _TicketSpec:
    return _TicketSpec(
        "Palco",
        price,
        capacity,
        "Palco privado para 4 personas frente a la pasarela, botella de espumoso y mesero.",
    )


EVENTS: tuple[_EventSpec, ...] = (
    _EventSpec(
        title="Medellín Fashion Night",
        local_start=datetime(2026, 12, 11, 20, 0, tzinfo=BOGOTA),
        duration_min=240,
        doors_open="19:00",
        venue="Casa Provenza · Salón Principal",
        address="Carrera 35 #8A-12, El Poblado",
        zip_code="050021",
        latitude=6.2087,
        longitude=-75.5669,
        description=(
            "<p>La noche más esperada de la moda paisa: <strong>40 looks</strong> de "
            "diseñadores de Medellín en una pasarela al aire libre en Provenza.</p>"
            "<p>Música en vivo, coctelería de autor y after party hasta la 1:00 a.&nbsp;m.</p>"
        ),
        dress_code="Elegante nocturno: negro y metálicos. Nada de tenis ni gorras.",
        dress_code_en="Evening elegant: black and metallics. No sneakers or caps.",
        programme=(
            "19:00 Puertas y coctel de bienvenida\n"
            "20:00 Pasarela · colección crucero\n"
            "21:15 Pasarela · diseñadores invitados\n"
            "22:30 After party con DJ"
        ),
        programme_en=(
            "19:00 Doors and welcome cocktail\n"
            "20:00 Runway · cruise collection\n"
            "21:15 Runway · guest designers\n"
            "22:30 After party with DJ"
        ),
        tickets=(_general(85000, 400), _vip(150000, 120), _palco(450000, 10)),
    ),
    _EventSpec(
        title="Pasarela Laureles",
        local_start=datetime(2027, 1, 23, 19, 30, tzinfo=BOGOTA),
        duration_min=180,
        doors_open="18:30",
        venue="Casa Laureles · Patio Central",
        address="Circular 1 #70-21, Laureles",
        zip_code="050031",
        latitude=6.2459,
        longitude=-75.5936,
        description=(
            "<p>Moda de barrio con sabor a Laureles: marcas emergentes de la 70 y la "
            "Circular presentan sus colecciones de verano en un patio de casa antigua.</p>"
        ),
        dress_code="Casual chic: lino, colores claros y calzado cómodo.",
        dress_code_en="Casual chic: linen, light colours and comfortable shoes.",
        programme=(
            "18:30 Puertas y mercado de marcas\n"
            "19:30 Pasarela · marcas emergentes\n"
            "21:00 Conversatorio con diseñadoras\n"
            "21:45 Música en vivo"
        ),
        programme_en=(
            "18:30 Doors and brand market\n"
            "19:30 Runway · emerging brands\n"
            "21:00 Talk with the designers\n"
            "21:45 Live music"
        ),
        tickets=(_general(60000, 300), _vip(120000, 80)),
    ),
    _EventSpec(
        title="Noche de Diseñadores Antioqueños",
        local_start=datetime(2027, 2, 19, 20, 0, tzinfo=BOGOTA),
        duration_min=210,
        doors_open="19:00",
        venue="Bodega Ciudad del Río",
        address="Carrera 44 #19A-60, Ciudad del Río",
        zip_code="050022",
        latitude=6.2228,
        longitude=-75.5737,
        description=(
            "<p>Doce diseñadores de Antioquia, de Jericó a Santa Fe de Antioquia, con "
            "colecciones hechas a mano: filigrana, tejido de caña flecha y cuero curtido "
            "en la región.</p>"
        ),
        dress_code="Etiqueta creativa: una prenda hecha en Antioquia es bienvenida.",
        dress_code_en="Creative black tie: wearing something made in Antioquia is welcome.",
        programme=(
            "19:00 Puertas · exposición de artesanos\n"
            "20:00 Pasarela · bloque 1\n"
            "21:00 Pasarela · bloque 2\n"
            "22:00 Brindis con los diseñadores"
        ),
        programme_en=(
            "19:00 Doors · artisan exhibition\n"
            "20:00 Runway · part 1\n"
            "21:00 Runway · part 2\n"
            "22:00 Toast with the designers"
        ),
        tickets=(_general(95000, 350), _vip(180000, 100), _palco(520000, 8)),
    ),
    _EventSpec(
        title="Moda Sostenible Fest",
        local_start=datetime(2027, 3, 13, 16, 0, tzinfo=BOGOTA),
        duration_min=300,
        doors_open="15:00",
        venue="Jardín La Floresta · Carpa Verde",
        address="Calle 47D #72-30, La Floresta",
        zip_code="050032",
        latitude=6.2559,
        longitude=-75.6011,
        description=(
            "<p>Festival de moda circular: ropa de segunda, upcycling y tintes naturales. "
            "Trae una prenda para el trueque y llévate otra.</p>"
        ),
        dress_code="Libre: ideal algo reciclado, de segunda o intervenido por ti.",
        dress_code_en="Anything goes: ideally second-hand, upcycled or customised by you.",
        programme=(
            "15:00 Puertas y trueque de ropa\n"
            "16:00 Taller de tintes naturales\n"
            "18:00 Pasarela circular\n"
            "19:30 Concierto de cierre"
        ),
        programme_en=(
            "15:00 Doors and clothes swap\n"
            "16:00 Natural dye workshop\n"
            "18:00 Circular runway\n"
            "19:30 Closing concert"
        ),
        tickets=(_general(50000, 500), _vip(110000, 150)),
    ),
)

ORGANIZER_NAME = "Fashionistas Medellín"


def _seeded_short_id(prefix: str, key: str) -> str:
    rng = random.Random(f"hi-events-{prefix}-{key}")
    return f"{prefix}_" + "".join(rng.choice(_ALNUM) for _ in range(13))


def check_in_list_short_id(event_id: int) -> str:
    """The (stable) short id of the seeded check-in list of ``event_id``."""
    return _seeded_short_id("cil", str(event_id))


def slugify(title: str) -> str:
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return "-".join("".join(c if c.isalnum() else " " for c in plain).split())


@dataclass
class SeedData:
    organizer: Organizer
    events: dict[int, Event]
    check_in_lists: dict[int, CheckInList]


def build_seed(
    *, organizer_id: int, account_id: int, order_timeout_min: int, now: datetime
) -> SeedData:
    """Fresh records (new objects on every call, so a reset never shares state)."""
    organizer = Organizer(
        id=organizer_id,
        account_id=account_id,
        name=ORGANIZER_NAME,
        email="eventos@fashionistas.co",
        currency="COP",
        timezone="America/Bogota",
        description="Pasarelas, castings y noches de moda en Medellín.",
        website="https://fashionistas.co",
    )
    events: dict[int, Event] = {}
    lists: dict[int, CheckInList] = {}
    product_id = 0
    for event_id, spec in enumerate(EVENTS, start=1):
        products: list[Product] = []
        for order, ticket in enumerate(spec.tickets, start=1):
            product_id += 1
            products.append(
                Product(
                    id=product_id,
                    event_id=event_id,
                    product_category_id=event_id,
                    title=ticket.title,
                    description=f"<p>{ticket.description}</p>",
                    order=order,
                    prices=[
                        Price(
                            id=100 + product_id,
                            product_id=product_id,
                            label=None,
                            price=Decimal(ticket.price),
                            initial_quantity_available=ticket.capacity,
                        )
                    ],
                    is_highlighted=ticket.title == "VIP",
                    highlight_message="¡Los más pedidos!" if ticket.title == "VIP" else None,
                )
            )
        start = spec.local_start.astimezone(UTC)
        location = {
            "venue_name": spec.venue,
            "address_line_1": spec.address,
            "address_line_2": None,
            "city": "Medellín",
            "state_or_region": "Antioquia",
            "zip_or_postal_code": spec.zip_code,
            "country": "CO",
        }
        maps_url = (
            f"https://www.google.com/maps/search/?api=1&query={spec.latitude},{spec.longitude}"
        )
        events[event_id] = Event(
            id=event_id,
            short_id=_seeded_short_id("e", str(event_id)),
            account_id=account_id,
            organizer_id=organizer_id,
            title=spec.title,
            slug=slugify(spec.title),
            description=spec.description,
            category="FESTIVAL" if "Fest" in spec.title else "ART",
            start_date=start,
            end_date=start + timedelta(minutes=spec.duration_min),
            currency="COP",
            timezone="America/Bogota",
            status="LIVE",
            location_details=location,
            settings=_settings(spec, location, maps_url, order_timeout_min),
            attributes=_attributes(spec),
            product_categories=[
                ProductCategory(
                    id=event_id,
                    event_id=event_id,
                    name="Entradas",
                    description=None,
                    order=1,
                    products=products,
                )
            ],
            created_at=now,
            updated_at=now,
        )
        lists[event_id] = CheckInList(
            id=event_id,
            short_id=check_in_list_short_id(event_id),
            event_id=event_id,
            name="Entrada principal",
            description="Todas las entradas / All tickets",
            product_ids=[p.id for p in products],
            created_at=now,
        )
    return SeedData(organizer, events, lists)


def _attributes(spec: _EventSpec) -> list[dict[str, Any]]:
    pairs = [
        ("dress_code", spec.dress_code),
        ("dress_code_en", spec.dress_code_en),
        ("programme", spec.programme),
        ("programme_en", spec.programme_en),
        ("latitude", str(spec.latitude)),
        ("longitude", str(spec.longitude)),
        ("doors_open", spec.doors_open),
        ("duration_min", str(spec.duration_min)),
    ]
    return [{"name": name, "value": value, "is_public": True} for name, value in pairs]


def _settings(
    spec: _EventSpec, location: dict[str, Any], maps_url: str, order_timeout_min: int
) -> dict[str, Any]:
    return {
        "location_details": dict(location),
        "is_online_event": False,
        "online_event_connection_details": None,
        "maps_url": maps_url,
        "website_url": "https://fashionistas.co",
        "support_email": "eventos@fashionistas.co",
        "order_timeout_in_minutes": order_timeout_min,
        "attendee_details_collection_method": "PER_ORDER",
        "payment_providers": ["OFFLINE"],
        "offline_payment_instructions": OFFLINE_INSTRUCTIONS,
        "allow_orders_awaiting_offline_payment_to_check_in": False,
        "require_billing_address": False,
        "show_marketing_opt_in": True,
        "pre_checkout_message": f"Vas a comprar entradas para {spec.title}.",
        "post_checkout_message": "¡Nos vemos en la pasarela! Tu QR llega por WhatsApp.",
        "continue_button_text": "Continuar",
        "homepage_background_color": "#111111",
        "homepage_primary_color": "#c8a24a",
    }
