"""The hosted Checkout Pro page of the emulator (what ``init_point`` opens).

Self-contained HTML (inline CSS and JS, no external network) in Spanish first, English
with ``?lang=en``. The buyer picks a method the way Mercado Pago's test accounts do:
a card whose cardholder name decides the outcome (APRO approved, FUND insufficient
amount, OTHE other reason, CONT pending review), or PSE / Efecty, which stay pending
until "the bank" or "the counter" confirms from the same page. The page's buttons call
the same JSON routes tests use, so nothing here has its own payment logic.
"""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from bot.sandbox.mercadopago.emulator import MercadoPagoEmulator

_TEXT: dict[str, dict[str, str]] = {
    "es": {
        "title": "Pagar con Mercado Pago",
        "sandbox": "Modo de prueba: ningún cobro es real",
        "pay_to": "Pagas a",
        "total": "Total",
        "not_found": "No encontramos este enlace de pago.",
        "expired": "Este enlace de pago venció. Pide uno nuevo por WhatsApp.",
        "not_yet_active": "Este enlace de pago todavía no está activo.",
        "already": "Ya hay un pago aprobado con este enlace. Pagar otra vez crea un segundo pago.",
        "method": "¿Cómo quieres pagar?",
        "card": "Tarjeta de crédito o débito",
        "card_result": "Titular de la tarjeta de prueba (decide el resultado)",
        "apro": "APRO — pago aprobado",
        "fund": "FUND — rechazado por fondos insuficientes",
        "othe": "OTHE — rechazado por otro motivo",
        "cont": "CONT — pendiente de revisión",
        "pse": "PSE — transferencia desde tu banco",
        "efecty": "Efecty — pago en efectivo",
        "pay": "Pagar",
        "paying": "Procesando…",
        "approved": "¡Listo! Tu pago fue aprobado.",
        "rejected": "Tu pago fue rechazado.",
        "pending": "Tu pago está pendiente.",
        "in_process": "Estamos revisando tu pago.",
        "confirm_pse": "Simular: el banco confirma la transferencia",
        "confirm_efecty": "Simular: pagaste en el punto Efecty",
        "confirm_card": "Simular: la revisión aprueba el pago",
        "back": "Volver al sitio",
        "redirecting": "Te llevamos de vuelta en {s} s…",
        "error": "No se pudo completar: ",
        "payment": "Pago",
        "other_lang": "English",
    },
    "en": {
        "title": "Pay with Mercado Pago",
        "sandbox": "Test mode: nothing is really charged",
        "pay_to": "You are paying",
        "total": "Total",
        "not_found": "This payment link does not exist.",
        "expired": "This payment link has expired. Ask for a new one on WhatsApp.",
        "not_yet_active": "This payment link is not active yet.",
        "already": (
            "A payment with this link was already approved. Paying again creates a second payment."
        ),
        "method": "How do you want to pay?",
        "card": "Credit or debit card",
        "card_result": "Test cardholder name (decides the outcome)",
        "apro": "APRO — approved",
        "fund": "FUND — rejected, insufficient amount",
        "othe": "OTHE — rejected, other reason",
        "cont": "CONT — pending review",
        "pse": "PSE — transfer from your bank",
        "efecty": "Efecty — pay cash",
        "pay": "Pay",
        "paying": "Processing…",
        "approved": "Done! Your payment was approved.",
        "rejected": "Your payment was rejected.",
        "pending": "Your payment is pending.",
        "in_process": "Your payment is under review.",
        "confirm_pse": "Simulate: the bank confirms the transfer",
        "confirm_efecty": "Simulate: you paid at the Efecty counter",
        "confirm_card": "Simulate: the review approves the payment",
        "back": "Back to the shop",
        "redirecting": "Taking you back in {s} s…",
        "error": "Could not complete: ",
        "payment": "Payment",
        "other_lang": "Español",
    },
}

_CSS = """
*{box-sizing:border-box}body{margin:0;
font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#ededed;color:#333}
header{background:#ffe600;padding:14px 20px;display:flex;
justify-content:space-between;align-items:center}header b{font-size:18px;color:#2d3277}
header a{color:#2d3277;font-size:14px}.badge{background:#fff3cd;color:#7a5b00;text-align:center;
padding:6px;font-size:13px}main{max-width:520px;margin:20px auto;padding:0 12px}
.card{background:#fff;border-radius:8px;padding:18px 20px;margin-bottom:14px;
box-shadow:0 1px 2px rgba(0,0,0,.12)}h1{font-size:20px;margin:0 0 12px}
.row{display:flex;justify-content:space-between;margin:6px 0}.total{font-weight:700;font-size:18px;
border-top:1px solid #eee;padding-top:10px}label.opt{display:block;border:1px solid #ddd;
border-radius:6px;padding:12px;margin:8px 0;cursor:pointer}label.opt:has(input:checked){
border-color:#009ee3;background:#f0f9ff}select{width:100%;padding:8px;margin-top:8px}
button{background:#009ee3;color:#fff;border:0;border-radius:6px;padding:12px 18px;font-size:16px;
width:100%;cursor:pointer;margin-top:10px}button:disabled{opacity:.6}
.ok{color:#00a650}.bad{color:#f23d4f}.wait{color:#b36b00}.note{font-size:13px;color:#666}
.hidden{display:none}
"""

_JS = """
const T = JSON.parse(document.getElementById('mp-text').textContent);
const PREF = JSON.parse(document.getElementById('mp-pref').textContent);
const $ = (id) => document.getElementById(id);
function methodChanged() {
  const m = document.querySelector('input[name=method]:checked').value;
  $('card-extra').classList.toggle('hidden', m !== 'card');
}
document.querySelectorAll('input[name=method]')
  .forEach((el) => el.addEventListener('change', methodChanged));
const HOLDER = {
  APRO: {outcome: 'approved'},
  FUND: {outcome: 'rejected', status_detail: 'cc_rejected_insufficient_amount'},
  OTHE: {outcome: 'rejected', status_detail: 'cc_rejected_other_reason'},
  CONT: {outcome: 'pending'},
};
async function call(url, body) {
  const res = await fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify(body || {})});
  const data = await res.json();
  if (!res.ok) throw new Error(data.message || res.status);
  return data;
}
function show(answer) {
  const p = answer.payment;
  const cls = p.status === 'approved' ? 'ok' : (p.status === 'rejected' ? 'bad' : 'wait');
  const box = $('result');
  box.classList.remove('hidden');
  box.innerHTML = '';
  const h = document.createElement('h1');
  h.className = cls;
  h.textContent = T[p.status] || p.status;
  box.appendChild(h);
  const info = document.createElement('p');
  info.className = 'note';
  info.textContent = T.payment + ' #' + p.id + ' · ' + p.status + ' / ' + p.status_detail;
  box.appendChild(info);
  if (p.status === 'pending' || p.status === 'in_process') {
    const b = document.createElement('button');
    const key = p.payment_method_id === 'efecty' ? 'confirm_efecty'
      : (p.payment_method_id === 'pse' ? 'confirm_pse' : 'confirm_card');
    b.textContent = T[key];
    b.onclick = async () => {
      b.disabled = true;
      try { show(await call(PREF.approve_url.replace('{id}', p.id))); }
      catch (e) { b.disabled = false; alert(T.error + e.message); }
    };
    box.appendChild(b);
  }
  if (answer.redirect_url) {
    const a = document.createElement('a');
    a.href = answer.redirect_url;
    a.textContent = T.back;
    a.style.display = 'block';
    a.style.marginTop = '12px';
    box.appendChild(a);
    if (answer.auto_return) {
      const n = document.createElement('p');
      n.className = 'note';
      n.textContent = T.redirecting.replace('{s}', answer.auto_return_delay_s);
      box.appendChild(n);
      const go = () => { window.location.href = answer.redirect_url; };
      setTimeout(go, answer.auto_return_delay_s * 1000);
    }
  }
  $('pay-form').classList.toggle('hidden', p.status !== 'rejected');
  $('pay').disabled = false;
  $('pay').textContent = T.pay + ' ' + PREF.total;
}
$('pay-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const method = document.querySelector('input[name=method]:checked').value;
  let body = {method: method, outcome: 'pending'};
  if (method === 'card') body = Object.assign({method: 'card'}, HOLDER[$('holder').value]);
  $('pay').disabled = true;
  $('pay').textContent = T.paying;
  try { show(await call(PREF.pay_url, body)); }
  catch (e) {
    $('pay').disabled = false;
    $('pay').textContent = T.pay + ' ' + PREF.total;
    alert(T.error + e.message);
  }
});
"""


def format_cop(amount: float) -> str:
    """``$ 150.000`` the way Colombian shops print pesos (dot thousands, no cents)."""
    whole = round(amount)
    return "$ " + f"{whole:,}".replace(",", ".")


def _script_json(element_id: str, value: Any) -> str:
    data = json.dumps(value, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/json" id="{element_id}">{data}</script>'


def render_checkout(emulator: MercadoPagoEmulator, pref_id: str | None, lang: str) -> str:
    """The whole page for one preference (or the "not found" page when ``pref_id`` is None)."""
    t = _TEXT[lang]
    esc = html.escape
    other = "es" if lang == "en" else "en"
    head = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{esc(t['title'])}</title><style>{_CSS}</style></head><body>"
        f'<header><b>mercado pago</b><a href="?lang={other}">{esc(t["other_lang"])}</a></header>'
        f'<div class="badge">{esc(t["sandbox"])}</div><main>'
    )
    tail = "</main></body></html>"
    preference = emulator.preferences.get(pref_id or "")
    if preference is None:
        return head + f'<div class="card"><h1>{esc(t["not_found"])}</h1></div>' + tail
    total = format_cop(emulator.preference_total(preference))
    rows = "".join(
        f'<div class="row"><span>{esc(str(i["title"]))} × {i["quantity"]}</span>'
        f"<span>{format_cop(i['unit_price'] * i['quantity'])}</span></div>"
        for i in preference["items"]
    )
    summary = (
        f'<div class="card"><p class="note">{esc(t["pay_to"])}</p>'
        f"<h1>{esc(emulator.config.business_name)}</h1>{rows}"
        f'<div class="row total"><span>{esc(t["total"])}</span><span>{total} COP</span></div></div>'
    )
    why = emulator.preference_expired(preference)
    if why is not None:
        return head + summary + f'<div class="card"><h1 class="bad">{esc(t[why])}</h1></div>' + tail
    approved = [p for p in emulator.payments_of(preference["id"]) if p["status"] == "approved"]
    notice = f'<div class="card note">{esc(t["already"])}</div>' if approved else ""
    options = "".join(
        f'<option value="{code}">{esc(t[code.lower()])}</option>'
        for code in ("APRO", "FUND", "OTHE", "CONT")
    )
    form = (
        f'<form id="pay-form" class="card"><h1>{esc(t["method"])}</h1>'
        '<label class="opt"><input type="radio" name="method" value="card" checked> '
        f"{esc(t['card'])}"
        f'<div id="card-extra"><span class="note">{esc(t["card_result"])}</span>'
        f'<select id="holder">{options}</select></div></label>'
        f'<label class="opt"><input type="radio" name="method" value="pse"> {esc(t["pse"])}</label>'
        '<label class="opt"><input type="radio" name="method" value="efecty"> '
        f"{esc(t['efecty'])}</label>"
        f'<button id="pay" type="submit">{esc(t["pay"])} {total}</button></form>'
        '<div id="result" class="card hidden"></div>'
    )
    base = f"/mercadopago/checkout/pay/{preference['id']}"
    data = {
        "pay_url": base,
        "approve_url": "/mercadopago/_sandbox/payments/{id}/approve",
        "total": total,
    }
    return (
        head
        + summary
        + notice
        + form
        + _script_json("mp-text", t)
        + _script_json("mp-pref", data)
        + f"<script>{_JS}</script>"
        + tail
    )
